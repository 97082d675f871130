"""Connections: ``/reviews connect`` / ``disconnect``, Home's *Connect an account*, the modal,
its submission and the disconnect confirmation's buttons."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.connect_modal import (
    build_connect_modal,
    build_connect_notice,
    build_connected_message,
    build_connected_notice,
    build_disconnect_prompt,
    build_disconnect_result,
    connect_block_errors,
    read_connect_values,
)
from bot.blocks.subscriptions import build_notes
from bot.deps import Deps
from bot.errors import UserError
from bot.log import get_logger
from bot.providers.registry import platform_infos, platform_label
from bot.results import ConnectValues
from bot.services.actor import Actor
from bot.services.connect_form import (
    ConnectContext,
    ConnectOutcome,
    connect,
    connection_names,
    disconnect,
    prepare_disconnect,
)
from bot.services.directory import Directory
from bot.text import escape_mrkdwn
from handlers.acks import ack_within
from handlers.actors import actor_of, state_values
from handlers.errors import sorry_for_request, spawn_reported
from handlers.home import publish_home
from handlers.ids import (
    ACTION_DISCONNECT_CANCEL,
    ACTION_DISCONNECT_CONFIRM,
    ACTION_HOME_CONNECT,
    CALLBACK_CONNECT,
)
from handlers.subcommands import SlashRequest, subcommand

__all__ = ["register"]

log = get_logger(__name__)

INLINE_SECONDS = 1.8
"""How long a submission waits for the platform's answer so that its ack can show inline
errors; past this (Slack allows 3 s) the modal says "Checking…" and is updated later."""


def _team(body: dict[str, Any]) -> str:
    return str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or "")


async def _note(respond: AsyncRespond, text: str) -> None:
    await respond(**build_notes([text]), response_type="ephemeral", replace_original=False)


async def open_connect_form(
    deps: Deps, actor: Actor, client: AsyncWebClient, trigger_id: str, context: ConnectContext
) -> None:
    """Open the modal at once (the trigger id lives 3 s), then show the form or a refusal.

    UserError when Slack would not open the modal.
    """
    metadata = context.dump()
    try:
        opened = await client.views_open(
            trigger_id=trigger_id,
            view=build_connect_notice("Loading…", private_metadata=metadata),
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error") if exc.response else "unknown_error")
        log.warning("connect_modal_open_failed", error=error)
        raise UserError(
            f"Slack didn't let me open the form ({error}); run `/reviews connect` again."
        ) from None
    view_id = str(opened["view"]["id"])
    try:
        existing = await connection_names(deps, actor)
    except UserError as exc:
        notice = build_connect_notice(exc.user_message(), private_metadata=metadata)
        await client.views_update(view_id=view_id, view=notice)
        return
    form = build_connect_modal(
        platforms=platform_infos(), private_metadata=metadata, existing=existing
    )
    await client.views_update(view_id=view_id, hash=opened["view"].get("hash"), view=form)


@subcommand("connect", "connect a Gumado or Cloutly account (admins)", "/reviews connect")
async def connect_command(request: SlashRequest) -> None:
    """``/reviews connect``: open the modal (after the ack; the trigger id lives 3 s)."""
    context = ConnectContext(request.channel_id, request.response_url, "command")
    try:
        await open_connect_form(
            request.deps, request.actor, request.client, request.trigger_id, context
        )
    except UserError as exc:
        await _note(request.respond, exc.user_message())


@subcommand("disconnect", "remove a connection (admins)", "/reviews disconnect cloutly")
async def disconnect_command(request: SlashRequest) -> None:
    """``/reviews disconnect <name>``: a private confirmation with buttons."""
    try:
        found = await prepare_disconnect(request.deps, request.actor, request.text)
    except UserError as exc:
        await _note(request.respond, exc.user_message())
        return
    prompt = build_disconnect_prompt(
        connection_id=found.connection_id,
        name=found.name,
        platform=found.platform,
        platforms=platform_infos(),
        own_subscriptions=found.own_subscriptions,
        has_webhook=found.has_webhook,
    )
    await request.respond(**prompt, response_type="ephemeral")


async def _announce(
    deps: Deps,
    actor: Actor,
    client: AsyncWebClient,
    outcome: ConnectOutcome,
    context: ConnectContext,
) -> None:
    """The lasting private message (the modal's copy goes when it closes); a fresh Home tab.

    Through the command's response_url when there is one, else as a direct message.
    """
    assert outcome.connected is not None
    message = build_connected_message(outcome.connected)
    if context.response_url:
        respond = AsyncRespond(response_url=context.response_url)
        await respond(**message, response_type="ephemeral", replace_original=False)
    else:
        opened = await client.conversations_open(users=actor.user_id)
        await client.chat_postMessage(channel=opened["channel"]["id"], **message)
    if context.origin == "home":
        await publish_home(deps, actor, client)


def _form_again(
    values: ConnectValues, context: ConnectContext, errors: dict[str, str]
) -> dict[str, Any]:
    problem = " ".join(escape_mrkdwn(text) for text in errors.values())
    return build_connect_modal(
        platforms=platform_infos(),
        private_metadata=context.dump(),
        problem=problem + " Nothing was saved; paste the token again.",
        platform=values.platform,
        name=values.name,
    )


async def _finish_later(
    deps: Deps,
    actor: Actor,
    client: AsyncWebClient,
    task: asyncio.Task[ConnectOutcome],
    *,
    view_id: str,
    values: ConnectValues,
    context: ConnectContext,
) -> None:
    """The slow path: the modal said "Checking…"; show how it went there, then confirm.

    The admin may have closed the modal meanwhile: views.update then fails, which is no error,
    and a connection that was saved is still announced by message.
    """
    try:
        outcome = await task
    except Exception:
        with contextlib.suppress(SlackApiError):
            await client.views_update(
                view_id=view_id, view=build_connect_notice(sorry_for_request())
            )
        raise
    if outcome.connected is not None:
        view = build_connected_notice(outcome.connected)
    elif outcome.errors:
        view = _form_again(values, context, outcome.errors)
    else:
        view = build_connect_notice(outcome.problem or sorry_for_request())
    with contextlib.suppress(SlackApiError):
        await client.views_update(view_id=view_id, view=view)
    if outcome.connected is not None:
        await _announce(deps, actor, client, outcome, context)


async def connect_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: Deps,
    directory: Directory,
) -> None:
    """Check the form, check the token live (inline error if refused), save, show the result."""
    values, errors = read_connect_values(state_values(view), platform_infos())
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    context = ConnectContext.load(view.get("private_metadata"))
    actor = actor_of(body, client, directory, team_id=_team(body))
    task = deps.spawn(connect(deps, actor, values), name="connect_check")
    # The platform's answer decides the ack (inline token error, or the result), so it is
    # awaited here, bounded well inside Slack's 3 s; a slower check finishes in the background.
    race = await ack_within(INLINE_SECONDS, task)
    if not race.finished:
        checking = f"Checking the token with {platform_label(values.platform or '')}…"
        await ack(
            response_action="update",
            view=build_connect_notice(checking, private_metadata=context.dump()),
        )
        work = _finish_later(
            deps,
            actor,
            client,
            task,
            view_id=str(view.get("id") or ""),
            values=values,
            context=context,
        )
        spawn_reported(deps, work, respond=None, name="connect_finish")
        return
    if race.failed:
        await ack(response_action="update", view=build_connect_notice(sorry_for_request()))
        return
    outcome = race.result()
    if outcome.errors:
        await ack(response_action="errors", errors=connect_block_errors(outcome.errors))
    elif outcome.connected is not None:
        await ack(response_action="update", view=build_connected_notice(outcome.connected))
        work2 = _announce(deps, actor, client, outcome, context)
        spawn_reported(deps, work2, respond=None, name="connect_announce")
    else:
        await ack(
            response_action="update",
            view=build_connect_notice(outcome.problem or sorry_for_request()),
        )


async def _disconnect(deps: Deps, actor: Actor, respond: AsyncRespond, connection_id: int) -> None:
    try:
        text = await disconnect(deps, actor, connection_id)
    except UserError as exc:
        text = exc.user_message()
    await respond(**build_disconnect_result(text), response_type="ephemeral", replace_original=True)


async def disconnect_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    deps: Deps,
    directory: Directory,
) -> None:
    """*Disconnect* on the confirmation: remove the connection, then say so in its place."""
    await ack()
    value = str(action.get("value") or "")
    if not value.isdecimal() or len(value) > 12:
        return
    actor = actor_of(body, client, directory, team_id=_team(body))
    work = _disconnect(deps, actor, respond, int(value))
    spawn_reported(deps, work, respond=respond, name="disconnect")


async def disconnect_cancelled(ack: AsyncAck, respond: AsyncRespond, deps: Deps) -> None:
    """*Keep it*: the confirmation says nothing changed."""
    await ack()
    work = respond(
        **build_disconnect_result("Nothing was disconnected."),
        response_type="ephemeral",
        replace_original=True,
    )
    spawn_reported(deps, work, respond=None, name="disconnect_cancelled")


async def _open_from_home(
    deps: Deps, directory: Directory, client: AsyncWebClient, body: dict[str, Any]
) -> None:
    actor = actor_of(body, client, directory, team_id=_team(body))
    trigger_id = str(body.get("trigger_id") or "")
    try:
        await open_connect_form(deps, actor, client, trigger_id, ConnectContext(origin="home"))
    except UserError as exc:
        # The Home tab has no response_url; the modal could not open, so the log says why.
        log.warning("home_connect_not_opened", reason=exc.user_message())


async def home_connect_clicked(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps, directory: Directory
) -> None:
    """Home's *Connect an account*: the connect modal; the result comes as a direct message."""
    await ack()
    work = _open_from_home(deps, directory, client, body)
    spawn_reported(deps, work, respond=None, name="home_connect")


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the modal, Home's button and the disconnect buttons (subcommands: above)."""
    app.action(ACTION_HOME_CONNECT)(home_connect_clicked)
    app.view(CALLBACK_CONNECT)(connect_submitted)
    app.action(ACTION_DISCONNECT_CONFIRM)(disconnect_clicked)
    app.action(ACTION_DISCONNECT_CANCEL)(disconnect_cancelled)
