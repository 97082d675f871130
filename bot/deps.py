"""Deps: the one bag of long-lived resources, built by the composition root and passed down."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.crypto import TokenCipher
from bot.digest.runner import DigestService
from bot.installations import SlackInstallations
from bot.log import get_logger
from bot.metrics import Metrics
from bot.pipeline.records import NameCache
from bot.pipeline.write_gate import WriteGate
from bot.providers.registry import ProviderRegistry
from bot.slack_connection import SlackConnection
from bot.slack_web import SlackWorkspace

log = get_logger(__name__)


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


@dataclass
class Signals:
    """Wake-ups between pipeline stages, so work flows at once instead of on the next tick."""

    inbound: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when events were committed to ``inbound_events`` (the router drains them)."""
    outbound: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when deliveries are due (the sender posts them)."""
    rollups: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a review joined a roll-up or changed in one (the roll-up poster looks)."""
    deadlines: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a card with a reply deadline was posted (the deadline stage looks)."""
    digests: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a digest schedule changed (the digest scheduler rebuilds its jobs)."""

    def schedules_changed(self) -> None:
        """Tell this process's digest scheduler to rebuild its jobs from the database."""
        self.digests.set()


@dataclass(frozen=True)
class Deps:
    """Long-lived resources: settings, database, Slack, platforms, metrics, clock, background work.

    Built once by the composition root (``create_deps`` in ``bot/app.py``) and never reassigned.
    """

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    metrics: Metrics
    providers: ProviderRegistry
    cipher: TokenCipher | None = None
    slack_session: aiohttp.ClientSession | None = None
    """The kept-alive connections every Slack client of the app shares (closed by aclose)."""
    slack: SlackConnection = field(default_factory=SlackConnection)
    clock: Callable[[], datetime] = utc_now
    signals: Signals = field(default_factory=Signals)
    gate: WriteGate = field(default_factory=lambda: WriteGate(serialize=False))
    """This process's write gate (serializes writers on SQLite)."""
    names: NameCache = field(default_factory=NameCache)
    """Organization and location names, shared by the router, poller and digests."""
    digests: DigestService | None = None
    """Digests: rendering, posting and the weekly record (None only in partial test setups)."""
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    busy_checks: list[Callable[[], bool]] = field(default_factory=list)
    """Pipeline stages report here whether they have work in hand (tests settle on it)."""

    @property
    def workspace(self) -> SlackWorkspace | None:
        """The bot token's workspace (None in OAuth mode or when Slack is not connected)."""
        return self.slack.workspace

    @property
    def installations(self) -> SlackInstallations | None:
        """OAuth mode (many workspaces): installations in the database; None with SLACK_BOT_TOKEN."""
        return self.slack.installations

    async def aclose(self) -> None:
        """Close the platform clients, the Slack connections and the database pool."""
        await self.providers.aclose()
        if self.slack_session is not None:
            await self.slack_session.close()
        await self.engine.dispose()

    def busy(self) -> bool:
        """True while a pipeline stage has work in hand or due soon."""
        return any(check() for check in self.busy_checks)

    def slack_client(self, team_id: str) -> AsyncWebClient:
        """The Web API client that speaks for ``team_id`` (LookupError for an unknown team)."""
        return self.slack.client_for(team_id)

    def spawn(
        self, coro: Coroutine[Any, Any, Any], *, name: str | None = None
    ) -> asyncio.Task[Any]:
        """Run ``coro`` in the background; tracked so shutdown can drain it."""
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Background work has no caller to raise to: the log is where it surfaces.
            # It ran in its request's context: the line carries that request's id.
            log.error("background_task_failed", task=task.get_name(), exc_info=task.exception())

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for background work to finish (cancel what is left after ``timeout``)."""
        if not self.tasks:
            return
        _, pending = await asyncio.wait(set(self.tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
