"""A card as its subscription wants it: answered or not, *Reply on …*, style and language."""

from __future__ import annotations

from typing import Any

from pipeline_helpers import block_texts, cards_of, subscribe, wait_cards
from sqlalchemy import update

from bot.blocks.card import ACTION_REPLY_REVIEW
from bot.pipeline.assembly import PIPELINE_KEY
from handlers.cards import mark_card_handled
from harness import Service, running_service
from storage.models import Subscription

JSON = dict[str, Any]
SPANISH = "El dentista llegó tarde y nadie nos explicó nada. Muy mala experiencia."


def button_ids(card: JSON) -> dict[str, JSON]:
    actions = next(b for b in card["blocks"] if b["type"] == "actions")
    return {element["action_id"]: element for element in actions["elements"]}


async def set_language(service: Service, subscription_id: int, language: str) -> None:
    async with service.deps.sessions() as session, session.begin():
        await session.execute(
            update(Subscription).where(Subscription.id == subscription_id).values(language=language)
        )


async def test_gumado_cards_say_whether_answered_and_offer_a_reply(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        open_review = gumado.add_review(rating=2, message="Nobody called back.")
        await wait_cards(service, 1)
        (card,) = cards_of(service, open_review["id"])
        assert "💬 Not answered yet" in block_texts(card)
        reply = button_ids(card)[ACTION_REPLY_REVIEW]
        assert (reply["text"]["text"], reply["url"]) == ("Reply on Google", open_review["url"])

        gumado.update_review(open_review["id"], reply_message="We are calling you today.")
        await gumado.wait_for_deliveries()
        await service.settle()
        (answered,) = cards_of(service, open_review["id"])
        assert "✅ Answered on Google" in block_texts(answered)
        assert "Not answered" not in block_texts(answered)
        assert ACTION_REPLY_REVIEW not in button_ids(answered)


async def test_cloutly_cards_say_whether_answered(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()  # the start-up poll is the baseline
        await subscribe(service, "C0REVIEWS")
        cloutly = service.sandboxes.cloutly
        new = cloutly.add_review(rating=2, text="Too slow.", reviewUrl="https://g.test/r/1")
        responded = cloutly.add_review(
            rating=5,
            text="Great.",
            status="Responded",
            response={"name": "Biz", "date": "2021-02-04", "comment": "Thank you!"},
        )
        await service.app[PIPELINE_KEY].poller.poll_now()
        await wait_cards(service, 2)
        (unanswered,) = cards_of(service, new["id"])
        assert "💬 Not answered yet" in block_texts(unanswered)
        assert button_ids(unanswered)[ACTION_REPLY_REVIEW]["url"] == "https://g.test/r/1"
        (answered,) = cards_of(service, responded["id"])
        assert "✅ Answered on" in block_texts(answered) and "Thank you!" in block_texts(answered)
        assert ACTION_REPLY_REVIEW not in button_ids(answered)


async def test_compact_style_and_the_language_line_follow_the_subscription(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", "style:compact")
        spanish_channel = await subscribe(service, "C0GENERAL")
        await set_language(service, spanish_channel, "es")
        await subscribe(service, "C0RANDOM")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        review = gumado.add_review(rating=2, message=SPANISH, author="<!channel> Ana")
        for channel in ("C0REVIEWS", "C0GENERAL", "C0RANDOM"):
            await wait_cards(service, 1, channel)

        (compact,) = cards_of(service, review["id"], "C0REVIEWS")
        assert [b["block_id"] for b in compact["blocks"]] == ["card_compact", "card_actions"]
        line = compact["blocks"][0]["text"]
        assert line["type"] == "plain_text"
        assert line["text"].startswith("★★☆☆☆ 2/5 · <!channel> Ana · Google · ")
        assert "🌐 Spanish" in line["text"] and line["text"].endswith("\n" + SPANISH)
        (english,) = cards_of(service, review["id"], "C0RANDOM")
        assert "🌐 Spanish" in block_texts(english)
        (spanish,) = cards_of(service, review["id"], "C0GENERAL")
        assert "🌐" not in block_texts(spanish)

        # Marking a compact card handled keeps it compact.
        assert await mark_card_handled(
            service.deps,
            team_id="T0DEMO",
            channel_id="C0REVIEWS",
            message_ts=compact["ts"],
            delivery_id=compact["metadata"]["event_payload"]["delivery_id"],
            user_id="U0FRONT",
        )
        (handled,) = cards_of(service, review["id"], "C0REVIEWS")
        assert [b["block_id"] for b in handled["blocks"]] == [
            "card_compact",
            "card_handled",
            "card_actions",
        ]
