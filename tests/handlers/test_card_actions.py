"""The review card's buttons, the *Request a review* shortcut, and the Events API listeners."""

from __future__ import annotations

from typing import Any

from surface_helpers import all_text, interact, post_slack, run_slash

from bot.blocks.ids import (
    ACTION_MARK_HANDLED,
    ACTION_REQUEST_REVIEW,
    ACTION_VIEW_REVIEW,
    BLOCK_ACTIONS,
    CALLBACK_INVITE,
)
from handlers.ids import SHORTCUT_REQUEST_REVIEW
from harness import Service, running_service, wait_for
from sandbox.signing import block_actions_payload, event_body, shortcut_payload

JSON = dict[str, Any]


def _cards(service: Service) -> list[JSON]:
    return [m for m in service.slack.messages("C0REVIEWS") if m.get("metadata")]


async def _one_card(service: Service) -> JSON:
    await run_slash(service, "subscribe all")
    gumado = service.sandboxes.gumado
    gumado.register_webhook(service.webhook_url)
    gumado.add_review(rating=1, author="Sam", message="Cold coffee")
    await gumado.wait_for_deliveries()
    await wait_for(lambda: bool(_cards(service)), what="the review card")
    await service.settle()
    [card] = _cards(service)
    return card


def _button(card: JSON, action_id: str) -> JSON:
    actions = next(b for b in card["blocks"] if b.get("block_id") == BLOCK_ACTIONS)
    return next(e for e in actions["elements"] if e["action_id"] == action_id)


async def test_mark_handled_edits_the_card(database_url: str) -> None:
    async with running_service(database_url) as service:
        card = await _one_card(service)
        button = _button(card, ACTION_MARK_HANDLED)
        url = service.slack.new_response_url(channel="C0REVIEWS", user_id="U0FRONT")
        payload = block_actions_payload(
            ACTION_MARK_HANDLED,
            value=button["value"],
            block_id=BLOCK_ACTIONS,
            message=card,
            user_id="U0FRONT",
            response_url=url,
        )
        assert await interact(service, payload) is None
        await service.settle()
        [edited] = _cards(service)
        assert edited["ts"] == card["ts"]
        assert "Handled by <@U0FRONT>" in all_text(edited["blocks"])
        assert all(
            e["action_id"] != ACTION_MARK_HANDLED
            for e in next(b for b in edited["blocks"] if b.get("block_id") == BLOCK_ACTIONS)[
                "elements"
            ]
        )
        assert service.slack.responses(url) == []

        # A card that is not ours (wrong delivery id): a private explanation, nothing edited.
        forged = block_actions_payload(
            ACTION_MARK_HANDLED, value="999999", message=card, response_url=url
        )
        await interact(service, forged)
        await service.settle()
        assert "couldn't find that review card" in all_text(service.slack.responses(url))


async def test_view_and_request_buttons_and_the_shortcut(database_url: str) -> None:
    async with running_service(database_url) as service:
        card = await _one_card(service)
        view_button = _button(card, ACTION_VIEW_REVIEW)
        assert view_button["url"].startswith("http")
        await interact(service, block_actions_payload(ACTION_VIEW_REVIEW, message=card))

        request = _button(card, ACTION_REQUEST_REVIEW)
        await interact(
            service,
            block_actions_payload(ACTION_REQUEST_REVIEW, value=request["value"], message=card),
        )
        await interact(service, shortcut_payload(SHORTCUT_REQUEST_REVIEW))
        await service.settle()
        opened = [
            call.args["view"]
            for call in service.slack.calls_to("views.open")
            if call.args["view"]["callback_id"] == CALLBACK_INVITE
        ]
        assert len(opened) == 2  # the invite modal (tests/handlers/test_invite_*.py)
        assert "Customer's email" in all_text(opened[0]["blocks"])


async def test_events_are_acknowledged(database_url: str) -> None:
    async with running_service(database_url) as service:
        for number, event in enumerate(
            [
                {"type": "app_home_opened", "user": "U0ADMIN", "channel": "D0ADMIN", "tab": "home"},
                {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}},
                {"type": "app_uninstalled"},
            ]
        ):
            status, _ = await post_slack(service, event_body(event, event_id=f"Ev{number:08d}"))
            assert status == 200, event["type"]
        await service.settle()
