"""Deps: the one bag of long-lived resources, built by the composition root and passed down."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.metrics import Metrics


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


@dataclass
class Deps:
    """Long-lived resources: settings, database, metrics, clock and background work."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    metrics: Metrics
    clock: Callable[[], datetime] = utc_now
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(
        self, coro: Coroutine[Any, Any, Any], *, name: str | None = None
    ) -> asyncio.Task[Any]:
        """Run ``coro`` in the background; tracked so shutdown can drain it."""
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for background work to finish (cancel what is left after ``timeout``)."""
        if not self.tasks:
            return
        _, pending = await asyncio.wait(set(self.tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
