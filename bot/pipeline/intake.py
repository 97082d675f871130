"""Webhook intake: the one writer that commits webhook events to ``inbound_events``.

The route (``bot/pipeline/webhook.py``) answers 200 only once its event is committed here, so
a crash loses nothing the platform was told we have. One writer task commits whatever has
queued each time it is free (group commit, no fixed wait): on SQLite, a session per request
makes writers fight over the one write lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import re
import time
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from aiohttp import web
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from bot.deps import Deps
from bot.log import get_logger
from bot.pipeline.sqlite_intake import SqliteIntakeConnection
from bot.pipeline.stage_loop import is_unreachable
from bot.pipeline.write_gate import WriteGate
from storage.repositories import get_connection_by_webhook_key
from storage.repositories.connections import touch_webhook
from storage.repositories.events import NewInboundEvent, insert_inbound_events

__all__ = ["INTAKE_KEY", "DatabaseUnavailable", "IntakeWriter", "UnknownConnection"]

log = get_logger(__name__)

# last_webhook_at only decides whether to poll (24 h); writing it once in a while is enough.
TOUCH_EVERY = timedelta(seconds=10)
KEY_CACHE_SECONDS = 10.0
# Answers this close together are a stream; the router gives way this long after the last
# one (see under_pressure).
PRESSURE_LINGER_SECONDS = 0.1
# The writer keeps its connection between batches this close together (see _writer_session).
CONNECTION_KEEP_SECONDS = 1.0
KEY_CACHE_SIZE = 1000
MAX_BATCH = 256
# Event names of unknown events become a metric label: only name-shaped ones, and few of them.
_EVENT_LABEL = re.compile(r"[a-z][a-z0-9_.-]{0,47}")
MAX_UNKNOWN_EVENT_LABELS = 20


class DatabaseUnavailable(Exception):
    """The event could not be committed (database down, locked too long, or shutting down)."""


class UnknownConnection(Exception):
    """The connection of a webhook key disappeared before its event was committed."""


_Submission = tuple[NewInboundEvent, "asyncio.Future[bool]"]


class _BatchStore(Protocol):
    """Where the writer commits a batch: one transaction, inserted keys out."""

    async def write(
        self, events: Sequence[NewInboundEvent], touch: Collection[int], now: datetime
    ) -> set[tuple[int, str]]: ...

    async def release(self, *, broken: bool = False) -> None: ...


class _WriterConnection:
    """One writer's own connection, kept between batches while they come close together.

    Checking one out of the pool per batch costs a ``pool_pre_ping`` round trip (three on
    PostgreSQL): under load that was a quarter of the writer's time. After a pause the
    connection goes back to the pool and the next batch takes a fresh, pinged one.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._used = 0.0

    async def write(
        self, events: Sequence[NewInboundEvent], touch: Collection[int], now: datetime
    ) -> set[tuple[int, str]]:
        """Insert ``events`` and touch the connections in one transaction."""
        async with await self._session() as session, session.begin():
            inserted = await insert_inbound_events(session, events, now=now)
            await touch_webhook(session, connection_ids=touch, now=now)
        return inserted

    async def _session(self) -> AsyncSession:
        now = time.monotonic()
        if self._connection is not None and now - self._used > CONNECTION_KEEP_SECONDS:
            await self.release()
        if self._connection is None:
            self._connection = await self._engine.connect()
        self._used = now
        return AsyncSession(bind=self._connection, expire_on_commit=False)

    async def release(self, *, broken: bool = False) -> None:
        """Give the connection back to the pool (``broken``: discard it)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        with contextlib.suppress(SQLAlchemyError, OSError, TimeoutError):
            if broken:
                await connection.invalidate()
            await connection.close()


def _expire(future: asyncio.Future[bool]) -> None:
    if not future.done():
        future.set_exception(DatabaseUnavailable("timed out waiting for the database"))


class IntakeWriter:
    """Commits webhook events in groups; ``submit`` returns once its event is durable."""

    def __init__(self, deps: Deps, gate: WriteGate, *, writers: int = 1) -> None:
        self.deps = deps
        self._gate = gate
        self._writers = max(1, writers)
        self._queue: asyncio.Queue[_Submission | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._in_flight = 0
        self._requests = 0
        self._answered_at = float("-inf")
        self._stream_until = float("-inf")
        self._closed = True
        self._touched: dict[int, datetime] = {}
        self._keys: dict[str, tuple[int, float]] = {}
        self._lookups: dict[str, asyncio.Task[int | None]] = {}
        self._unknown_events: set[str] = set()

    def start(self) -> None:
        """Start the writer task(s)."""
        if self._tasks:
            return
        self._closed = False
        self._tasks = [
            asyncio.create_task(self._run(), name=f"intake-writer-{n}")
            for n in range(self._writers)
        ]

    async def stop(self) -> None:
        """Commit what has queued, then end the writers."""
        self._closed = True
        tasks, self._tasks = self._tasks, []
        for _ in tasks:
            self._queue.put_nowait(None)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        # Key lookups nobody waits for any more (their requests were answered 503).
        lookups = list(self._lookups.values())
        for lookup in lookups:
            lookup.cancel()
        await asyncio.gather(*lookups, return_exceptions=True)

    def busy(self) -> bool:
        """True while events wait to be committed."""
        return bool(self._tasks) and (self._in_flight > 0 or not self._queue.empty())

    def under_pressure(self) -> bool:
        """True while webhook requests are being answered (the router then gives way).

        Also for a moment after an answer in a stream of webhooks: a stream has instants
        with none in flight, and a full router batch taken then holds the write lock while
        the next requests arrive (their p99). A lone webhook is routed at once.
        """
        if self._requests > 0 or self.busy():
            return True
        return time.monotonic() < self._stream_until

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Count one webhook request while it is being answered."""
        self.request_started()
        try:
            yield
        finally:
            self.request_answered()

    def request_started(self) -> None:
        """A webhook request is being answered (see :meth:`answering`)."""
        self._requests += 1

    def request_answered(self) -> None:
        """The webhook request counted by :meth:`request_started` has its answer."""
        self._requests -= 1
        now = time.monotonic()
        if now - self._answered_at < PRESSURE_LINGER_SECONDS:
            self._stream_until = now + PRESSURE_LINGER_SECONDS
        self._answered_at = now

    async def connection_for_key(
        self, platform: str, webhook_key: str, *, deadline: float
    ) -> int | None:
        """The ``platform`` connection a webhook key belongs to (None if none).

        ``deadline`` (event-loop time): DatabaseUnavailable once it passes without an answer.
        """
        digest = hashlib.sha256(f"{platform}/{webhook_key}".encode()).hexdigest()
        cached = self._keys.get(digest)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        # One lookup per key at a time: a burst must not send every request to the database.
        # A request that stops waiting does not cancel it: a late answer still fills the cache.
        lookup = self._lookups.get(digest)
        if lookup is None:
            lookup = asyncio.create_task(self._lookup(platform, webhook_key, digest))
            self._lookups[digest] = lookup
            lookup.add_done_callback(lambda done: self._lookup_done(digest, done))
        try:
            async with asyncio.timeout_at(deadline):
                return await asyncio.shield(lookup)
        except TimeoutError:
            raise DatabaseUnavailable("timed out waiting for the database") from None

    def _lookup_done(self, digest: str, lookup: asyncio.Task[int | None]) -> None:
        if self._lookups.get(digest) is lookup:
            del self._lookups[digest]
        if not lookup.cancelled():
            lookup.exception()  # marked retrieved: each waiter re-raises it itself

    def ignore_unknown_event(self, event: str, connection_id: int) -> str:
        """Log and count an event this version does not handle; returns its label."""
        label = event if _EVENT_LABEL.fullmatch(event) else "other"
        first = label not in self._unknown_events
        if first and len(self._unknown_events) >= MAX_UNKNOWN_EVENT_LABELS:
            label, first = "other", False
        self._unknown_events.add(label)
        self.deps.metrics.webhook_unknown_events.labels(label).inc()
        # A newer Gumado than this version: worth a warning once, then a quieter line.
        (log.warning if first else log.info)(
            "webhook_event_unknown", webhook_event=label, connection_id=connection_id
        )
        return label

    async def _lookup(self, platform: str, webhook_key: str, digest: str) -> int | None:
        try:
            async with self.deps.sessions() as session:
                connection = await get_connection_by_webhook_key(session, webhook_key)
        except (SQLAlchemyError, OSError) as exc:
            raise DatabaseUnavailable(type(exc).__name__) from exc
        if (
            connection is None
            or connection.platform != platform
            or connection.webhook_key is None
            or not hmac.compare_digest(connection.webhook_key.encode(), webhook_key.encode())
        ):
            return None
        if len(self._keys) >= KEY_CACHE_SIZE:
            self._keys.clear()
        self._keys[digest] = (connection.id, time.monotonic() + KEY_CACHE_SECONDS)
        return connection.id

    async def submit(self, event: NewInboundEvent, *, deadline: float) -> bool:
        """Commit ``event``; True if new, False if the same event was already recorded.

        ``deadline`` (event-loop time): DatabaseUnavailable once it passes uncommitted.
        """
        if self._closed:
            raise DatabaseUnavailable("shutting down")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._queue.put_nowait((event, future))
        # A timer that fails the future, not asyncio.timeout_at: no task cancellation to
        # undo on every request. On timeout the writer still commits the event but skips
        # answering it (Gumado's retry then finds it: a duplicate).
        timer = loop.call_at(deadline, _expire, future)
        try:
            return await future
        finally:
            timer.cancel()

    async def _run(self) -> None:
        sqlite_connection = SqliteIntakeConnection.open(self.deps.engine)
        if sqlite_connection is not None:
            try:
                await self._run_with(sqlite_connection)
            finally:
                await sqlite_connection.close()
            return
        connection = _WriterConnection(self.deps.engine)
        try:
            await self._run_with(connection)
        finally:
            await connection.release()

    async def _run_with(self, store: _BatchStore) -> None:
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            last = False
            while len(batch) < MAX_BATCH and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    last = True
                    break
                batch.append(item)
            self._in_flight += len(batch)
            try:
                await self._write(batch, store)
            except Exception as exc:
                # The writer must outlive any one batch: answer 503 (Gumado retries), go on.
                if is_unreachable(exc):
                    log.warning(
                        "intake_batch_database_unavailable",
                        events=len(batch),
                        error_type=type(exc).__name__,
                    )
                else:
                    log.exception("intake_batch_failed", events=len(batch))
                _fail(batch, DatabaseUnavailable("unexpected error"))
            finally:
                self._in_flight -= len(batch)
            if last:
                return

    async def _write(self, batch: list[_Submission], store: _BatchStore) -> None:
        deps = self.deps
        now = deps.clock()
        firsts: dict[tuple[int, str], _Submission] = {}
        for submission in batch:
            event = submission[0]
            firsts.setdefault((event.connection_id, event.dedupe_key), submission)
        touch = {
            key[0]
            for key in firsts
            if key[0] not in self._touched or now - self._touched[key[0]] >= TOUCH_EVERY
        }
        try:
            async with self._gate.hold():
                inserted = await store.write([s[0] for s in firsts.values()], touch, now)
        except IntegrityError:
            # A connection was removed meanwhile: find whose event it was, one at a time.
            if len(batch) > 1:
                for submission in batch:
                    await self._write([submission], store)
                return
            _fail(batch, UnknownConnection())
            return
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            await store.release(broken=True)
            log.warning("intake_database_unavailable", error=type(exc).__name__, events=len(batch))
            _fail(batch, DatabaseUnavailable(type(exc).__name__))
            return
        for connection_id in touch:
            self._touched[connection_id] = now
        for submission in batch:
            event, future = submission
            key = (event.connection_id, event.dedupe_key)
            if not future.done():
                future.set_result(key in inserted and firsts[key] is submission)
        if inserted:
            deps.signals.inbound.set()


def _fail(batch: list[_Submission], error: Exception) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error)
            # Mark it retrieved: a caller that timed out never will.
            future.exception()


INTAKE_KEY = web.AppKey("intake", IntakeWriter)
