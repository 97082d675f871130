"""Reading history for posts of unknown outcome, within Slack's Tier 1 (SLACK_FACTS §6).

The stand-in enforces Tier 1 as Slack does for apps installed outside its Marketplace: one
``conversations.history`` call per minute per workspace and at most 15 messages a page.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from pipeline_helpers import cards, cards_of, rows, subscribe, wait_cards
from slack_sdk.web.async_client import AsyncWebClient

from bot import slack_web
from bot.blocks.card import EVENT_TYPE_REVIEW_CARD
from bot.metrics import Metrics
from bot.pipeline import history
from bot.pipeline.history import TIER1, TIER3, HistoryBudget, Unsure, look_for_posts
from fakes.slack import running_fake_slack, web_client
from harness import running_service, wait_for
from sandbox.slack import SlackStandIn
from storage.models import Delivery


@pytest.fixture
async def tier1_slack() -> AsyncIterator[SlackStandIn]:
    async with running_fake_slack(history_tier="tier1") as slack:
        yield slack


async def _post_cards(client: AsyncWebClient, count: int) -> list[str]:
    """Post ``count`` messages carrying card metadata (delivery ids 1…count); their ts."""
    stamps = []
    for delivery_id in range(1, count + 1):
        answer = await client.chat_postMessage(
            channel="C0REVIEWS",
            text=f"card {delivery_id}",
            metadata={
                "event_type": EVENT_TYPE_REVIEW_CARD,
                "event_payload": {"delivery_id": delivery_id},
            },
        )
        stamps.append(str(answer["ts"]))
    return stamps


async def _look(
    client: AsyncWebClient, unsure: list[Unsure], budget: HistoryBudget
) -> history.Lookup:
    return await look_for_posts(
        client,
        team_id="T0DEMO",
        channel="C0REVIEWS",
        unsure=unsure,
        event_type=EVENT_TYPE_REVIEW_CARD,
        key_field="delivery_id",
        budget=budget,
        metrics=Metrics(),
    )


async def test_a_429_on_the_second_page_keeps_what_the_first_showed(
    tier1_slack: SlackStandIn,
) -> None:
    client = web_client(tier1_slack)
    stamps = await _post_cards(client, 20)
    start = float(stamps[0]) - 1
    unsure = [
        Unsure("20", start, None),  # on the first page (the 15 newest)
        Unsure("3", start, None),  # older: only a second page would show it
        Unsure("99", float(stamps[17]), None),  # never posted; its stretch is all on page 1
    ]
    # A budget that thinks it has Tier 3 reads on; Slack answers the second page 429.
    looked = await _look(client, unsure, HistoryBudget(TIER3))
    assert looked.found == {"20": stamps[19]}
    assert looked.absent == {"99"}
    # Page 1 held cards 6…20: card 3 is only in doubt from card 6's ts back.
    assert looked.unsettled == {"3": Unsure("3", start, float(stamps[5]))}
    assert 0 < looked.retry_after <= 60
    (first, second) = tier1_slack.calls_to("conversations.history")
    assert first.args["limit"] == "100" and "cursor" in second.args


async def test_a_tier1_budget_spends_no_call_on_a_429_and_narrows_the_next_read() -> None:
    async with running_fake_slack(history_tier="tier1", history_window_seconds=1.0) as slack:
        client = web_client(slack)
        stamps = await _post_cards(client, 20)
        start = float(stamps[0]) - 1
        budget = HistoryBudget(TIER1)
        looked = await _look(client, [Unsure("3", start, None)], budget)
        assert looked.unsettled == {"3": Unsure("3", start, float(stamps[5]))}
        assert 55 < looked.retry_after <= 60  # the budget's minute, not a 429
        (call,) = slack.calls_to("conversations.history")
        assert call.args["limit"] == "15" and call.args["inclusive"] in ("1", "true", True)
        # The next read (another process, a minute later) covers only the narrowed stretch.
        await asyncio.sleep(1.1)
        again = await _look(client, list(looked.unsettled.values()), HistoryBudget(TIER1))
        assert again.found == {"3": stamps[2]}
        last = slack.calls_to("conversations.history")[-1]
        assert float(last.args["latest"]) == float(stamps[5])


async def test_a_thread_is_read_oldest_first_and_settled_from_below(
    tier1_slack: SlackStandIn,
) -> None:
    client = web_client(tier1_slack)
    parent = await client.chat_postMessage(channel="C0REVIEWS", text="card")
    stamps = []
    for n in range(20):
        answer = await client.chat_postMessage(
            channel="C0REVIEWS",
            thread_ts=parent["ts"],
            text=f"note {n}",
            metadata={"event_type": "review_update", "event_payload": {"note_key": f"k{n}"}},
        )
        stamps.append(str(answer["ts"]))
    looked = await look_for_posts(
        client,
        team_id="T0DEMO",
        channel="C0REVIEWS",
        thread_ts=str(parent["ts"]),
        unsure=[
            Unsure("k2", float(stamps[0]), float(stamps[3])),
            Unsure("k19", float(stamps[18]), None),
        ],
        event_type="review_update",
        key_field="note_key",
        budget=HistoryBudget(TIER1),
        metrics=Metrics(),
    )
    assert looked.found == {"k2": stamps[2]}
    # Beyond the one page (notes 0…14) Tier 1 gives a minute.
    assert looked.unsettled == {"k19": Unsure("k19", float(stamps[18]), None)}


async def test_an_unanswered_post_is_looked_for_once_and_adopted(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slack takes 2.5 s; we stop waiting after 1.5 s: the card lands after we gave up.
    monkeypatch.setattr(slack_web, "SLACK_TIMEOUT_SECONDS", 1.5)
    monkeypatch.setattr(history, "LANDING_SECONDS", 3.0)
    async with (
        running_fake_slack(history_tier="tier1") as slack,
        running_service(database_url, slack=slack) as service,
    ):
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        slack.fail_next("chat.postMessage", status=200, delay=2.5)
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        payload = gumado.add_review(rating=4)
        await wait_for(
            lambda: len(slack.calls_to("conversations.history")) == 1,
            timeout=20,
            what="the history read",
        )
        await service.settle(timeout=20)
        assert len(cards_of(service, payload["id"])) == 1
        assert len(slack.calls_to("chat.postMessage")) == 1
        (delivery,) = await rows(service, Delivery)
        assert delivery.status == "sent"
        assert delivery.message_ts == cards(service)[0]["ts"]
        assert (delivery.unsure_from, delivery.unsure_to) == (None, None)


async def test_an_unknown_post_does_not_hold_up_its_channel(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack_web, "SLACK_TIMEOUT_SECONDS", 1.5)
    monkeypatch.setattr(history, "LANDING_SECONDS", 2.0)
    async with (
        running_fake_slack(history_tier="tier1", history_window_seconds=8.0) as slack,
        running_service(database_url, slack=slack) as service,
    ):
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        # The first card times out; this minute's history read is already spent.
        slack.fail_next("chat.postMessage", status=200, delay=2.0)
        first = gumado.add_review(rating=2)
        await wait_for(lambda: bool(cards(service)), timeout=10, what="the late first card")
        await web_client(slack).conversations_history(channel="C0GENERAL")
        started = time.monotonic()
        later = [gumado.add_review(rating=5) for _ in range(3)]
        await wait_for(
            lambda: all(cards_of(service, p["id"]) for p in later),
            timeout=10,
            what="the later cards",
        )
        # They did not wait for the unknown one's history read (429 until the window ends).
        assert time.monotonic() - started < 6
        await wait_cards(service, 4, timeout=30)
        assert len(cards_of(service, first["id"])) == 1
        for payload in later:
            assert len(cards_of(service, payload["id"])) == 1
