"""SQLite webhook intake: each batch is one transaction on a plain connection, on the loop.

Through aiosqlite, the cursor, the statement, the fetch, the close and the commit are a thread
hop each (a future, a wake-up of the loop, the GIL handed back and forth): for a batch of one
that was ~0.6 ms of CPU, six times the transaction itself. A commit in WAL mode with
synchronous=NORMAL is a write to the WAL without an fsync, so running the batch right on the
loop costs less than any hop. Two things must then stay off the loop:

- waiting for another connection's write lock: this connection has no busy timeout, and a
  batch that finds the lock taken waits for it asleep on the loop, not in SQLite's busy handler;
- WAL checkpoints, which copy ~4 MB and fsync twice (10–60 ms measured here): this connection
  never checkpoints (``wal_autocheckpoint=0``); a thread of its own does, every
  ``CHECKPOINT_EVERY_EVENTS`` events, so the WAL stays small. The other connections keep
  SQLite's automatic checkpoint, should that thread ever fall behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.log import get_logger
from storage.engine import SQLITE_BUSY_TIMEOUT_MS, blocking_sqlite_engine
from storage.repositories.connections import touch_webhook_blocking
from storage.repositories.events import NewInboundEvent, insert_inbound_events_blocking

__all__ = ["SqliteIntakeConnection"]

log = get_logger(__name__)

# While another connection holds the write lock, retry after these pauses (doubling), for as
# long as the engine's busy timeout would have waited.
LOCKED_FIRST_PAUSE_SECONDS = 0.001
LOCKED_MAX_PAUSE_SECONDS = 0.05
# ~1.2 WAL pages an event at ~1.5 KB: a checkpoint every 500 events keeps the WAL under the
# 1,000 pages at which the other connections would checkpoint on their own.
CHECKPOINT_EVERY_EVENTS = 500


class SqliteIntakeConnection:
    """The SQLite intake writer's connection (see the module's docstring)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._checkpoints = _Checkpointer(engine)

    @classmethod
    def open(cls, engine: AsyncEngine) -> SqliteIntakeConnection | None:
        """One for ``engine``'s SQLite file (None unless ``engine`` is on a SQLite file)."""
        blocking = blocking_sqlite_engine(engine, busy_timeout_ms=0, wal_autocheckpoint=0)
        return cls(blocking) if blocking is not None else None

    async def write(
        self, events: Sequence[NewInboundEvent], touch: Collection[int], now: datetime
    ) -> set[tuple[int, str]]:
        """Insert ``events`` and touch the connections in one transaction."""
        give_up = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
        pause = LOCKED_FIRST_PAUSE_SECONDS
        while True:
            try:
                inserted = self._write(events, touch, now)
                break
            except OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() + pause > give_up:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, LOCKED_MAX_PAUSE_SECONDS)
        self._checkpoints.wrote(len(events))
        return inserted

    def _write(
        self, events: Sequence[NewInboundEvent], touch: Collection[int], now: datetime
    ) -> set[tuple[int, str]]:
        if self._connection is None:
            self._connection = self._engine.connect()
        with self._connection.begin():
            inserted = insert_inbound_events_blocking(self._connection, events, now=now)
            touch_webhook_blocking(self._connection, connection_ids=touch, now=now)
        return inserted

    async def release(self, *, broken: bool = False) -> None:
        """Close the connection (the next batch opens a new one)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        with contextlib.suppress(SQLAlchemyError, OSError):
            if broken:
                connection.invalidate()
            connection.close()

    async def close(self) -> None:
        """Release the connection, end the checkpoint thread, dispose of the engine."""
        await self.release()
        await self._checkpoints.close()
        self._engine.dispose()


def _is_busy(exc: OperationalError) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" (another connection is writing)."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_BUSY


class _Checkpointer:
    """PASSIVE checkpoints in a thread of their own: they never wait for readers or writers,
    and SQLite does the copying and the fsyncs without the GIL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-checkpoint")
        self._connection: Connection | None = None  # used in the thread only
        self._running: asyncio.Future[None] | None = None
        self._events = 0

    def wrote(self, events: int) -> None:
        """Count committed events; start a checkpoint when enough have gathered."""
        self._events += events
        if self._events < CHECKPOINT_EVERY_EVENTS or self._running is not None:
            return
        self._events = 0
        running = asyncio.get_running_loop().run_in_executor(self._thread, self._checkpoint)
        running.add_done_callback(self._done)
        self._running = running

    def _checkpoint(self) -> None:
        if self._connection is None:
            self._connection = self._engine.connect()
        try:
            self._connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").close()
            self._connection.rollback()  # SQLAlchemy began a transaction; SQLite did not
        except BaseException:
            self._close()  # the next checkpoint takes a fresh connection
            raise

    def _done(self, running: asyncio.Future[None]) -> None:
        self._running = None
        error = None if running.cancelled() else running.exception()
        if error is not None:
            # The next one retries; meanwhile the other connections checkpoint on their own.
            log.warning("sqlite_checkpoint_failed", error_type=type(error).__name__)

    async def close(self) -> None:
        """Let a running checkpoint finish, then close the connection and end the thread."""
        if self._running is not None:
            with contextlib.suppress(Exception):
                await self._running
        await asyncio.get_running_loop().run_in_executor(self._thread, self._close)
        self._thread.shutdown(wait=False)

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(SQLAlchemyError, OSError):
                connection.close()
