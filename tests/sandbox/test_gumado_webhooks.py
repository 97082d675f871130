"""Gumado sandbox webhooks reach a real receiver on loopback, in the document's shapes, with retries."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.providers.gumado import (
    GumadoClient,
    location_from_webhook,
    organization_from_webhook,
    review_from_webhook,
)
from sandbox.gumado import GumadoSandbox
from sandbox.webhooks import WebhookDispatcher, retry_delays

NOW = datetime(2025, 12, 15, 12, 0, tzinfo=UTC)
REVIEW_KEYS = [
    "webhook_event", "id", "organization_id", "location_id", "source_name", "identifier",
    "avatar", "author", "rating", "original_rating", "title", "message", "url", "verified",
    "replied", "reply_message", "reply_url", "hidden", "reply_published_on", "published_on",
    "review_updated_on", "updated_at", "created_at", "meta",
]  # fmt: skip
ORGANIZATION_KEYS = ["webhook_event", "id", "user_id", "name", "updated_at", "created_at"]
LOCATION_KEYS = ["webhook_event", "id", "organization_id", "name", "updated_at", "created_at"]


@dataclass
class Receiver:
    """A small webhook endpoint: answers the statuses queued in ``replies``, then 200."""

    url: str = ""
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    replies: list[int] = field(default_factory=list)
    delay: float = 0.0

    def events(self) -> list[str]:
        return [body["webhook_event"] for _, body in self.received]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()

    async def hook(request: web.Request) -> web.Response:
        state.received.append((dict(request.headers), await request.json()))
        if state.delay:
            delay, state.delay = state.delay, 0.0
            await asyncio.sleep(delay)
        status = state.replies.pop(0) if state.replies else 200
        return web.json_response({"ok": status < 300}, status=status)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield state
    await runner.cleanup()


@pytest.fixture
async def sandbox() -> AsyncIterator[GumadoSandbox]:
    sandbox = GumadoSandbox(now=lambda: NOW, webhook_retry_scale=0.001)
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


async def test_review_events_in_the_documented_shape(
    sandbox: GumadoSandbox, receiver: Receiver
) -> None:
    sandbox.register_webhook(receiver.url)
    created = sandbox.add_review(organization_id=1, rating=2, source="Google", message="Meh.")
    sandbox.update_review(created["id"], reply_message="Sorry to hear that.")
    assert await sandbox.wait_for_deliveries()
    assert receiver.events() == ["review-created", "review-updated"]
    (headers, first), (_, second) = receiver.received
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "ReviewManagement/V1"
    assert list(first) == REVIEW_KEYS and first == created
    assert first["source_name"] == "google" and first["published_on"] == "2025-12-15T12:00:00+00:00"
    assert first["replied"] is False and second["replied"] is True
    assert second["reply_message"] == "Sorry to hear that."
    review = review_from_webhook(second)
    assert (review.source, review.rating, review.reply) == ("Google", 2, "Sorry to hear that.")
    assert review.location_id is not None


async def test_review_state_fields_follow_the_reviewer_and_the_business(
    sandbox: GumadoSandbox, receiver: Receiver
) -> None:
    sandbox.register_webhook(receiver.url)
    created = sandbox.add_review(rating=2, message="Slow.", hidden=True)
    sandbox.update_review(created["id"], rating=4, message="Slow, but they fixed it.")
    sandbox.update_review(created["id"], reply_message="Thank you!")
    assert await sandbox.wait_for_deliveries()
    first, edited, answered = (body for _, body in receiver.received)
    assert (first["hidden"], first["original_rating"], first["review_updated_on"]) == (
        True,
        2,
        None,
    )
    # The reviewer edited: "rating" is the new one, "original_rating" the first one.
    assert (edited["rating"], edited["original_rating"]) == (4, 2)
    assert edited["review_updated_on"] == "2025-12-15T12:00:00+00:00"
    assert (answered["replied"], answered["reply_url"]) == (True, created["url"])
    seeded = [review.webhook("review-updated") for review in sandbox.reviews.values()]
    assert any(r["hidden"] for r in seeded) and not all(r["hidden"] for r in seeded)
    assert any(r["original_rating"] != r["rating"] and r["review_updated_on"] for r in seeded)
    assert any(r["verified"] is False for r in seeded)


async def test_organization_events_fire_from_the_api(
    sandbox: GumadoSandbox, receiver: Receiver
) -> None:
    sandbox.register_webhook(receiver.url)
    assert sandbox.base_url is not None
    async with GumadoClient(sandbox.base_url, sandbox.tokens["full"]) as client:
        created = await client.create_organization("Downtown Branch")
        await client.update_organization(created.id, "Uptown Branch")
        await client.delete_organization(created.id)
    sandbox.create_organization("Made In Python")
    assert await sandbox.wait_for_deliveries()
    bodies = [body for _, body in receiver.received]
    assert sorted(b["webhook_event"] for b in bodies) == [
        "organization-created",
        "organization-created",
        "organization-deleted",
        "organization-updated",
    ]
    by_event = {b["webhook_event"]: b for b in bodies if b["id"] == int(created.id)}
    assert list(by_event["organization-created"]) == ORGANIZATION_KEYS
    assert by_event["organization-updated"]["name"] == "Uptown Branch"
    assert by_event["organization-deleted"] == {
        "webhook_event": "organization-deleted",
        "id": int(created.id),
    }
    assert organization_from_webhook(by_event["organization-updated"]).name == "Uptown Branch"


async def test_location_events(sandbox: GumadoSandbox, receiver: Receiver) -> None:
    sandbox.register_webhook(
        receiver.url, {"location-created", "location-updated", "location-deleted"}
    )
    added = sandbox.add_location(2, "Harbor Street — Airport")
    sandbox.update_location(added["id"], name="Harbor Street — Terminal 2")
    sandbox.delete_location(added["id"])
    sandbox.add_review(organization_id=2)  # not subscribed: not delivered
    assert await sandbox.wait_for_deliveries()
    bodies = sorted((body for _, body in receiver.received), key=lambda b: b["webhook_event"])
    created, deleted, updated = bodies
    assert list(created) == LOCATION_KEYS and created["organization_id"] == 2
    assert updated["name"] == "Harbor Street — Terminal 2"
    assert deleted == {"webhook_event": "location-deleted", "id": added["id"]}
    location = location_from_webhook(updated)
    assert (location.id, location.organization_id) == (str(added["id"]), "2")


async def test_failed_deliveries_are_retried_until_acknowledged(
    sandbox: GumadoSandbox, receiver: Receiver
) -> None:
    receiver.replies = [500, 502, 404]
    sandbox.register_webhook(receiver.url)
    sandbox.add_review()
    assert await sandbox.wait_for_deliveries()
    attempts = [(a.attempt, a.status) for a in sandbox.deliveries]
    assert attempts == [(1, 500), (2, 502), (3, 404), (4, 200)]
    assert len({a.delivery_id for a in sandbox.deliveries}) == 1
    times = [a.at for a in sandbox.deliveries]
    assert times == sorted(times)
    assert len(receiver.received) == 4
    assert all(body == receiver.received[0][1] for _, body in receiver.received)


async def test_delivery_gives_up_after_ten_retries(receiver: Receiver) -> None:
    receiver.replies = [500] * 20
    dispatcher = WebhookDispatcher(retry_scale=0.0001)
    dispatcher.register(receiver.url)
    dispatcher.dispatch({"webhook_event": "organization-deleted", "id": 9})
    assert await dispatcher.wait(5)
    await dispatcher.close()
    assert [a.attempt for a in dispatcher.log] == list(range(1, 12))
    assert not any(a.acknowledged for a in dispatcher.log)


def test_retry_schedule_is_exponential_over_five_minutes() -> None:
    delays = retry_delays()
    assert len(delays) == 10
    assert sum(delays) == pytest.approx(300.0)
    assert all(later == pytest.approx(2 * earlier) for earlier, later in itertools.pairwise(delays))
    assert sum(retry_delays(scale=0.001)) == pytest.approx(0.3)


async def test_slow_receivers_time_out_and_are_retried(receiver: Receiver) -> None:
    receiver.delay = 1.0
    dispatcher = WebhookDispatcher(retry_scale=0.0001, attempt_timeout=0.2)
    dispatcher.register(receiver.url, ["review-created"])
    dispatcher.dispatch({"webhook_event": "review-created", "id": 1})
    assert await dispatcher.wait(5)
    await dispatcher.close()
    assert [(a.status, a.error) for a in dispatcher.log] == [(None, "timeout"), (200, None)]


async def test_unreachable_receivers_and_stop_do_not_hang() -> None:
    sandbox = GumadoSandbox(now=lambda: NOW, webhook_retry_scale=1.0)
    await sandbox.start()
    sandbox.register_webhook("http://127.0.0.1:9/nothing-listens-here")
    sandbox.add_review()
    assert not await sandbox.wait_for_deliveries(timeout=0.2)  # still retrying
    await sandbox.stop(drain_timeout=0.1)
    assert sandbox.webhooks.pending == 0
    assert sandbox.deliveries[0].status is None and sandbox.deliveries[0].error


async def test_webhooks_registered_through_the_control_route(
    sandbox: GumadoSandbox, receiver: Receiver
) -> None:
    assert sandbox.base_url is not None
    root = sandbox.base_url.removesuffix("/api/v1")
    async with httpx.AsyncClient(base_url=root) as http:
        registered = await http.post(
            "/_sandbox/webhooks", json={"url": receiver.url, "events": ["review-created"]}
        )
        assert registered.status_code == 201
        assert registered.json()["events"] == ["review-created"]
        for bad in ({"url": "ftp://x"}, {"url": receiver.url, "events": ["review-eaten"]}, {}):
            assert (await http.post("/_sandbox/webhooks", json=bad)).status_code == 422
        await http.post("/_sandbox/reviews", json={"rating": 5, "source": "facebook"})
        assert await sandbox.wait_for_deliveries()
        deliveries = (await http.get("/_sandbox/deliveries")).json()
    assert receiver.events() == ["review-created"]
    assert receiver.received[0][1]["source_name"] == "facebook"
    assert deliveries[0]["status"] == 200 and deliveries[0]["event"] == "review-created"
