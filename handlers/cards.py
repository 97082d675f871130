"""The review card's buttons: *Mark handled* and *View review* (*Request a review…*: invites)."""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackClientError

from bot.blocks.card import build_handled_card
from bot.deps import Deps
from bot.log import get_logger
from bot.services.cards import HandledCard, mark_handled, redraw_later
from handlers.errors import spawn_reported
from handlers.ids import (
    ACTION_MARK_HANDLED,
    ACTION_REMINDER_REPLY,
    ACTION_REPLY_REVIEW,
    ACTION_VIEW_REVIEW,
)

__all__ = ["mark_card_handled", "register"]

log = get_logger(__name__)

CARD_GONE = (
    "I couldn't find that review card any more (it may be from an older install). "
    "Nothing was changed."
)


def _where(body: dict[str, Any]) -> tuple[str, str, str, str | None]:
    """(team id, user id, channel id, message ts) of a block_actions payload."""
    container = body.get("container") or {}
    channel_id = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    team_id = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    message_ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return str(team_id), str(body["user"]["id"]), str(channel_id), message_ts


async def _mark_handled(
    deps: Deps, respond: AsyncRespond, body: dict[str, Any], value: str
) -> None:
    team_id, user_id, channel_id, message_ts = _where(body)
    found = False
    if value.isdecimal() and message_ts:
        found = await mark_card_handled(
            deps,
            team_id=team_id,
            channel_id=channel_id,
            message_ts=str(message_ts),
            delivery_id=int(value),
            user_id=user_id,
        )
    if not found:
        await respond(text=CARD_GONE, response_type="ephemeral", replace_original=False)


async def mark_card_handled(
    deps: Deps,
    *,
    team_id: str,
    channel_id: str,
    message_ts: str,
    delivery_id: int,
    user_id: str,
) -> bool:
    """Record who handled a card and edit it to say so; False when there is no such card."""
    marked = await mark_handled(
        deps,
        team_id=team_id,
        channel_id=channel_id,
        message_ts=message_ts,
        delivery_id=delivery_id,
        user_id=user_id,
    )
    if marked.card is not None:
        await _redraw(deps, marked.card, team_id, channel_id, message_ts, delivery_id, user_id)
    return marked.found


async def _redraw(
    deps: Deps,
    handled: HandledCard,
    team_id: str,
    channel_id: str,
    message_ts: str,
    delivery_id: int,
    user_id: str,
) -> None:
    """Edit the card to say who handled it; if Slack refuses, the sender redraws it later."""
    card = build_handled_card(
        handled.review,
        handled_by=user_id,
        organization_name=handled.organization_name,
        location_name=handled.location_name,
        mentions=handled.mentions,
        delivery_id=delivery_id,
        style=handled.look.style,
        home_language=handled.look.home_language,
    )
    try:
        client = deps.slack_client(team_id)
        await client.chat_update(
            channel=channel_id,
            ts=message_ts,
            text=card["text"],
            blocks=card["blocks"],
            metadata=card.get("metadata"),
        )
    except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError, LookupError) as exc:
        # The click is recorded; the sender's update pass redraws the card.
        log.warning("mark_handled_update_failed", delivery_id=delivery_id, error=type(exc).__name__)
        await redraw_later(deps, delivery_id)


async def mark_handled_clicked(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, deps: Deps
) -> None:
    """*Mark handled*: record who handled the review and edit the card to say so."""
    await ack()
    value = str(action.get("value") or "")
    spawn_reported(
        deps, _mark_handled(deps, respond, body, value), respond=respond, name="mark_handled"
    )


async def view_review_clicked(ack: AsyncAck) -> None:
    """*View review* and *Reply on …* are link buttons: Slack opens the URL; the click only
    needs an ack."""
    await ack()


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the card's own buttons."""
    app.action(ACTION_MARK_HANDLED)(mark_handled_clicked)
    app.action(ACTION_VIEW_REVIEW)(view_review_clicked)
    app.action(ACTION_REPLY_REVIEW)(view_review_clicked)
    app.action(ACTION_REMINDER_REPLY)(view_review_clicked)
