"""Roll-ups: good reviews collect into one message per channel and period, posted exactly once
(across replicas and restarts), edited when a late review joins; the rest still come as cards.

The service's clock is moved: it starts 10 minutes into an hour, and an hour's roll-up is due
once the clock is moved past the hour's end.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from blocks.limits import assert_message_within_limits
from pipeline_helpers import MovableClock, block_texts, cards, cards_of, rows, subscribe
from sqlalchemy import update

from bot import slack_web
from bot.blocks.rollup import EVENT_TYPE_ROLLUP
from bot.pipeline import history
from bot.pipeline.assembly import PIPELINE_KEY
from bot.pipeline.rollup_periods import period_of
from harness import Service, running_service, two_replicas, wait_for
from sandbox.runner import start_sandboxes
from sandbox.slack import SlackStandIn
from storage.models import Delivery, Rollup, RollupItem

JSON = dict[str, Any]
ROLLUP = "rollup:>=4 every:1h"


def _clock() -> MovableClock:
    """A clock 10 minutes into an hour: that hour's roll-up is due in 50 minutes."""
    clock = MovableClock()
    now = clock()
    _, end = period_of(now, 60)
    clock.offset = end + timedelta(minutes=10) - now
    return clock


def rollups(slack: SlackStandIn, channel: str = "C0REVIEWS") -> list[JSON]:
    """Roll-up messages in a channel, oldest first."""
    return [
        m
        for m in slack.messages(channel)
        if (m.get("metadata") or {}).get("event_type") == EVENT_TYPE_ROLLUP
    ]


def rollup_posts(slack: SlackStandIn) -> list[Any]:
    """chat.postMessage calls that carried a roll-up."""
    return [
        c
        for c in slack.calls_to("chat.postMessage")
        if EVENT_TYPE_ROLLUP in str(c.args.get("metadata"))
    ]


def _add(service: Service, clock: MovableClock, rating: int, **extra: Any) -> JSON:
    published = extra.pop("published_on", clock())
    return service.sandboxes.gumado.add_review(
        rating=rating, published_on=published.isoformat(), **extra
    )


async def _joined(service: Service, count: int) -> None:
    async def enough() -> bool:
        return len(await rows(service, RollupItem)) >= count

    await service.sandboxes.gumado.wait_for_deliveries()
    await wait_for(enough, what=f"{count} reviews in roll-ups")
    await service.settle()


async def _end_period(clock: MovableClock, *services: Service) -> None:
    clock.advance(hours=1)
    for service in services:
        service.deps.signals.rollups.set()


async def test_good_reviews_roll_up_once_the_rest_come_as_cards_at_once(
    database_url: str,
) -> None:
    clock = _clock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", ROLLUP)
        service.sandboxes.gumado.register_webhook(service.webhook_url)
        good = [
            _add(service, clock, rating, message=f"Great {n}") for n, rating in enumerate([5, 4, 5])
        ]
        bad = _add(service, clock, 2, message="Waited an hour")
        await _joined(service, 3)
        # The 2★ review is a card at once; the good ones wait for the period's end.
        await wait_for(lambda: bool(cards(service)), what="the 2★ card")
        assert [str(c["metadata"]["event_payload"]["review_id"]) for c in cards(service)] == [
            str(bad["id"])
        ]
        assert rollups(service.slack) == []
        assert all(cards_of(service, g["id"]) == [] for g in good)

        await _end_period(clock, service)
        await wait_for(lambda: bool(rollups(service.slack)), what="the roll-up")
        await service.settle()
        service.deps.signals.rollups.set()
        await service.settle()
        (message,) = rollups(service.slack)
        assert message["text"].startswith("3 reviews at 4–5★")
        assert "average 4.7★" in message["text"]
        shown = block_texts(message)
        assert "Great 0" in shown and "Great 2" in shown
        assert "See them all: `/reviews list rating:4-5`" in shown
        assert len(rollup_posts(service.slack)) == 1
        assert_message_within_limits(rollup_posts(service.slack)[0].args)
        (row,) = await rows(service, Rollup)
        assert (row.status, row.message_ts, row.attempts) == ("sent", message["ts"], 1)
        assert (row.lease_owner, row.unsure_from, row.update_pending) == (None, None, False)
        assert len(await rows(service, Delivery)) == 1
        async with service.http.get(f"{service.base_url}/metrics") as response:
            assert 'reviewbot_rollups_total{outcome="posted"} 1.0' in await response.text()


