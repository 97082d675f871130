"""``/reviews``: one registry of subcommands feeds both the router and ``/reviews help``.

A feature adds a subcommand with one decorator in its own module::

    @subcommand("status", "connections, their health, …", "/reviews status")
    async def status_command(request: SlashRequest) -> None: ...

The router acks at once (help and unknown words are answered in the ack itself) and runs
the subcommand after the ack, so Slack's 3 s never depend on the database or a platform.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.help import build_help, build_unknown_subcommand
from bot.blocks.subscriptions import build_notes
from bot.deps import Deps
from bot.services.actor import Actor
from bot.services.directory import Directory
from bot.slack_reads import SlackReader
from handlers.errors import spawn_reported
from handlers.ids import SLASH_COMMAND

__all__ = [
    "SlashRequest",
    "Subcommand",
    "help_lines",
    "register",
    "subcommand",
    "subcommands",
]


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

    @property
    def actor(self) -> Actor:
        """Who asked, where, for the services."""
        return Actor(
            self.team_id, self.user_id, self.channel_id, SlackReader(self.client), self.directory
        )

    async def tell(self, message: dict[str, Any], *, in_channel: bool = False) -> None:
        """Answer through the command's response_url."""
        await self.respond(**message, response_type="in_channel" if in_channel else "ephemeral")

    async def note(self, text: str) -> None:
        """A private one-paragraph answer."""
        await self.tell(build_notes([text]))


Run = Callable[[SlashRequest], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class Subcommand:
    """One subcommand: its help line and the work it does after the ack."""

    name: str
    summary: str
    example: str
    run: Run | None
    """None for ``help``, which is answered in the ack."""
    aliases: tuple[str, ...] = ()


HELP_ORDER = (
    "help",
    "list",
    "invite",
    "subscribe",
    "unsubscribe",
    "subscriptions",
    "test",
    "digest",
    "connect",
    "disconnect",
    "status",
)
"""The order help lists subcommands in (PRODUCT.md's); one not named here comes last."""

_REGISTRY: dict[str, Subcommand] = {
    "help": Subcommand("help", "this list", "/reviews help", None, aliases=("?",)),
}


def subcommand(
    name: str, summary: str, example: str, *, aliases: tuple[str, ...] = ()
) -> Callable[[Run], Run]:
    """Register ``/reviews <name>``: routed to the decorated function, listed in help."""

    def add(run: Run) -> Run:
        if name in _REGISTRY:
            raise ValueError(f"/reviews {name} is registered twice")
        _REGISTRY[name] = Subcommand(name, summary, example, run, aliases)
        return run

    return add


def subcommands() -> list[Subcommand]:
    """Every registered subcommand, in help order."""
    rank = {name: index for index, name in enumerate(HELP_ORDER)}
    return sorted(_REGISTRY.values(), key=lambda c: rank.get(c.name, len(rank)))


def help_lines() -> list[tuple[str, str, str]]:
    """(name, summary, example) of every subcommand, in help order: what help renders."""
    return [(c.name, c.summary, c.example) for c in subcommands()]


def _find(word: str) -> Subcommand | None:
    wanted = word.casefold()
    for command in _REGISTRY.values():
        if wanted == command.name or wanted in command.aliases:
            return command
    return None


def _suggestion(word: str) -> str | None:
    names = [command.name for command in subcommands()]
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
    found = _find(word) if word else _REGISTRY["help"]
    if found is None:
        await ack(**build_unknown_subcommand(word, _suggestion(word)))
        return
    if found.run is None:
        every = deps.settings.poll_interval_seconds
        await ack(**build_help(help_lines(), poll_interval_seconds=every))
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
    spawn_reported(deps, found.run(request), respond=respond, name=f"reviews_{found.name}")


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the ``/reviews`` listener (the features' modules register its subcommands)."""
    app.command(SLASH_COMMAND)(reviews_command)
