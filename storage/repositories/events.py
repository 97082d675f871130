"""Inbound events: webhooks and poll results waiting for the router."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, Connection, Dialect, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.types import TypeDecorator

from storage.models import InboundEvent
from storage.repositories._dialect import is_postgresql

__all__ = [
    "NewInboundEvent",
    "claim_pending_events",
    "fail_event",
    "finish_event",
    "finish_events",
    "insert_inbound_events",
    "insert_inbound_events_blocking",
]


async def claim_pending_events(session: AsyncSession, *, limit: int = 100) -> list[InboundEvent]:
    """Return up to ``limit`` pending events, oldest first, locked for this transaction.

    On PostgreSQL the rows stay locked until the caller commits and other replicas skip them;
    SQLite has one writer at a time anyway.
    """
    query = (
        select(InboundEvent)
        .where(InboundEvent.status == "pending")
        .order_by(InboundEvent.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    return list((await session.execute(query)).scalars())


class NewInboundEvent(NamedTuple):
    """One event for :func:`insert_inbound_events`.

    ``payload_json``: the payload already serialized (intake has it from the dedupe key),
    stored as is instead of serializing ``payload`` once more.
    """

    connection_id: int
    event_type: str
    dedupe_key: str
    payload: dict[str, Any]
    payload_json: str | None = None


class _SerializedJSON(TypeDecorator[str]):
    """The JSON column's type for a value that is already JSON text: bound as is."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        return None


_INSERT_EVENTS: dict[str, ReturningInsert[int, str]] = {}


def _insert_events_statement(dialect: str) -> ReturningInsert[int, str]:
    statement = _INSERT_EVENTS.get(dialect)
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(InboundEvent)
            .values(payload=bindparam("payload_json", type_=_SerializedJSON()))
            .on_conflict_do_nothing(index_elements=["connection_id", "dedupe_key"])
            .returning(InboundEvent.connection_id, InboundEvent.dedupe_key)
        )
        _INSERT_EVENTS[dialect] = statement
    return statement


def _event_rows(events: Sequence[NewInboundEvent], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "connection_id": event.connection_id,
            "event_type": event.event_type,
            "dedupe_key": event.dedupe_key,
            "payload_json": event.payload_json
            if event.payload_json is not None
            else json.dumps(event.payload),
            "status": "pending",
            "attempts": 0,
            "received_at": now,
        }
        for event in events
    ]


async def insert_inbound_events(
    session: AsyncSession, events: Sequence[NewInboundEvent], *, now: datetime
) -> set[tuple[int, str]]:
    """Record many events in one statement; returns (connection id, dedupe key) of the new ones."""
    if not events:
        return set()
    # One statement executed with many parameter sets ("insertmanyvalues"), built once per
    # dialect: a VALUES list built per batch size would be compiled anew for every batch,
    # and building even this one per batch costs as much as executing it.
    statement = _insert_events_statement("postgresql" if is_postgresql(session) else "sqlite")
    # Core execution: the ORM's bulk-insert bookkeeping buys nothing for rows we don't load.
    connection = await session.connection()
    result = await connection.execute(statement, _event_rows(events, now))
    return {(connection_id, dedupe_key) for connection_id, dedupe_key in result}


# The blocking insert's columns, in the order each row's parameters are given.
_COLUMNS = (
    "connection_id",
    "event_type",
    "dedupe_key",
    "payload",
    "status",
    "attempts",
    "received_at",
)


@functools.cache
def _insert_one(dialect: Dialect) -> str:
    """SQLAlchemy's single-row INSERT … ON CONFLICT DO NOTHING, compiled for ``dialect``."""
    statement = (
        sqlite.insert(InboundEvent)
        .values({column: bindparam(column) for column in _COLUMNS})
        .on_conflict_do_nothing(index_elements=["connection_id", "dedupe_key"])
    )
    compiled = statement.compile(dialect=dialect)
    if compiled.positiontup != list(_COLUMNS):  # positional parameters, in our order
        raise RuntimeError("unexpected parameter order in the compiled INSERT")
    return str(compiled)


def insert_inbound_events_blocking(
    connection: Connection, events: Sequence[NewInboundEvent], *, now: datetime
) -> set[tuple[int, str]]:
    """:func:`insert_inbound_events` on a synchronous SQLite connection (webhook intake).

    SQLAlchemy's statement, compiled once, run by the driver's ``executemany`` with plain
    tuples: the timestamp goes through its column type once per batch instead of once per
    row, and no parameter dicts are built and processed (for a batch of 13 this halved the
    CPU of the insert). ``executemany`` cannot return rows, so the count of inserted rows
    tells whether all were new, as they nearly always are; else the new ones are read back.
    """
    if not events:
        return set()
    dialect = connection.dialect
    received_at_type = InboundEvent.__table__.c.received_at.type
    to_db = received_at_type.dialect_impl(dialect).bind_processor(dialect)
    received_at = to_db(now) if to_db is not None else now
    rows = [
        (
            event.connection_id,
            event.event_type,
            event.dedupe_key,
            event.payload_json if event.payload_json is not None else json.dumps(event.payload),
            "pending",
            0,
            received_at,
        )
        for event in events
    ]
    inserted = connection.exec_driver_sql(_insert_one(dialect), rows).rowcount
    if inserted == len(rows):
        return {(event.connection_id, event.dedupe_key) for event in events}
    if inserted <= 0:
        return set()
    # Some were recorded already. This transaction holds SQLite's write lock and a new row's
    # id is the greatest id + 1, so the new rows are the last ``inserted`` ones by id.
    newest = (
        select(InboundEvent.connection_id, InboundEvent.dedupe_key)
        .order_by(InboundEvent.id.desc())
        .limit(inserted)
    )
    return {(connection_id, dedupe_key) for connection_id, dedupe_key in connection.execute(newest)}


async def finish_event(session: AsyncSession, *, event_id: int, now: datetime) -> None:
    """Mark an event routed."""
    await finish_events(session, event_ids=[event_id], now=now)


async def finish_events(session: AsyncSession, *, event_ids: Sequence[int], now: datetime) -> None:
    """Mark events routed."""
    if event_ids:
        await session.execute(
            update(InboundEvent)
            .where(InboundEvent.id.in_(list(event_ids)))
            .values(status="done", processed_at=now, error=None)
        )


async def fail_event(
    session: AsyncSession,
    *,
    event_id: int,
    error: str,
    now: datetime,
    max_attempts: int,
    permanent: bool = False,
) -> str:
    """Count a failed attempt; the event is ``failed`` after ``max_attempts`` (or at once).

    Returns the event's new status (``pending`` means it will be tried again).
    """
    attempts = (
        await session.execute(
            update(InboundEvent)
            .where(InboundEvent.id == event_id)
            .values(attempts=InboundEvent.attempts + 1, error=error[:2000])
            .returning(InboundEvent.attempts)
        )
    ).scalar_one()
    status = "failed" if permanent or attempts >= max_attempts else "pending"
    if status == "failed":
        await session.execute(
            update(InboundEvent)
            .where(InboundEvent.id == event_id)
            .values(status="failed", processed_at=now)
        )
    return status
