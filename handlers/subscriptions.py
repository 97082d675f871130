"""Subscriptions: ``/reviews subscribe|unsubscribe|subscriptions|test``, the form, *Remove*."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.subscribe_modal import (
    CatalogOption,
    build_subscribe_modal,
    build_subscribe_notice,
)
from bot.blocks.subscribe_state import parse_subscribe_state
from bot.blocks.subscriptions import (
    build_notes,
    build_subscribed,
    build_subscription_list,
    build_unsubscribed,
    subscription_id_of_action,
)
from bot.blocks.test_card import build_test_card, build_test_routing
from bot.deps import Deps
from bot.errors import SlackRefused, UserError
from bot.filters import Filter
from bot.log import get_logger
from bot.services.actor import Actor
from bot.services.backfill import backfill, backfill_message
from bot.services.channel_test import channel_test
from bot.services.directory import Directory, MentionError
from bot.services.permissions import shows_admin_controls
from bot.services.subscribe_form import FormContext, read_form_context, subscribe_form_data
from bot.services.subscriptions import (
    CatalogEntry,
    Subscribed,
    list_channel_subscriptions,
    parse_subscribe_text,
    require_admin,
    subscribe,
    unsubscribe,
)
from handlers.actors import actor_of, channel_of, state_values
from handlers.errors import spawn_reported
from handlers.ids import ACTION_REMOVE_SUBSCRIPTION, BLOCK_SUB_GROUPS, CALLBACK_SUBSCRIBE
from handlers.subcommands import SlashRequest, subcommand

__all__ = ["fill_subscribe_form", "register"]

log = get_logger(__name__)

REMOVE_ACTION = re.compile(rf"^{re.escape(ACTION_REMOVE_SUBSCRIPTION)}:\d+$")
# The submission must be answered within 3 s; handles are usually cached from when the form
# opened, and past this a slow lookup is left to the background (errors then come as a message).
HANDLE_LOOKUP_SECONDS = 1.5


Tell = Callable[[dict[str, Any], bool], Awaitable[None]]
"""Post a message privately, or in the channel when the flag says so."""


async def _subscribe_and_announce(
    deps: Deps, actor: Actor, tell: Tell, chosen: Filter | str, connection_id: int | None = None
) -> None:
    """Subscribe (admins; ``chosen`` as typed or from the form), then say so in the channel."""
    assert actor.channel_id is not None
    try:
        await require_admin(deps, actor)
        if isinstance(chosen, str):
            chosen = parse_subscribe_text(chosen)
        result = await subscribe(deps, actor, chosen=chosen, connection_id=connection_id)
    except UserError as exc:
        await tell(build_notes([exc.user_message()]), False)
        return
    await _announce(actor, tell, result)
    if chosen.backfill is not None:
        done = await backfill(
            deps,
            team_id=actor.team_id,
            channel_id=actor.channel_id,
            subscription_id=result.subscription_id,
            wanted=result.stored,
            connection_id=result.connection_id,
            request=chosen.backfill,
        )
        await tell(build_notes([backfill_message(done)]), False)


async def _announce(actor: Actor, tell: Tell, result: Subscribed) -> None:
    assert actor.channel_id is not None
    if result.created:
        announcement = build_subscribed(
            channel_id=actor.channel_id,
            user_id=actor.user_id,
            subscription_id=result.subscription_id,
            description=result.description,
        )
        await tell(announcement, True)
    if result.notes:
        await tell(build_notes(result.notes), False)


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
        await _open_form(request)
        return

    async def tell(message: dict[str, Any], in_channel: bool) -> None:
        await request.tell(message, in_channel=in_channel)

    await _subscribe_and_announce(request.deps, request.actor, tell, request.text)


async def _open_form(request: SlashRequest) -> None:
    """Open the modal (loading), then show the form, a refusal or the channel problem."""
    context = FormContext(request.channel_id, request.response_url)
    notice = build_subscribe_notice("Loading organizations…", private_metadata=context.dump())
    try:
        opened = await request.client.views_open(trigger_id=request.trigger_id, view=notice)
    except SlackApiError as exc:
        error = str(exc.response.get("error") if exc.response else "unknown_error")
        log.warning("subscribe_modal_open_failed", error=error)
        await request.note(
            f"Slack didn't let me open the form ({error}); run `/reviews subscribe` again, "
            "or subscribe with words such as `/reviews subscribe all`."
        )
        return
    view = opened["view"]
    await fill_subscribe_form(
        request.deps, request.actor, request.client, str(view["id"]), view.get("hash"), context
    )


def _options(entries: Iterable[CatalogEntry]) -> list[CatalogOption]:
    return [
        CatalogOption(
            e.connection_id, e.connection_name, e.platform_id, e.name, e.organization_platform_id
        )
        for e in entries
    ]


async def fill_subscribe_form(
    deps: Deps,
    actor: Actor,
    client: AsyncWebClient,
    view_id: str,
    view_hash: str | None,
    context: FormContext,
) -> None:
    """Replace the open modal ``view_id`` (a loading notice) with the form, or why there is none."""
    metadata = context.dump()
    try:
        data = await subscribe_form_data(deps, actor)
    except UserError as exc:
        notice = build_subscribe_notice(exc.user_message(), private_metadata=metadata)
        await client.views_update(view_id=view_id, view=notice)
        return
    view = build_subscribe_modal(
        channel_id=context.channel_id,
        organizations=_options(data.catalog.organizations),
        locations=_options(data.catalog.locations),
        sources=data.sources,
        private_metadata=metadata,
    )
    await client.views_update(view_id=view_id, hash=view_hash, view=view)


@subcommand(
    "unsubscribe",
    "stop one subscription of this channel, or `all` of them (admins)",
    "/reviews unsubscribe 3",
    aliases=("unsub",),
)
async def unsubscribe_command(request: SlashRequest) -> None:
    """Remove one subscription (or ``all``) and say so in the channel."""
    try:
        await require_admin(request.deps, request.actor)
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
    can_remove = bool(lines) and await shows_admin_controls(request.deps.settings, request.actor)
    await request.tell(build_subscription_list(request.channel_id, lines, can_remove=can_remove))


@subcommand(
    "test",
    "post a sample card here (marked as a test, nobody pinged) and see which subscriptions "
    "it matches and whom they would mention",
    "/reviews test rating:1",
)
async def test_command(request: SlashRequest) -> None:
    """The sample card in the channel, then privately the routing it would get."""
    try:
        check = await channel_test(request.deps, request.actor, text=request.text)
    except UserError as exc:
        await request.note(exc.user_message())
        return
    await request.tell(build_test_card(check), in_channel=True)
    await request.tell(build_test_routing(check))


def _form_teller(client: AsyncWebClient, respond: AsyncRespond | None, actor: Actor) -> Tell:
    """Through the command's response_url when the form has one, else through the Web API."""
    channel_id = actor.channel_id or ""

    async def tell(message: dict[str, Any], in_channel: bool) -> None:
        if respond is not None:
            response_type = "in_channel" if in_channel else "ephemeral"
            await respond(**message, response_type=response_type, replace_original=False)
        elif in_channel:
            await client.chat_postMessage(channel=channel_id, **message)
        else:
            await client.chat_postEphemeral(channel=channel_id, user=actor.user_id, **message)

    return tell