async def test_a_late_review_edits_the_posted_rollup(database_url: str) -> None:
    clock = _clock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", ROLLUP)
        service.sandboxes.gumado.register_webhook(service.webhook_url)
        hour = clock()
        _add(service, clock, 5, message="First")
        await _joined(service, 1)
        await _end_period(clock, service)
        await wait_for(lambda: bool(rollups(service.slack)), what="the roll-up")
        await service.settle()
        (posted,) = rollups(service.slack)
        assert posted["text"].startswith("1 review at")

        # A review of that hour arrives late: the message is edited, not posted again.
        _add(service, clock, 4, message="Late but lovely", published_on=hour)
        await _joined(service, 2)
        await wait_for(
            lambda: bool(service.slack.calls_to("chat.update")), what="the roll-up edited"
        )
        await service.settle()
        (edited,) = rollups(service.slack)
        assert edited["ts"] == posted["ts"] and "edited" in edited
        assert edited["text"].startswith("2 reviews at 4–5★")
        assert "Late but lovely" in block_texts(edited)
        assert len(rollup_posts(service.slack)) == 1
        assert cards(service) == []
        (row,) = await rows(service, Rollup)
        assert (row.status, row.update_pending, row.lease_owner) == ("sent", False, None)


async def test_a_rolled_up_review_whose_rating_drops_gets_a_card_and_leaves(
    database_url: str,
) -> None:
    clock = _clock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", ROLLUP)
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        kept = _add(service, clock, 5, message="Kept")
        dropped = _add(service, clock, 5, message="Changed my mind")
        await _joined(service, 2)
        gumado.update_review(dropped["id"], rating=1)
        await gumado.wait_for_deliveries()
        await wait_for(lambda: bool(cards(service)), what="the card of the 1★")
        assert len(cards_of(service, dropped["id"])) == 1
        await _end_period(clock, service)
        await wait_for(lambda: bool(rollups(service.slack)), what="the roll-up")
        await service.settle()
        (message,) = rollups(service.slack)
        assert message["text"].startswith("1 review at") and "Kept" in block_texts(message)
        assert "Changed my mind" not in block_texts(message)
        assert cards_of(service, kept["id"]) == []


async def test_a_channel_with_a_card_subscription_gets_cards_not_a_rollup(
    database_url: str,
) -> None:
    clock = _clock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", ROLLUP)
        await subscribe(service, "C0REVIEWS", "source:Google")
        await subscribe(service, "C0GENERAL", ROLLUP)
        service.sandboxes.gumado.register_webhook(service.webhook_url)
        review = _add(service, clock, 5, source="Google")
        await _joined(service, 1)
        await wait_for(lambda: bool(cards(service)), what="the card")
        assert len(cards_of(service, review["id"])) == 1
        assert len(await rows(service, RollupItem)) == 1
        (rollup,) = await rows(service, Rollup)
        assert rollup.channel_id == "C0GENERAL"


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_post_each_period_once(database_url: str) -> None:
    clock = _clock()
    async with two_replicas(database_url, clock=clock) as (first, second):
        await subscribe(first, "C0REVIEWS", ROLLUP)
        first.sandboxes.gumado.register_webhook(first.webhook_url)
        for period in range(2):
            for rating in (4, 5):
                _add(first, clock, rating, message=f"Period {period}")
            await _joined(first, 2 * (period + 1))
            await _end_period(clock, first, second)
            await wait_for(
                lambda n=period + 1: len(rollups(first.slack)) >= n,  # type: ignore[misc]
                what="the period's roll-up",
            )
            for _ in range(3):
                first.deps.signals.rollups.set()
                second.deps.signals.rollups.set()
                await first.settle()
                await second.settle()
        messages = rollups(first.slack)
        assert len(messages) == 2 and len(rollup_posts(first.slack)) == 2
        assert "Period 0" in block_texts(messages[0]) and "Period 1" in block_texts(messages[1])
        assert {r.status for r in await rows(first, Rollup)} == {"sent"}


