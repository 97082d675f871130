"""Who is posting a delivery right now, so no two senders (or replicas) post the same card.

A claimed delivery is committed as ``sending`` and held here while its Slack calls run. A
``sending`` delivery nobody holds belongs to a process that died mid-post: it goes back to
the queue and is reconciled against the channel's history before it is posted again.

On PostgreSQL the hold is a session advisory lock on a dedicated connection, so it vanishes
with a crashed replica's connection; on SQLite (one process) it is this process's memory.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.log import get_logger

__all__ = ["ClaimRegistry"]

log = get_logger(__name__)

# Advisory lock namespace ("RV"): the first key of pg_try_advisory_lock(int, int).
LOCK_NAMESPACE = 0x5256


class ClaimRegistry:
    """Process-wide (and on PostgreSQL cluster-wide) holds on delivery ids."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._held: set[int] = set()
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()

    def held(self, delivery_id: int) -> bool:
        """True if this process holds ``delivery_id``."""
        return delivery_id in self._held

    async def acquire(self, delivery_id: int) -> bool:
        """Hold ``delivery_id``; False if this or another live process holds it."""
        if delivery_id in self._held:
            return False
        if self._postgres and not await self._advisory("pg_try_advisory_lock", delivery_id):
            return False
        self._held.add(delivery_id)
        return True

    async def release(self, delivery_id: int) -> None:
        """Let go of ``delivery_id``."""
        if delivery_id not in self._held:
            return
        self._held.discard(delivery_id)
        if self._postgres:
            try:
                await self._advisory("pg_advisory_unlock", delivery_id)
            except SQLAlchemyError:
                # The lock connection is gone, and its locks with it.
                await self._drop_connection()

    async def close(self) -> None:
        """Release everything and close the lock connection."""
        self._held.clear()
        await self._drop_connection()

    async def _advisory(self, function: str, delivery_id: int) -> bool:
        async with self._lock:
            connection = await self._lock_connection()
            try:
                call: Any = getattr(func, function)(LOCK_NAMESPACE, delivery_id)
                result = await connection.execute(select(call))
                return bool(result.scalar_one())
            except (SQLAlchemyError, OSError):
                await self._drop_connection_unlocked()
                raise

    async def _lock_connection(self) -> AsyncConnection:
        if self._connection is None or self._connection.closed:
            connection = await self._engine.connect()
            # Autocommit: the locks are session-level; no transaction should stay open.
            self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    async def _drop_connection(self) -> None:
        async with self._lock:
            await self._drop_connection_unlocked()

    async def _drop_connection_unlocked(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # ``_held`` stays: this process still must not post its in-flight cards twice.
            try:
                # Invalidate, not close: a pooled connection would keep its advisory locks.
                await connection.invalidate()
                await connection.close()
            except (SQLAlchemyError, OSError):
                log.warning("claim_lock_connection_close_failed")
