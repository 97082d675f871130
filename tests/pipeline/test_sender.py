"""The sender against Slack's failures: 5xx, 429, crashes mid-post, refusals, hostile text."""

from __future__ import annotations

import time

from blocks.limits import assert_message_within_limits, iter_text_objects
from pipeline_helpers import (
    Delivery,
    block_texts,
    cards,
    cards_of,
    rows,
    subscribe,
    wait_cards,
)
from sqlalchemy import update

from harness import running_service, wait_for


async def test_slack_500_then_exactly_one_card_after_the_backoff(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        service.slack.fail_next("chat.postMessage", status=500)
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        payload = gumado.add_review(rating=5)
        await wait_cards(service, 1)
        await service.settle()
        assert len(cards_of(service, payload["id"])) == 1
        assert len(service.slack.calls_to("chat.postMessage")) == 2
        # A 500 is an answer: nothing was posted, so the retry reads no history.
        assert service.slack.calls_to("conversations.history") == []
        (delivery,) = await rows(service, Delivery)
        assert (delivery.status, delivery.attempts) == ("sent", 2)


async def test_slack_429_waits_retry_after_and_spares_other_channels(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        await subscribe(service, "C0GENERAL")
        service.slack.fail_next("chat.postMessage", status=429, retry_after=2)
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        started = time.monotonic()
        payload = gumado.add_review(rating=3)
        arrived: dict[str, float] = {}

        def both_arrived() -> bool:
            for channel in ("C0REVIEWS", "C0GENERAL"):
                if channel not in arrived and cards(service, channel):
                    arrived[channel] = time.monotonic() - started
            return len(arrived) == 2

        await wait_for(both_arrived, what="a card in each channel")
        await service.settle()
        # Whichever channel got the 429 waited Retry-After (2 s); the other did not.
        assert min(arrived.values()) < 1.5 <= max(arrived.values())
        for channel in ("C0REVIEWS", "C0GENERAL"):
            assert len(cards_of(service, payload["id"], channel)) == 1
        # Nothing was posted by the 429: no reconcile needed before posting again.
        assert service.slack.calls_to("conversations.history") == []
        async with service.http.get(f"{service.base_url}/metrics") as response:
            metrics = await response.text()
        assert 'reviewbot_slack_rate_limited_total{method="chat.postMessage"} 1.0' in metrics


async def test_crash_after_slack_answered_is_reconciled_not_reposted(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        payload = gumado.add_review(rating=4)
        (card,) = await wait_cards(service, 1)
        # As if the process died after Slack's answer, before the commit: still "sending",
        # its window open since the claim, a moment before the card's ts.
        async with service.deps.sessions() as session, session.begin():
            await session.execute(
                update(Delivery).values(
                    status="sending",
                    message_ts=None,
                    sent_at=None,
                    unsure_from=float(card["ts"]) - 5,
                    unsure_to=None,
                )
            )
        posts = len(service.slack.calls_to("chat.postMessage"))
        service.deps.signals.outbound.set()
        await wait_for(lambda: not service.deps.busy(), what="recovery")

        async def adopted() -> bool:
            (row,) = await rows(service, Delivery)
            return row.status == "sent"

        await wait_for(adopted, what="the delivery adopted")
        await service.settle()
        (delivery,) = await rows(service, Delivery)
        assert (delivery.status, delivery.message_ts) == ("sent", card["ts"])
        assert len(service.slack.calls_to("chat.postMessage")) == posts
        assert len(cards_of(service, payload["id"])) == 1


async def test_permanent_refusals_fail_with_the_reason(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        for channel in ("C0NOSUCH", "C0ARCHIVED", "C0LEADERS"):
            await subscribe(service, channel)
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        gumado.add_review(rating=5)
        await gumado.wait_for_deliveries()

        async def all_failed() -> bool:
            found = await rows(service, Delivery)
            return len(found) == 3 and all(d.status == "failed" for d in found)

        await wait_for(all_failed, what="three failed deliveries")
        reasons = {d.channel_id: d.last_error for d in await rows(service, Delivery)}
        assert reasons == {
            "C0NOSUCH": "channel_not_found",
            "C0ARCHIVED": "is_archived",
            "C0LEADERS": "not_in_channel",
        }


async def test_not_in_channel_joins_a_public_channel_once(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        service.slack.scopes.discard("chat:write.public")
        await subscribe(service, "C0RANDOM")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        gumado.add_review(rating=5)
        await wait_cards(service, 1, "C0RANDOM")
        assert len(service.slack.calls_to("conversations.join")) == 1
        (delivery,) = await rows(service, Delivery)
        assert delivery.status == "sent"


HOSTILE = (
    "<!channel> <!here> <@U123> *bold* <https://x|y> & <!everyone> @here "
    + "a very long review " * 600
)


async def test_hostile_review_text_makes_one_valid_harmless_card(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        text = HOSTILE[:10_000]
        assert len(text) == 10_000
        payload = gumado.add_review(
            rating=1, message=text, author="<!channel> Mallory", title="*Hey* <@U123>"
        )
        (card,) = await wait_cards(service, 1)
        assert len(cards_of(service, payload["id"])) == 1
        (call,) = service.slack.calls_to("chat.postMessage")
        assert_message_within_limits(call.args)
        # Slack parses mentions and links in mrkdwn only (top-level text, mrkdwn objects).
        parsed = [card["text"]] + [
            t["text"] for t in iter_text_objects(card["blocks"]) if t.get("type") == "mrkdwn"
        ]
        for dangerous in ("<!channel>", "<!here>", "<@U123>", "<!everyone>", "<https://x|y>"):
            assert all(dangerous not in text for text in parsed)
        assert "<!channel> Mallory" in block_texts(card)  # shown as plain text, inert
        assert "Read the full review" in block_texts(card)
