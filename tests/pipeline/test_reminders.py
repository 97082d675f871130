"""Reply deadlines: one reminder in the card's thread when a low rating is left unanswered.

Time is the app's clock (``deps.clock``), moved forward by the test: ``respond:5m`` passes in
an instant. The reminder is exactly once across a restart with its post's outcome unknown, and
with two replicas racing on one PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pipeline_helpers import (
    Delivery,
    MovableClock,
    Review,
    block_texts,
    cards,
    cards_of,
    rows,
    subscribe,
    wait_cards,
)

from bot import slack_web
from bot.blocks.reminder import EVENT_TYPE_REMINDER
from bot.pipeline import history
from bot.pipeline.assembly import PIPELINE_KEY
from handlers.cards import mark_card_handled
from harness import Service, running_service, two_replicas, wait_for
from sandbox.runner import start_sandboxes
from sandbox.slack import SlackStandIn
from storage.models import Subscription

JSON = dict[str, Any]
MENTIONS = ["U0FRONT", "S0DESK"]


def reminders(service: Service, card: JSON, channel: str = "C0REVIEWS") -> list[JSON]:
    return [
        m
        for m in service.slack.thread(channel, card["ts"])
        if (m.get("metadata") or {}).get("event_type") == EVENT_TYPE_REMINDER
    ]


def reminder_posts(slack: SlackStandIn) -> int:
    """chat.postMessage calls that carried a reminder (landed or not)."""
    return sum(
        1
        for call in slack.calls_to("chat.postMessage")
        if (call.args.get("metadata") or {}).get("event_type") == EVENT_TYPE_REMINDER
    )


def wake(*services: Service) -> None:
    for service in services:
        pipeline = service.app[PIPELINE_KEY]
        pipeline.deadlines.wake.set()
        service.deps.signals.outbound.set()


async def pass_deadline(clock: MovableClock, *services: Service, minutes: float = 6) -> None:
    clock.advance(minutes=minutes)
    wake(*services)
    for service in services:
        await service.settle(timeout=20)


async def low_rating_card(service: Service, **fields: Any) -> tuple[JSON, JSON]:
    gumado = service.sandboxes.gumado
    gumado.register_webhook(service.webhook_url)
    created = gumado.add_review(rating=fields.pop("rating", 2), **fields)
    await wait_cards(service, 1)
    (card,) = cards_of(service, created["id"])
    return created, card


async def test_an_unanswered_low_rating_gets_one_reminder_and_shows_overdue(
    database_url: str,
) -> None:
    clock = MovableClock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", "respond:5m", mentions=MENTIONS, alert_threshold=2)
        # Above this channel's alert rating (1★): a card, but no deadline.
        await subscribe(service, "C0GENERAL", "respond:5m", alert_threshold=1)
        created, card = await low_rating_card(service, message="Nobody called back")
        await wait_cards(service, 1, "C0GENERAL")
        (general,) = await rows(service, Delivery, Delivery.channel_id == "C0GENERAL")
        assert (general.remind_state, general.respond_by) == (None, None)
        assert "💬 Not answered yet" in block_texts(card)
        (delivery,) = await rows(service, Delivery, Delivery.channel_id == "C0REVIEWS")
        assert delivery.remind_state == "waiting" and delivery.origin == "live"
        assert delivery.respond_by is not None
        published = datetime.fromisoformat(created["published_on"].replace("Z", "+00:00"))
        assert abs(delivery.respond_by - (published + timedelta(minutes=5))) < timedelta(seconds=2)

        await pass_deadline(clock, service, minutes=2)  # not yet
        assert reminders(service, card) == []

        await pass_deadline(clock, service, minutes=4)
        await wait_for(lambda: bool(reminders(service, card)), what="the reminder")
        await service.settle()
        (reminder,) = reminders(service, card)
        assert reminder["text"].startswith(
            "⏰ This 2★ Google review has not been answered for 6 minutes. "
            "<@U0FRONT> <!subteam^S0DESK> — <"
        )
        assert "|Reply on Google>" in reminder["text"]
        assert "<!channel>" not in reminder["text"] and "<!here>" not in reminder["text"]
        (edited,) = cards_of(service, created["id"])
        assert "Overdue" in block_texts(edited) and "Not answered on Google yet" in block_texts(
            edited
        )
        (delivery,) = await rows(service, Delivery, Delivery.channel_id == "C0REVIEWS")
        assert (delivery.remind_state, delivery.update_pending) == ("sent", False)

        # Later passes, and a day later, post nothing more.
        for _ in range(3):
            await pass_deadline(clock, service, minutes=60 * 24)
        assert len(reminders(service, card)) == 1
        assert reminder_posts(service.slack) == 1
        assert service.slack.thread("C0GENERAL", cards(service, "C0GENERAL")[0]["ts"]) == []

        # Answered at last: the card loses "Overdue"; the thread says so.
        service.sandboxes.gumado.update_review(created["id"], reply_message="So sorry, calling now")
        await service.sandboxes.gumado.wait_for_deliveries()
        await service.settle()
        (answered,) = cards_of(service, created["id"])
        assert "Overdue" not in block_texts(answered)
        assert "✅ Answered on Google" in block_texts(answered)
        assert len(reminders(service, card)) == 1
        metrics = service.deps.metrics.render().decode()
        assert 'reviewbot_reminders_total{outcome="sent"} 1.0' in metrics


async def test_a_review_first_seen_after_its_deadline_is_reminded_at_once(
    database_url: str,
) -> None:
    clock = MovableClock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", "respond:30m", mentions=["U0FRONT"])
        late = datetime.now(UTC) - timedelta(hours=3)
        _, card = await low_rating_card(service, rating=1, published_on=late.isoformat())
        wake(service)
        await wait_for(lambda: bool(reminders(service, card)), what="the late reminder")
        await service.settle()
        (reminder,) = reminders(service, card)
        assert "1★ Google review has not been answered for 3 hours." in reminder["text"]
        # The reminder came after its card.
        assert float(reminder["ts"]) > float(card["ts"])


async def test_no_reminder_for_a_review_answered_before_the_deadline(database_url: str) -> None:
    clock = MovableClock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", "respond:5m", mentions=MENTIONS)
        created, card = await low_rating_card(service)
        gumado = service.sandboxes.gumado
        gumado.update_review(created["id"], reply_message="We are on it.")  # replied: true
        await gumado.wait_for_deliveries()
        await service.settle()
        # Answered already when first seen: no deadline at all.
        answered_at_once = gumado.add_review(rating=1, reply_message="Thanks for telling us.")
        await gumado.wait_for_deliveries()
        await wait_cards(service, 2)

        await pass_deadline(clock, service)
        assert reminders(service, card) == []
        (first,) = await rows(service, Delivery, Delivery.message_ts == card["ts"])
        assert first.remind_state == "skipped"
        (second,) = cards_of(service, answered_at_once["id"])
        assert reminders(service, second) == []
        assert "Overdue" not in block_texts(cards_of(service, created["id"])[0])
        assert reminder_posts(service.slack) == 0
        metrics = service.deps.metrics.render().decode()
        assert 'reviewbot_reminders_total{outcome="skipped"} 1.0' in metrics


async def test_no_reminder_for_a_card_marked_handled(database_url: str) -> None:
    clock = MovableClock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", "respond:5m", mentions=MENTIONS)
        created, card = await low_rating_card(service)
        delivery_id = card["metadata"]["event_payload"]["delivery_id"]
        assert await mark_card_handled(
            service.deps,
            team_id="T0DEMO",
            channel_id="C0REVIEWS",
            message_ts=card["ts"],
            delivery_id=delivery_id,
            user_id="U0FRONT",
        )
        await pass_deadline(clock, service)
        assert reminders(service, card) == []
        (delivery,) = await rows(service, Delivery)
        assert delivery.remind_state == "skipped"
        (handled,) = cards_of(service, created["id"])
        assert "Overdue" not in block_texts(handled)


@pytest.mark.parametrize("settled_by", ["answer", "handled"])
async def test_a_reminder_queued_then_answered_or_handled_is_not_posted(
    database_url: str, settled_by: str
) -> None:
    clock = MovableClock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", "respond:5m", mentions=MENTIONS)
        created, card = await low_rating_card(service)
        sender = service.app[PIPELINE_KEY].sender
        await sender.stop()  # the reminder is queued; nothing posts it yet
        clock.advance(minutes=6)
        wake(service)
        await wait_for(lambda: _state_is(service, "queued"), what="the reminder queued", timeout=10)
        if settled_by == "answer":
            gumado = service.sandboxes.gumado
            gumado.update_review(created["id"], reply_message="Called them just now.")
            await gumado.wait_for_deliveries()
            await wait_for(lambda: _answered_row(service, created["id"]), what="the answer stored")
        else:
            assert await mark_card_handled(
                service.deps,
                team_id="T0DEMO",
                channel_id="C0REVIEWS",
                message_ts=card["ts"],
                delivery_id=card["metadata"]["event_payload"]["delivery_id"],
                user_id="U0FRONT",
            )
        sender.start()
        await wait_for(lambda: _state_is(service, "skipped"), what="the reminder skipped")
        await service.settle()
        assert reminders(service, card) == []
        assert reminder_posts(service.slack) == 0
        (shown,) = cards_of(service, created["id"])
        assert "Overdue" not in block_texts(shown)


async def _state_is(service: Service, state: str) -> bool:
    return [d.remind_state for d in await rows(service, Delivery)] == [state]


async def _answered_row(service: Service, platform_id: object) -> bool:
    (row,) = await rows(service, Review, Review.platform_id == str(platform_id))
    return bool(row.reply)


async def test_no_reminder_once_the_subscription_is_removed(database_url: str) -> None:
    clock = MovableClock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        subscription_id = await subscribe(service, "C0REVIEWS", "respond:5m", mentions=MENTIONS)
        _, card = await low_rating_card(service)
        async with service.deps.sessions() as session, session.begin():
            await session.delete(await session.get(Subscription, subscription_id))
        await pass_deadline(clock, service)
        assert reminders(service, card) == []
        assert await _state_is(service, "skipped")


async def test_the_shortest_deadline_of_a_channels_subscriptions_wins(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", "respond:1d", mentions=["U0FRONT"])
        await subscribe(service, "C0REVIEWS", "rating:<=2 respond:2h", mentions=["U0BOSS"])
        created, _ = await low_rating_card(service)
        (delivery,) = await rows(service, Delivery)
        published = datetime.fromisoformat(created["published_on"].replace("Z", "+00:00"))
        assert delivery.respond_by is not None
        assert abs(delivery.respond_by - (published + timedelta(hours=2))) < timedelta(seconds=2)


async def test_one_reminder_across_a_restart_with_its_post_unanswered(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slack takes 2.5 s to post the reminder; we stop waiting after 1.5 s and shut down.
    monkeypatch.setattr(slack_web, "SLACK_TIMEOUT_SECONDS", 1.5)
    monkeypatch.setattr(history, "LANDING_SECONDS", 2.0)
    clock = MovableClock()
    slack = SlackStandIn()
    await slack.start()
    sandboxes = await start_sandboxes()
    try:
        async with running_service(
            database_url, clock=clock, slack=slack, sandboxes=sandboxes
        ) as first:
            await first.settle()
            await subscribe(first, "C0REVIEWS", "respond:5m", mentions=MENTIONS)
            _, card = await low_rating_card(first)
            slack.fail_next("chat.postMessage", status=200, delay=2.5)
            clock.advance(minutes=6)
            wake(first)
            await wait_for(lambda: reminder_posts(slack) == 1, what="the reminder post")
        # The first process is gone; its post lands after it stopped waiting.
        await wait_for(lambda: len(slack.thread("C0REVIEWS", card["ts"])) == 1, what="landing")
        (delivery,) = await rows(first, Delivery)
        assert delivery.remind_state == "queued" and delivery.update_pending
        assert delivery.unsure_from is not None

        async with running_service(
            database_url, clock=clock, slack=slack, sandboxes=sandboxes
        ) as second:
            clock.advance(minutes=1)
            wake(second)
            await wait_for(
                lambda: bool(slack.calls_to("conversations.replies")), what="the thread read"
            )
            await second.settle(timeout=20)
            await asyncio.sleep(0.5)
            await pass_deadline(clock, second, minutes=60)
            assert len(reminders(second, card)) == 1
            assert reminder_posts(slack) == 1
            (delivery,) = await rows(second, Delivery)
            assert (delivery.remind_state, delivery.update_pending) == ("sent", False)
            assert (delivery.unsure_from, delivery.lease_owner) == (None, None)
            assert "Overdue" in block_texts(cards(second)[0])
    finally:
        await sandboxes.stop()
        await slack.stop()


async def test_one_reminder_when_its_process_dies_mid_post_holding_the_lease(
    database_url: str,
) -> None:
    env = {"DELIVERY_LEASE_SECONDS": "15"}
    clock = MovableClock()
    slack = SlackStandIn()
    await slack.start()
    sandboxes = await start_sandboxes()
    try:
        async with running_service(
            database_url, env=env, clock=clock, slack=slack, sandboxes=sandboxes
        ) as first:
            await first.settle()
            await subscribe(first, "C0REVIEWS", "respond:5m", mentions=MENTIONS)
            _, card = await low_rating_card(first)
            slack.fail_next("chat.postMessage", status=200, delay=1.5)
            clock.advance(minutes=6)
            wake(first)
            await wait_for(lambda: reminder_posts(slack) == 1, what="the reminder post")
            # Killed mid-post: the pass is cut off; its lease and window stay in the row.
            await first.app[PIPELINE_KEY].sender.stop(timeout=0.05)
            (held,) = await rows(first, Delivery)
            assert held.lease_owner is not None and held.unsure_from is not None
            assert held.remind_state == "queued"
        await wait_for(lambda: len(slack.thread("C0REVIEWS", card["ts"])) == 1, what="landing")

        async with running_service(
            database_url, env=env, clock=clock, slack=slack, sandboxes=sandboxes
        ) as second:
            clock.advance(seconds=20)  # the dead process's lease lapses
            wake(second)
            await wait_for(
                lambda: bool(slack.calls_to("conversations.replies")), what="the thread read"
            )
            await wait_for(lambda: _state_is(second, "sent"), what="the reminder adopted")
            await second.settle(timeout=20)
            await pass_deadline(clock, second, minutes=60)
            assert len(reminders(second, card)) == 1
            assert reminder_posts(slack) == 1
            (delivery,) = await rows(second, Delivery)
            assert (delivery.update_pending, delivery.lease_owner) == (False, None)
    finally:
        await sandboxes.stop()
        await slack.stop()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_on_one_database_post_one_reminder(database_url: str) -> None:
    clock = MovableClock()
    async with two_replicas(database_url, clock=clock) as (first, second):
        await subscribe(first, "C0REVIEWS", "respond:5m", mentions=MENTIONS)
        gumado = first.sandboxes.gumado
        gumado.register_webhook(first.webhook_url)
        reviews = [gumado.add_review(rating=rating) for rating in (1, 2, 2, 1)]
        await wait_cards(first, 4)
        await second.settle()
        # Slow posts: both replicas are at work while the reminders are in flight.
        first.slack.fail_next("chat.postMessage", status=200, delay=0.5, count=4)
        clock.advance(minutes=6)
        for _ in range(6):
            wake(first, second)
            await asyncio.sleep(0.3)
        await wait_for(lambda: reminder_posts(first.slack) >= 4, timeout=20, what="reminders")
        await first.settle(timeout=20)
        await second.settle(timeout=20)
        for _ in range(3):
            await pass_deadline(clock, first, second, minutes=30)
        for review in reviews:
            (card,) = cards_of(first, review["id"])
            assert len(reminders(first, card)) == 1, review["id"]
            assert "Overdue" in block_texts(card)
        assert reminder_posts(first.slack) == 4
        assert {d.remind_state for d in await rows(first, Delivery)} == {"sent"}
        sent = [
            line
            for service in (first, second)
            for line in service.deps.metrics.render().decode().splitlines()
            if line.startswith('reviewbot_reminders_total{outcome="sent"}')
        ]
        assert sum(float(line.split()[-1]) for line in sent) == 4
