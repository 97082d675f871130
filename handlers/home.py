"""The App Home tab: publish it when opened; the channel picker its *Subscribe* and *Digest* open.

(Its *Connect* and *Request a review* buttons belong to ``handlers/connect.py`` and
``handlers/invites.py``.)
"""

from __future__ import annotations

import contextlib
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.home import build_channel_picker, build_home, build_home_notice
from bot.blocks.subscribe_modal import build_subscribe_notice
from bot.deps import Deps
from bot.errors import UserError
from bot.services.actor import Actor
from bot.services.directory import Directory
from bot.services.home import gather_home
from bot.services.subscribe_form import FormContext
from bot.slack_reads import SlackReader
from handlers.actors import actor_of, state_values
from handlers.digests import open_digest_settings
from handlers.errors import spawn_reported
from handlers.ids import (
    ACTION_HOME_CHANNEL,
    ACTION_HOME_DIGEST,
    ACTION_HOME_SUBSCRIBE,
    BLOCK_HOME_CHANNEL,
    CALLBACK_HOME_CHANNEL,
)
from handlers.subscriptions import fill_subscribe_form

__all__ = ["publish_home", "register"]

PURPOSES = ("subscribe", "digest")


def _team(body: dict[str, Any], context: AsyncBoltContext | None = None) -> str:
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    return str(team or (context.team_id if context else None) or body.get("team_id") or "")


async def publish_home(deps: Deps, actor: Actor, client: AsyncWebClient) -> None:
    """Build and publish the actor's Home tab."""
    report = await gather_home(deps, actor)
    await client.views_publish(user_id=actor.user_id, view=build_home(report))


async def app_home_opened(
    event: dict[str, Any],
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    deps: Deps,
    directory: Directory,
) -> None:
    """``app_home_opened`` on the Home tab: publish a fresh view (after the event's answer)."""
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    reads = SlackReader(client)
    actor = Actor(_team(body, context), str(event["user"]), None, reads, directory)
    work = publish_home(deps, actor, client)
    spawn_reported(deps, work, respond=None, name="home_publish")


async def _open_picker(client: AsyncWebClient, trigger_id: str, purpose: str) -> None:
    await client.views_open(trigger_id=trigger_id, view=build_channel_picker(purpose=purpose))


async def subscribe_clicked(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    """*Subscribe a channel*: first which channel, then the subscription form."""
    await ack()
    work = _open_picker(client, str(body.get("trigger_id") or ""), "subscribe")
    spawn_reported(deps, work, respond=None, name="home_subscribe")


async def digest_clicked(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    """*Digest settings*: first which channel, then its schedule form."""
    await ack()
    work = _open_picker(client, str(body.get("trigger_id") or ""), "digest")
    spawn_reported(deps, work, respond=None, name="home_digest")


async def _open_digest(deps: Deps, actor: Actor, client: AsyncWebClient, trigger_id: str) -> None:
    try:
        await open_digest_settings(deps, actor, client, trigger_id)
    except UserError as exc:
        notice = build_home_notice(exc.user_message(), title="Digest settings")
        with contextlib.suppress(SlackApiError):
            await client.views_open(trigger_id=trigger_id, view=notice)


async def channel_chosen(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: Deps,
    directory: Directory,
) -> None:
    """The picker's *Next*: the subscription form in its place, or the digest schedule form."""
    state = state_values(view)
    chosen = ((state.get(BLOCK_HOME_CHANNEL) or {}).get(ACTION_HOME_CHANNEL) or {}).get(
        "selected_conversation"
    )
    if not isinstance(chosen, str) or not chosen:
        await ack(response_action="errors", errors={BLOCK_HOME_CHANNEL: "Choose a channel."})
        return
    purpose = view.get("private_metadata") if view.get("private_metadata") in PURPOSES else None
    actor = actor_of(body, client, directory, team_id=_team(body), channel_id=chosen)
    if purpose == "digest":
        await ack()
        work = _open_digest(deps, actor, client, str(body.get("trigger_id") or ""))
        spawn_reported(deps, work, respond=None, name="home_digest_open")
        return
    context = FormContext(chosen)
    notice = build_subscribe_notice("Loading organizations…", private_metadata=context.dump())
    await ack(response_action="update", view=notice)
    work2 = fill_subscribe_form(deps, actor, client, str(view.get("id") or ""), None, context)
    spawn_reported(deps, work2, respond=None, name="home_subscribe_form")


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach app_home_opened, the picker's buttons and the picker itself."""
    app.event("app_home_opened")(app_home_opened)
    app.action(ACTION_HOME_SUBSCRIBE)(subscribe_clicked)
    app.action(ACTION_HOME_DIGEST)(digest_clicked)
    app.view(CALLBACK_HOME_CHANNEL)(channel_chosen)
