"""``/reviews test``: a sample card marked as a test, the matching subscriptions, no pings."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from blocks.limits import assert_message_within_limits, iter_text_objects
from sqlalchemy import func, select
from surface_helpers import all_text, run_slash

from bot.blocks.test_card import build_test_card, build_test_routing
from bot.domain import Review
from bot.results import RoutingCheck, RoutingMatch
from harness import Service, running_service
from storage.models import Delivery

JSON = dict[str, Any]
PINGS = re.compile(r"<@[UW]|<!subteam|<!channel|<!here|<!everyone")


def _pings(message: JSON) -> list[str]:
    """Mention tokens Slack would render: in the top-level text and mrkdwn (plain_text shows
    ``<!channel>`` as typed)."""
    texts = [str(message.get("text") or "")]
    texts += [t["text"] for t in iter_text_objects(message.get("blocks")) if t["type"] == "mrkdwn"]
    return [m.group() for text in texts for m in PINGS.finditer(text)]


async def _deliveries(service: Service) -> int:
    async with service.deps.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Delivery)) or 0)


async def _test(service: Service, text: str = "") -> tuple[JSON, JSON]:
    _, posts = await run_slash(service, f"test {text}".strip())
    card, routing = posts
    assert card["response_type"] == "in_channel"
    assert routing["response_type"] == "ephemeral"
    for message in (card, routing):
        assert_message_within_limits(message)
        assert _pings(message) == [], message
    return card, routing


async def test_without_subscriptions_it_says_how_to_subscribe(database_url: str) -> None:
    async with running_service(database_url) as service:
        card, routing = await _test(service)
        assert all_text(card).startswith("🧪 Test card — nobody was notified")
        assert "no subscriptions" in all_text(routing)
        assert "/reviews subscribe" in all_text(routing)
        assert all(b.get("block_id") != "card_actions" for b in card["blocks"])
        # It is in the channel, as Slack shows it, and no card was queued.
        assert any("Test card" in m["text"] for m in service.slack.messages("C0REVIEWS"))
        assert await _deliveries(service) == 0


async def test_names_the_matching_subscriptions_and_pings_nobody(database_url: str) -> None:
    async with running_service(database_url) as service:
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        await run_slash(service, "subscribe connection:gumado rating:<=2 mention:@frontdesk")
        await run_slash(service, "subscribe rating:>=4 mention:<@U0MANAGER|marco>")
        await run_slash(service, "subscribe connection:cloutly rating:1")
        # The channel's newest review, with hostile text, is the sample.
        gumado.add_review(
            rating=3,
            author="<!channel> <@U0ADMIN>",
            message="<!here> *bold* " + "Très long avis. " * 400,
            published_on=datetime.now(UTC) + timedelta(minutes=1),
        )
        await gumado.wait_for_deliveries()
        await service.settle()
        before = await _deliveries(service)

        card, routing = await _test(service, "rating:1")
        assert "1/5" in all_text(card)
        assert "Très long avis" in all_text(card)
        shown = all_text(routing)
        assert "would be posted here, matching:" in shown
        assert "*#1*" in shown and "would mention @frontdesk" in shown
        assert "#2" not in shown and "#3" not in shown  # gumado, not cloutly's 1★
        assert "The card would mention @frontdesk (not pinged now)." in shown

        _, routing = await _test(service, "rating:5")
        shown = all_text(routing)
        assert "*#2*" in shown and "#1" not in shown
        assert "The card would mention nobody." in shown  # 5★ is above the alert threshold

        _, routing = await _test(service, "rating:3")
        assert "would not be posted here: it matches none of the channel's 3 subscriptions" in (
            all_text(routing)
        )
        assert await _deliveries(service) == before
        # No message in the channel pings anyone.
        tests = [m for m in service.slack.messages("C0REVIEWS") if "Test card" in m["text"]]
        assert len(tests) == 3 and all(_pings(m) == [] for m in tests)


async def test_bad_words_say_how_to_use_it(database_url: str) -> None:
    async with running_service(database_url) as service:
        _, posts = await run_slash(service, "test rating:9")
        [answer] = posts
        assert answer["response_type"] == "ephemeral"
        assert "/reviews test rating:1" in all_text(answer)


def test_the_builders_stay_within_limits_with_hostile_names() -> None:
    hostile = "<!channel> &<@U0ADMIN>* " * 40
    review = Review(
        id="r",
        platform="gumado",
        source=hostile,
        rating=1,
        author=hostile,
        title=hostile,
        text=hostile * 30,
        published_at=datetime.now(UTC),
    )
    matches = [
        RoutingMatch(n, "All reviews " + "x" * 900, (f"@{hostile}", "@frontdesk"), n % 3 == 0)
        for n in range(60)
    ]
    for check in (
        RoutingCheck(review, hostile, hostile, True, 60, matches),
        RoutingCheck(review, None, None, False, 0, []),
        RoutingCheck(review, None, None, False, 2, []),
    ):
        for message in (build_test_card(check), build_test_routing(check)):
            assert_message_within_limits(message)
            assert _pings(message) == []
    routing = all_text(build_test_routing(RoutingCheck(review, None, None, True, 60, matches)))
    assert "more." in routing


async def test_the_sample_looks_as_the_channel_asks(database_url: str) -> None:
    async with running_service(database_url) as service:
        await run_slash(service, "subscribe rating:<=2 style:compact")
        card, _ = await _test(service, "rating:1")
        compact = [b for b in card["blocks"] if b.get("block_id") != "test_mark"]
        full, _ = await _test(service, "rating:5")  # matches nothing: the full card
        assert len(compact) < len([b for b in full["blocks"] if b.get("block_id") != "test_mark"])