async def subscribe_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: Deps,
    directory: Directory,
) -> None:
    """Validate the subscription form (errors inline), close it, then subscribe."""
    choice = parse_subscribe_state(state_values(view))
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
    actor = actor_of(body, client, directory, team_id=team_id, channel_id=context.channel_id)
    if any(m.kind == "handle" for m in choice.filter.mentions):
        try:
            await asyncio.wait_for(
                directory.resolve_mentions(actor.client, team_id, choice.filter.mentions),
                timeout=HANDLE_LOOKUP_SECONDS,
            )
        except MentionError as exc:
            message = f"@{exc.handle}: {exc.reason}"
            await ack(response_action="errors", errors={BLOCK_SUB_GROUPS: message[:150]})
            return
        except (SlackRefused, TimeoutError):
            pass  # resolved again after the ack; a problem then arrives as a message
    await ack()
    respond = AsyncRespond(response_url=context.response_url) if context.response_url else None
    tell = _form_teller(client, respond, actor)
    work = _subscribe_and_announce(deps, actor, tell, choice.filter, choice.connection_id)
    spawn_reported(deps, work, respond=respond, name="subscribe_form_submitted")


async def _remove(deps: Deps, actor: Actor, respond: AsyncRespond, subscription_id: int) -> None:
    channel_id = actor.channel_id or ""
    removed: list[tuple[int, str]] = []
    problem: str | None = None
    try:
        await require_admin(deps, actor)
        removed = await unsubscribe(
            deps, team_id=actor.team_id, channel_id=channel_id, target=str(subscription_id)
        )
    except UserError as exc:
        problem = exc.user_message()
    lines = await list_channel_subscriptions(deps, team_id=actor.team_id, channel_id=channel_id)
    can_remove = await shows_admin_controls(deps.settings, actor)
    listing = build_subscription_list(channel_id, lines, can_remove=can_remove)
    await respond(**listing, response_type="ephemeral", replace_original=True)
    if problem is not None:
        await respond(**build_notes([problem]), response_type="ephemeral", replace_original=False)
    elif removed:
        note = build_unsubscribed(channel_id=channel_id, user_id=actor.user_id, removed=removed)
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
    actor = actor_of(body, client, directory, channel_id=channel_of(body) or "")
    work = _remove(deps, actor, respond, subscription_id)
    spawn_reported(deps, work, respond=respond, name="remove_subscription")


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the subscription form and the list's *Remove* buttons (subcommands: above)."""
    app.view(CALLBACK_SUBSCRIBE)(subscribe_submitted)
    app.action(REMOVE_ACTION)(remove_subscription_clicked)
