"""``/reviews subscribe`` with the words of issue 15, and backfill on subscribe, on both platforms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from surface_helpers import all_text, run_slash, subscriptions_of

from bot.blocks.card import EVENT_TYPE_REVIEW_CARD
from bot.filters import Filter
from bot.pipeline.assembly import PIPELINE_KEY
from harness import Service, running_service, wait_for
from sandbox.cloutly_data import api_time
from storage.models import Delivery

JSON = dict[str, Any]
WORD = "zeppelin"  # in no seeded review


def _cards(service: Service) -> list[JSON]:
    return [
        m
        for m in service.slack.messages("C0REVIEWS")
        if (m.get("metadata") or {}).get("event_type") == EVENT_TYPE_REVIEW_CARD
    ]


def _card_review_ids(service: Service) -> list[str]:
    return [str(m["metadata"]["event_payload"]["review_id"]) for m in _cards(service)]


async def _deliveries(service: Service) -> list[Delivery]:
    async with service.deps.sessions() as session:
        return list(await session.scalars(select(Delivery).order_by(Delivery.id)))


async def _wait_cards(service: Service, count: int) -> list[str]:
    await wait_for(lambda: len(_cards(service)) >= count, timeout=20, what=f"{count} cards")
    await service.settle(timeout=20)
    return _card_review_ids(service)


async def test_subscribe_keeps_the_new_words_and_the_slack_language(database_url: str) -> None:
    async with running_service(database_url) as service:
        service.slack.state.users["U0ADMIN"]["locale"] = "es-ES"
        text = (
            'subscribe text:"parking" language:es respond:24h rollup:>=4 every:1h '
            "style:compact backfill:7d"
        )
        _, posts = await run_slash(service, text)
        [row] = await subscriptions_of(service)
        chosen = Filter.from_json(row.filter)
        assert chosen.text == ("parking",)
        assert chosen.languages == frozenset({"es"})
        assert chosen.respond_minutes == 24 * 60
        assert (chosen.rollup, chosen.rollup_every_minutes) == ((4, 5), 60)
        assert chosen.style == "compact"
        assert chosen.backfill is None
        assert "backfill" not in row.filter_text and "backfill" not in str(row.filter)
        assert row.filter_text == chosen.canonical_text()
        assert row.language == "es"
        announcement = posts[0]
        shown = all_text(announcement)
        assert "mentioning “parking”" in shown and "in Spanish" in shown
        assert "reply within 24 hours" in shown and "compact cards" in shown
        assert "backfill" not in shown
        told = all_text(posts[1:])
        assert "matches this subscription" in told  # no Spanish review about parking
        assert "Ratings that go into the roll-up are not posted from the past." in told
        # The listing shows them too.
        _, posts = await run_slash(service, "subscriptions")
        listed = all_text(posts[0])
        assert "“parking”" in listed and "roll-up every 1 hour" in listed
        # The same words again (even with another backfill): the same subscription.
        _, posts = await run_slash(service, text.replace("7d", "3"))
        assert len(await subscriptions_of(service)) == 1
        assert "already has this subscription" in all_text(posts)


async def test_gumado_backfill_posts_oldest_first_once_and_the_webhook_adds_none(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        gumado = service.sandboxes.gumado
        now = datetime.now(UTC)
        added = [
            gumado.add_review(
                rating=2,
                message=f"The {WORD} parking was full, day {days}",
                published_on=now - timedelta(days=days),
            )
            for days in (3, 5, 1, 20)  # the 20-day-old one is outside backfill:7d
        ]
        ids = [str(payload["id"]) for payload in added]
        _, posts = await run_slash(
            service, f"subscribe text:{WORD} connection:gumado mention:@frontdesk backfill:7d"
        )
        told = all_text(posts)
        assert "Posting the 3 most recent matching reviews here, oldest first." in told
        assert await _wait_cards(service, 3) == [ids[1], ids[0], ids[2]]  # 5, 3, 1 days old
        rows = await _deliveries(service)
        assert [d.origin for d in rows] == ["backfill"] * 3
        assert all(d.respond_by is None and d.mentions == [] for d in rows)
        assert "<!subteam" not in str([m["text"] for m in _cards(service)])

        # The live flow then hears of one of them: no second card.
        gumado.register_webhook(service.webhook_url)
        gumado.update_review(int(ids[0]), author="Renamed")
        await gumado.wait_for_deliveries()
        await service.app[PIPELINE_KEY].poller.poll_now()
        await service.settle(timeout=20)
        assert sorted(_card_review_ids(service)) == sorted(ids[:3])
        assert len(await _deliveries(service)) == 3

        # A second subscription's backfill (90 days, any connection) posts nothing twice.
        _, posts = await run_slash(service, f"subscribe text:{WORD} backfill:20")
        told = all_text(posts)
        assert "Posting the most recent matching review here." in told
        assert "3 matching reviews were already here." in told
        assert await _wait_cards(service, 4) == [ids[1], ids[0], ids[2], ids[3]]
        assert len(await _deliveries(service)) == 4


async def test_cloutly_backfill_counts_and_none_matched(database_url: str) -> None:
    async with running_service(database_url) as service:
        cloutly = service.sandboxes.cloutly
        now = datetime.now(UTC)
        added = [
            cloutly.add_review(
                rating=5,
                text=f"Best {WORD} in town #{n}",
                createdAt=api_time(now - timedelta(hours=n * 30)),
            )
            for n in (1, 2)
        ]
        _, posts = await run_slash(service, f"subscribe connection:cloutly text:{WORD} backfill:1")
        assert "Posting the most recent matching review here." in all_text(posts)
        assert await _wait_cards(service, 1) == [added[0]["id"]]
        # Cloutly is polled: the poll that then reads it adds no second card.
        await service.app[PIPELINE_KEY].poller.poll_now()
        await service.settle(timeout=20)
        assert _card_review_ids(service) == [added[0]["id"]]

        _, posts = await run_slash(service, "subscribe text:nothingmatchesthis backfill:2d")
        told = all_text(posts)
        assert "No review of the last 2 days matches this subscription" in told
        assert len(await subscriptions_of(service)) == 2  # the subscription stays


async def test_a_platform_error_is_told_and_the_subscription_stays(database_url: str) -> None:
    async with running_service(database_url) as service:
        service.sandboxes.gumado.inject_fault(status=401, count=20, path="/api/v1/reviews")
        _, posts = await run_slash(service, f"subscribe text:{WORD} backfill:7d")
        told = all_text(posts)
        assert "subscribed <#C0REVIEWS>" in told
        assert "I couldn't read the past reviews of `gumado` (Gumado said:" in told
        assert "the subscription is saved" in told
        assert len(await subscriptions_of(service)) == 1
        assert await _deliveries(service) == []


async def test_a_review_still_on_its_way_is_routed_live_to_every_channel(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        gumado = service.sandboxes.gumado
        await run_slash(service, "subscribe all", channel_id="C0GENERAL")
        old = gumado.add_review(
            rating=4, message=f"Old {WORD}", published_on=datetime.now(UTC) - timedelta(days=2)
        )
        new = gumado.add_review(rating=4, message=f"Brand new {WORD}")  # its webhook not yet in
        _, posts = await run_slash(service, f"subscribe text:{WORD} backfill:7d")
        assert "Posting the 2 most recent matching reviews here, oldest first." in all_text(posts)
        assert await _wait_cards(service, 2) == [str(old["id"]), str(new["id"])]
        rows = await _deliveries(service)
        origins = {(d.channel_id, d.origin) for d in rows}
        # The new one is news for #general too; the old one is only this channel's past.
        assert origins == {("C0REVIEWS", "backfill"), ("C0REVIEWS", "live"), ("C0GENERAL", "live")}
        assert len(rows) == 3

        # Its webhook then arrives: nothing more anywhere.
        gumado.register_webhook(service.webhook_url)
        gumado.update_review(int(new["id"]), author="Late")
        await gumado.wait_for_deliveries()
        await service.settle(timeout=20)
        assert len(await _deliveries(service)) == 3
