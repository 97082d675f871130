"""Polling: a baseline that posts nothing, then new and changed reviews; Gumado's fallback."""

from __future__ import annotations

import pytest
from pipeline_helpers import (
    Delivery,
    MovableClock,
    Review,
    block_texts,
    cards,
    connection,
    count,
    rows,
    subscribe,
    wait_cards,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import Filter
from bot.providers.cloutly.adapter import BASELINE_LIMIT
from harness import Service, running_service
from sandbox.gumado_state import ReviewOrder
from sandbox.runner import start_sandboxes
from storage.engine import create_engine, make_sessionmaker
from storage.models import Subscription


async def _subscribe_before_start(database_url: str, channel_id: str = "C0REVIEWS") -> None:
    """A subscription that exists before the service starts (and its first poll runs)."""
    engine = create_engine(database_url)
    try:
        session: AsyncSession
        async with make_sessionmaker(engine)() as session, session.begin():
            session.add(
                Subscription(
                    team_id="T0DEMO",
                    channel_id=channel_id,
                    filter_text="all",
                    filter=Filter().to_json(),
                    mentions=[],
                    created_by="U0ADMIN",
                )
            )
    finally:
        await engine.dispose()


async def _poll(service: Service) -> None:
    from bot.pipeline.assembly import PIPELINE_KEY

    await service.app[PIPELINE_KEY].poller.poll_now()
    await service.settle()


async def test_first_poll_is_a_baseline_then_new_reviews_become_cards(database_url: str) -> None:
    await _subscribe_before_start(database_url)
    async with running_service(database_url) as service:
        await service.settle()
        cloutly = await connection(service, "cloutly")
        gumado = await connection(service, "gumado")
        # The newest existing reviews are stored as the baseline; none of them became a card.
        assert await count(service, Review, Review.connection_id == cloutly.id) == BASELINE_LIMIT
        # Gumado's order is not promised: its first and last pages are both read (20 reviews).
        assert await count(service, Review, Review.connection_id == gumado.id) == 20
        assert cards(service) == [] and await count(service, Delivery) == 0
        assert cloutly.poll_cursor is not None and cloutly.poll_cursor["horizon"] is not None
        assert cloutly.last_poll_at is not None and cloutly.healthy

        added = service.sandboxes.cloutly.add_review(rating=2, text="Waited an hour")
        await _poll(service)
        (card,) = await wait_cards(service, 1)
        assert card["metadata"]["event_payload"]["review_id"] == added["id"]
        assert "Waited an hour" in block_texts(card)
        # Polling again finds nothing new.
        await _poll(service)
        assert len(cards(service)) == 1


async def test_a_changed_polled_review_edits_its_card(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        sandbox = service.sandboxes.cloutly
        added = sandbox.add_review(rating=3, text="Okay")
        await _poll(service)
        (card,) = await wait_cards(service, 1)
        sandbox.update_review(added["id"], response="Thanks for the feedback!")
        await _poll(service)
        (edited,) = cards(service)
        assert edited["ts"] == card["ts"] and "Thanks for the feedback!" in block_texts(edited)
        (note,) = service.slack.thread("C0REVIEWS", card["ts"])
        assert "Reply published" in note["text"]


async def test_gumado_is_polled_only_after_24_quiet_hours(database_url: str) -> None:
    clock = MovableClock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        sandbox = service.sandboxes.gumado
        sandbox.register_webhook(service.webhook_url)
        sandbox.add_review(rating=5, message="By webhook")
        await wait_cards(service, 1)
        # Webhooks stop arriving (say, removed in Gumado's settings); a review comes in.
        sandbox.webhooks.subscriptions.clear()
        missed = sandbox.add_review(rating=4, message="Missed by webhooks")
        requests = len(sandbox.requests)
        await _poll(service)
        assert len(sandbox.requests) == requests, "a Gumado with recent webhooks is not polled"
        assert len(cards(service)) == 1
        clock.advance(hours=25)
        await _poll(service)
        await wait_cards(service, 2)
        assert cards(service)[-1]["metadata"]["event_payload"]["review_id"] == str(missed["id"])
        gumado = await connection(service, "gumado")
        assert gumado.last_poll_at is not None and gumado.last_poll_at > clock() - clock.offset


async def test_poll_failures_are_recorded_and_healed(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        sandbox = service.sandboxes.cloutly
        sandbox.inject_fault(status=401)
        await _poll(service)
        broken = await connection(service, "cloutly")
        assert broken.healthy is False
        assert broken.last_error and broken.last_error_at is not None
        await _poll(service)
        healed = await connection(service, "cloutly")
        assert healed.healthy is True and healed.last_poll_at is not None
        # Cloutly's 429 names no wait: recorded after one request (no burst of retries), and
        # the connection rests for a whole minute window.
        sandbox.inject_fault(status=429)
        sent = len(sandbox.requests)
        await _poll(service)  # rate limited: recorded, the loop carries on
        limited = await connection(service, "cloutly")
        assert limited.healthy is True
        assert "rate limited" in (limited.last_error or "") and "60 s" in (limited.last_error or "")
        assert len(sandbox.requests) == sent + 1
        await _poll(service)
        assert len(sandbox.requests) == sent + 1, "not polled again within the window"
        assert await rows(service, Delivery) == []


@pytest.mark.parametrize("order", ["oldest", "shuffled"])
async def test_gumado_polling_does_not_depend_on_the_list_order(
    database_url: str, order: ReviewOrder
) -> None:
    # Gumado's document does not say in which order GET /reviews lists reviews.
    boxes = await start_sandboxes()
    boxes.gumado.review_order = order
    try:
        async with running_service(database_url, sandboxes=boxes) as service:
            await service.settle()
            await subscribe(service, "C0REVIEWS")
            assert cards(service) == []  # the baseline carded nothing
            gumado = await connection(service, "gumado")
            horizon = gumado.poll_cursor and gumado.poll_cursor["horizon"]
            newest = max(r.published_on for r in boxes.gumado.reviews.values())
            assert horizon == newest.isoformat(), "the horizon is the newest review seen"
            missed = boxes.gumado.add_review(rating=4, message="Only the poller sees this")
            await _poll(service)
            (card,) = await wait_cards(service, 1)
            assert card["metadata"]["event_payload"]["review_id"] == str(missed["id"])
            await _poll(service)
            assert len(cards(service)) == 1
    finally:
        await boxes.stop()
