"""``/reviews``: route the subcommand; answer at once or ack and work in the background."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.help import (
    COMMANDS,
    LATER_COMMANDS,
    build_help,
    build_not_available,
    build_unknown_subcommand,
)
from bot.blocks.status import build_status
from bot.blocks.subscriptions import (
    build_notes,
    build_subscribed,
    build_subscription_list,
    build_unsubscribed,
)
from bot.deps import Deps
from bot.errors import UserError
from bot.services.directory import Directory
from bot.services.permissions import shows_admin_controls
from bot.services.status import gather_status
from bot.services.subscribe_form import open_subscribe_form
from bot.services.subscriptions import (
    list_channel_subscriptions,
    parse_subscribe_text,
    require_admin,
    subscribe,
    unsubscribe,
)
from handlers import browse, connect, digest, invites
from handlers.errors import spawn_reported
from handlers.ids import SLASH_COMMAND

__all__ = ["register"]


@dataclass(frozen=True)
class SlashRequest:
    """One ``/reviews`` invocation and what its after-ack work needs."""

    deps: Deps
    directory: Directory
    client: AsyncWebClient
    respond: AsyncRespond
    team_id: str
    channel_id: str
    user_id: str
    trigger_id: str
    response_url: str | None
    text: str
    """The words after the subcommand."""

    async def tell(self, message: dict[str, Any], *, in_channel: bool = False) -> None:
        """Answer through the command's response_url."""
        await self.respond(**message, response_type="in_channel" if in_channel else "ephemeral")

    async def note(self, text: str) -> None:
        """A private one-paragraph answer."""
        await self.tell(build_notes([text]))


async def _subscribe(request: SlashRequest) -> None:
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


async def _unsubscribe(request: SlashRequest) -> None:
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


async def _subscriptions(request: SlashRequest) -> None:
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


async def _status(request: SlashRequest) -> None:
    report = await gather_status(
        request.deps,
        request.directory,
        request.client,
        team_id=request.team_id,
        channel_id=request.channel_id,
        user_id=request.user_id,
    )
    await request.tell(build_status(report))


ROUTES: dict[str, Callable[[SlashRequest], Coroutine[Any, Any, None]]] = {
    "list": browse.list_command,
    "invite": invites.invite_command,
    "subscribe": _subscribe,
    "unsubscribe": _unsubscribe,
    "subscriptions": _subscriptions,
    "status": _status,
    "connect": connect.connect_command,
    "disconnect": connect.disconnect_command,
    "digest": digest.digest_command,
}
ALIASES = {"sub": "subscribe", "unsub": "unsubscribe", "subs": "subscriptions", "?": "help"}


def _suggestion(word: str) -> str | None:
    names = [command.name for command in COMMANDS]
    close = difflib.get_close_matches(word.casefold(), names, n=1, cutoff=0.6)
    if close:
        return close[0]
    starts = [name for name in names if name.startswith(word.casefold()[:3])]
    return starts[0] if len(word) >= 3 and len(starts) == 1 else None


async def reviews_command(
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    deps: Deps,
    directory: Directory,
) -> None:
    """``/reviews <subcommand> …``: answer within Slack's 3 s, slow work after the ack."""
    word, _, rest = str(command.get("text") or "").strip().partition(" ")
    name = ALIASES.get(word.casefold(), word.casefold())
    if name in ("", "help"):
        await ack(**build_help(poll_interval_seconds=deps.settings.poll_interval_seconds))
        return
    if name in LATER_COMMANDS:
        await ack(**build_not_available(name))
        return
    route = ROUTES.get(name)
    if route is None:
        await ack(**build_unknown_subcommand(word, _suggestion(word)))
        return
    await ack()
    request = SlashRequest(
        deps=deps,
        directory=directory,
        client=client,
        respond=respond,
        team_id=str(command["team_id"]),
        channel_id=str(command["channel_id"]),
        user_id=str(command["user_id"]),
        trigger_id=str(command.get("trigger_id") or ""),
        response_url=command.get("response_url"),
        text=rest.strip(),
    )
    spawn_reported(deps, route(request), respond=respond, name=f"reviews_{name}")


def register(app: AsyncApp) -> None:
    """Attach the ``/reviews`` listener."""
    app.command(SLASH_COMMAND)(reviews_command)