async def test_a_rollup_whose_period_ended_while_the_app_was_down_is_posted_on_start(
    database_url: str,
) -> None:
    clock = _clock()
    slack = SlackStandIn()
    await slack.start()
    boxes = await start_sandboxes()
    try:
        async with running_service(database_url, clock=clock, slack=slack, sandboxes=boxes) as one:
            await one.settle()
            await subscribe(one, "C0REVIEWS", ROLLUP)
            boxes.gumado.register_webhook(one.webhook_url)
            _add(one, clock, 5, message="Before the restart")
            await _joined(one, 1)
        clock.advance(hours=3)
        assert rollups(slack) == []
        async with running_service(database_url, clock=clock, slack=slack, sandboxes=boxes) as two:
            # No wake-up: the first pass finds it in the database.
            await wait_for(lambda: bool(rollups(slack)), what="the roll-up posted on start")
            await two.settle()
            (message,) = rollups(slack)
            assert "Before the restart" in block_texts(message)
            assert len(rollup_posts(slack)) == 1
    finally:
        await boxes.stop()
        await slack.stop()


async def test_an_unanswered_rollup_post_is_looked_for_not_doubled(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slack takes 2.5 s; we stop waiting after 1.5 s: the roll-up lands after we gave up.
    monkeypatch.setattr(slack_web, "SLACK_TIMEOUT_SECONDS", 1.5)
    monkeypatch.setattr(history, "LANDING_SECONDS", 3.0)
    clock = _clock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", ROLLUP)
        service.sandboxes.gumado.register_webhook(service.webhook_url)
        _add(service, clock, 5, message="Only once")
        await _joined(service, 1)
        slack = service.slack
        slack.fail_next("chat.postMessage", status=200, delay=2.5)
        await _end_period(clock, service)
        await wait_for(
            lambda: bool(slack.calls_to("conversations.history")),
            timeout=20,
            what="the channel's history read",
        )

        async def sent() -> bool:
            (row,) = await rows(service, Rollup)
            return row.status == "sent"

        await wait_for(sent, timeout=20, what="the roll-up adopted")
        await service.settle(timeout=20)
        (message,) = rollups(slack)
        assert len(rollup_posts(slack)) == 1
        (row,) = await rows(service, Rollup)
        assert (row.message_ts, row.unsure_from, row.unsure_to) == (message["ts"], None, None)
        # Adopting counts as the second attempt; the message found is redrawn in place once.
        assert row.attempts == 2 and len(slack.calls_to("chat.update")) == 1
        assert len(slack.calls_to("conversations.history")) == 1


async def test_hostile_text_makes_a_valid_harmless_rollup(database_url: str) -> None:
    hostile = "<!channel> <@U123> *bold* <https://x|y> & <!everyone> @here " * 200
    clock = _clock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", ROLLUP)
        service.sandboxes.gumado.register_webhook(service.webhook_url)
        for _ in range(12):
            _add(service, clock, 5, message=hostile, author="<!channel> Mallory", title=hostile)
        await _joined(service, 12)
        await _end_period(clock, service)
        await wait_for(lambda: bool(rollups(service.slack)), what="the roll-up")
        await service.settle()
        (call,) = rollup_posts(service.slack)
        assert_message_within_limits(call.args)
        (message,) = rollups(service.slack)
        assert "…and 2 more." in block_texts(message)
        for text in [message["text"], block_texts(message)]:
            for dangerous in ("<!channel>", "<!here>", "<@U123>", "<!everyone>", "<https://x|y>"):
                assert dangerous not in text


async def test_polled_reviews_roll_up_and_a_past_hour_is_posted_at_once(database_url: str) -> None:
    clock = _clock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", ROLLUP)
        cloutly = service.sandboxes.cloutly
        cloutly.add_review(rating=5, text="Polled and rolled up")
        alone = cloutly.add_review(rating=1, text="Polled and alone")
        await service.app[PIPELINE_KEY].poller.poll_now()
        # Published in the hour that has just ended (by the service's clock): due at once.
        await wait_for(lambda: bool(rollups(service.slack)), what="the roll-up")
        await wait_for(lambda: bool(cards(service)), what="the 1★ card")
        await service.settle()
        (message,) = rollups(service.slack)
        assert "Polled and rolled up" in block_texts(message)
        assert message["text"].startswith("1 review at 4–5★")
        assert [c["metadata"]["event_payload"]["review_id"] for c in cards(service)] == [
            alone["id"]
        ]


async def test_a_replica_dead_after_slack_answered_leaves_a_rollup_that_is_adopted(
    database_url: str,
) -> None:
    clock = _clock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", ROLLUP)
        service.sandboxes.gumado.register_webhook(service.webhook_url)
        _add(service, clock, 5, message="Posted before the crash")
        await _joined(service, 1)
        await _end_period(clock, service)
        await wait_for(lambda: bool(rollups(service.slack)), what="the roll-up")
        await service.settle()
        (message,) = rollups(service.slack)
        # As if another replica posted it and died before recording it: still "sending"
        # under its expired lease, its window open since its claim.
        async with service.deps.sessions() as session, session.begin():
            await session.execute(
                update(Rollup).values(
                    status="sending",
                    message_ts=None,
                    lease_owner="dead-replica",
                    lease_until=clock() - timedelta(seconds=1),
                    unsure_from=float(message["ts"]) - 5,
                    unsure_to=None,
                )
            )
        service.deps.signals.rollups.set()

        async def adopted() -> bool:
            (row,) = await rows(service, Rollup)
            return row.status == "sent"

        await wait_for(adopted, what="the roll-up adopted")
        await service.settle()
        (row,) = await rows(service, Rollup)
        assert (row.message_ts, row.lease_owner) == (message["ts"], None)
        assert len(rollup_posts(service.slack)) == 1 and len(rollups(service.slack)) == 1
        assert len(service.slack.calls_to("conversations.history")) == 1


async def test_slack_429_then_one_rollup_and_refusals_fail_with_the_reason(
    database_url: str,
) -> None:
    clock = _clock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", ROLLUP)
        await subscribe(service, "C0NOSUCH", ROLLUP)
        service.sandboxes.gumado.register_webhook(service.webhook_url)
        _add(service, clock, 5, message="Worth the wait")
        await _joined(service, 2)
        service.slack.fail_next("chat.postMessage", status=429, retry_after=1)
        await _end_period(clock, service)
        await wait_for(lambda: bool(rollups(service.slack)), what="the roll-up")

        async def settled() -> bool:
            return {r.status for r in await rows(service, Rollup)} <= {"sent", "failed"}

        await wait_for(settled, what="both roll-ups settled")
        await service.settle()
        assert len(rollups(service.slack)) == 1
        # A 429 posted nothing: no history is read before trying again.
        assert service.slack.calls_to("conversations.history") == []
        outcome = {r.channel_id: (r.status, r.last_error) for r in await rows(service, Rollup)}
        assert outcome == {
            "C0REVIEWS": ("sent", None),
            "C0NOSUCH": ("failed", "channel_not_found"),
        }
