"""Buttons: the review card's (*Mark handled*, *View review*, *Request a review…*) and Remove."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.subscriptions import (
    build_notes,
    build_subscription_list,
    build_unsubscribed,
    subscription_id_of_action,
)
from bot.deps import Deps
from bot.errors import UserError
from bot.services.cards import mark_handled
from bot.services.directory import Directory
from bot.services.permissions import shows_admin_controls
from bot.services.subscriptions import (
    list_channel_subscriptions,
    require_admin,
    unsubscribe,
)
from handlers.errors import spawn_reported
from handlers.ids import (
    ACTION_MARK_HANDLED,
    ACTION_REMOVE_SUBSCRIPTION,
    ACTION_REQUEST_REVIEW,
    ACTION_VIEW_REVIEW,
)
from handlers.invites import request_review_clicked

__all__ = ["register"]

REMOVE_ACTION = re.compile(rf"^{re.escape(ACTION_REMOVE_SUBSCRIPTION)}:\d+$")
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
        found = await mark_handled(
            deps,
            team_id=team_id,
            channel_id=channel_id,
            message_ts=str(message_ts),
            delivery_id=int(value),
            user_id=user_id,
        )
    if not found:
        await respond(text=CARD_GONE, response_type="ephemeral", replace_original=False)


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
    """*View review* is a link button: Slack opens the URL; the click only needs an ack."""
    await ack()


async def _remove(
    deps: Deps,
    directory: Directory,
    client: AsyncWebClient,
    respond: AsyncRespond,
    body: dict[str, Any],
    subscription_id: int,
) -> None:
    team_id, user_id, channel_id, _ = _where(body)
    removed: list[tuple[int, str]] = []
    problem: str | None = None
    try:
        await require_admin(deps, directory, client, team_id=team_id, user_id=user_id)
        removed = await unsubscribe(
            deps, team_id=team_id, channel_id=channel_id, target=str(subscription_id)
        )
    except UserError as exc:
        problem = exc.user_message()
    lines = await list_channel_subscriptions(deps, team_id=team_id, channel_id=channel_id)
    can_remove = await shows_admin_controls(
        deps.settings, directory, client, team_id=team_id, user_id=user_id
    )
    listing = build_subscription_list(channel_id, lines, can_remove=can_remove)
    await respond(**listing, response_type="ephemeral", replace_original=True)
    if problem is not None:
        await respond(**build_notes([problem]), response_type="ephemeral", replace_original=False)
    elif removed:
        note = build_unsubscribed(channel_id=channel_id, user_id=user_id, removed=removed)
        await respond(**note, response_type="in_channel", replace_original=False)


async def remove_subscription_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    deps: Deps,
    directory: Directory,
) -> None:
    """A subscription list's *Remove*: delete it, then redraw the list in place."""
    await ack()
    subscription_id = subscription_id_of_action(str(action.get("action_id") or ""))
    if subscription_id is None:
        return
    work = _remove(deps, directory, client, respond, body, subscription_id)
    spawn_reported(deps, work, respond=respond, name="remove_subscription")


def register(app: AsyncApp) -> None:
    """Attach the button listeners."""
    app.action(ACTION_MARK_HANDLED)(mark_handled_clicked)
    app.action(ACTION_VIEW_REVIEW)(view_review_clicked)
    app.action(ACTION_REQUEST_REVIEW)(request_review_clicked)
    app.action(REMOVE_ACTION)(remove_subscription_clicked)
