"""Subscriptions: ``/reviews subscribe|unsubscribe|subscriptions``, the form, the *Remove* buttons."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.subscribe_modal import build_subscribe_notice
from bot.blocks.subscribe_state import parse_subscribe_state
from bot.blocks.subscriptions import (
    build_notes,
    build_subscribed,
    build_subscription_list,
    build_unsubscribed,
    subscription_id_of_action,
)
from bot.deps import Deps
from bot.errors import UserError
from bot.services.directory import Directory, MentionError
from bot.services.permissions import shows_admin_controls
from bot.services.subscribe_form import (
    open_subscribe_form,
    read_form_context,
    submit_subscribe_form,
)
from bot.services.subscriptions import (
    list_channel_subscriptions,
    parse_subscribe_text,
    require_admin,
    subscribe,
    unsubscribe,
)
from handlers.errors import spawn_reported
from handlers.ids import ACTION_REMOVE_SUBSCRIPTION, BLOCK_SUB_GROUPS, CALLBACK_SUBSCRIBE
from handlers.subcommands import SlashRequest, subcommand

__all__ = ["register"]

REMOVE_ACTION = re.compile(rf"^{re.escape(ACTION_REMOVE_SUBSCRIPTION)}:\d+$")
# The submission must be answered within 3 s; handles are usually cached from when the form
# opened, and past this a slow lookup is left to the background (errors then come as a message).
HANDLE_LOOKUP_SECONDS = 1.5


@subcommand(
    "subscribe",
    "send review cards to this channel: `all`, filters, or no words for a form (admins)",
    '/reviews subscribe org:"Acme Dental" location:3 rating:<=3 source:Google,Yelp '
    "mention:@frontdesk alert:<=2",
    aliases=("sub",),
)
async def subscribe_command(request: SlashRequest) -> None:
    """No words: the form. Words: subscribe to what they say and announce it in the channel."""
    if not request.text.strip():
        try:
            await open_subscribe_form(
                request.deps,
                request.directory,
                request.client,
                team_id=request.team_id,
                channel_id=request.channel_id,
                user_id=request.user_id,
                trigger_id=request.trigger_id,
                response_url=request.response_url,
            )
        except UserError as exc:
            await request.note(exc.user_message())
        return
    try:
        await require_admin(
            request.deps,
            request.directory,
            request.client,
            team_id=request.team_id,
            user_id=request.user_id,
        )
        chosen = parse_subscribe_text(request.text)
        result = await subscribe(
            request.deps,
            request.directory,
            request.client,
            team_id=request.team_id,
            channel_id=request.channel_id,
            user_id=request.user_id,
            chosen=chosen,
        )
    except UserError as exc:
        await request.note(exc.user_message())
        return
    if result.created:
        announcement = build_subscribed(
            channel_id=request.channel_id,
            user_id=request.user_id,
            subscription_id=result.subscription_id,
            description=result.description,
        )
        await request.tell(announcement, in_channel=True)
    if result.notes:
        await request.tell(build_notes(result.notes))


@subcommand(
    "unsubscribe",
    "stop one subscription of this channel, or `all` of them (admins)",
    "/reviews unsubscribe 3",
    aliases=("unsub",),
)
async def unsubscribe_command(request: SlashRequest) -> None:
    """Remove one subscription (or ``all``) and say so in the channel."""
    try:
        await require_admin(
            request.deps,
            request.directory,
            request.client,
            team_id=request.team_id,
            user_id=request.user_id,
        )
        removed = await unsubscribe(
            request.deps,
            team_id=request.team_id,
            channel_id=request.channel_id,
            target=request.text,
        )
    except UserError as exc:
        await request.note(exc.user_message())
        return
    message = build_unsubscribed(
        channel_id=request.channel_id, user_id=request.user_id, removed=removed
    )
    await request.tell(message, in_channel=True)


@subcommand(
    "subscriptions",
    "this channel's subscriptions, with Remove buttons",
    "/reviews subscriptions",
    aliases=("subs",),
)
async def subscriptions_command(request: SlashRequest) -> None:
    """The channel's subscriptions, privately (Remove buttons for admins)."""
    lines = await list_channel_subscriptions(
        request.deps, team_id=request.team_id, channel_id=request.channel_id
    )
    can_remove = bool(lines) and await shows_admin_controls(
        request.deps.settings,
        request.directory,
        request.client,
        team_id=request.team_id,
        user_id=request.user_id,
    )
    await request.tell(build_subscription_list(request.channel_id, lines, can_remove=can_remove))


async def subscribe_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: Deps,
    directory: Directory,
) -> None:
    """Validate the subscription form (errors inline), close it, then subscribe."""
    choice = parse_subscribe_state((view.get("state") or {}).get("values") or {})
    if choice.errors:
        await ack(response_action="errors", errors=choice.errors)
        return
    context = read_form_context(view.get("private_metadata"))
    if context is None:
        notice = build_subscribe_notice(
            "This form lost track of its channel. Run `/reviews subscribe` in the channel again."
        )
        await ack(response_action="update", view=notice)
        return
    team_id = str((body.get("team") or {}).get("id") or view.get("team_id") or "")
    user_id = str(body["user"]["id"])
    if any(m.kind == "handle" for m in choice.filter.mentions):
        try:
            await asyncio.wait_for(
                directory.resolve_mentions(client, team_id, choice.filter.mentions),
                timeout=HANDLE_LOOKUP_SECONDS,
            )
        except MentionError as exc:
            message = f"@{exc.handle}: {exc.reason}"
            await ack(response_action="errors", errors={BLOCK_SUB_GROUPS: message[:150]})
            return
        except (SlackApiError, TimeoutError):
            pass  # resolved again after the ack; a problem then arrives as a message
    await ack()
    respond = AsyncRespond(response_url=context.response_url) if context.response_url else None
    work = submit_subscribe_form(
        deps,
        directory,
        client,
        team_id=team_id,
        user_id=user_id,
        context=context,
        choice=choice,
        respond=respond,
    )
    spawn_reported(deps, work, respond=respond, name="subscribe_form_submitted")


def _where(body: dict[str, Any]) -> tuple[str, str, str]:
    """(team id, user id, channel id) of a block_actions payload."""
    container = body.get("container") or {}
    channel_id = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    team_id = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    return str(team_id), str(body["user"]["id"]), str(channel_id)


async def _remove(
    deps: Deps,
    directory: Directory,
    client: AsyncWebClient,
    respond: AsyncRespond,
    body: dict[str, Any],
    subscription_id: int,
) -> None:
    team_id, user_id, channel_id = _where(body)
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


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the subscription form and the list's *Remove* buttons (subcommands: above)."""
    app.view(CALLBACK_SUBSCRIBE)(subscribe_submitted)
    app.action(REMOVE_ACTION)(remove_subscription_clicked)
