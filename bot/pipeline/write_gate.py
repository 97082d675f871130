"""The write gate: one SQLite writer at a time in this process (a no-op on PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

__all__ = ["WriteGate"]


class WriteGate:
    """Serializes this process's write transactions on SQLite; a no-op on PostgreSQL.

    SQLite has one write lock. Writers that queue on it inside SQLite sleep in its busy
    handler (1, 2, 5 … 100 ms steps); queueing on an asyncio lock instead hands it over at
    once, which keeps webhook intake latency flat while the router and sender write too.
    """

    def __init__(self, *, serialize: bool) -> None:
        self._lock = asyncio.Lock() if serialize else None

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """Hold the gate for one write transaction."""
        if self._lock is None:
            yield
            return
        async with self._lock:
            yield
