"""Connections: a team's links to Gumado and Cloutly accounts."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection as SyncConnection
from sqlalchemy import Update, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Connection
from storage.repositories._dialect import dialect_insert

__all__ = [
    "all_connections",
    "claim_poll",
    "get_connection_by_webhook_key",
    "list_connections",
    "record_poll_failure",
    "record_poll_success",
    "touch_webhook",
    "touch_webhook_blocking",
    "upsert_connection",
]


async def get_connection_by_webhook_key(
    session: AsyncSession, webhook_key: str
) -> Connection | None:
    """Return the connection a Gumado webhook URL key belongs to, if any."""
    result = await session.execute(select(Connection).where(Connection.webhook_key == webhook_key))
    return result.scalar_one_or_none()


async def list_connections(session: AsyncSession, team_id: str) -> list[Connection]:
    """Return the team's connections, by name."""
    result = await session.execute(
        select(Connection).where(Connection.team_id == team_id).order_by(Connection.name)
    )
    return list(result.scalars())


async def upsert_connection(
    session: AsyncSession,
    *,
    team_id: str,
    name: str,
    platform: str,
    token_encrypted: str,
    now: datetime,
    webhook_key: str | None = None,
    scopes: list[str] | None = None,
) -> tuple[Connection, bool]:
    """Create or replace the team's connection called ``name``; returns (row, created).

    Replacing resets the health fields; ``webhook_key=None`` keeps the existing key.
    """
    values: dict[str, Any] = {
        "platform": platform,
        "token_encrypted": token_encrypted,
        "scopes": scopes,
        "healthy": True,
        "last_error": None,
        "last_error_at": None,
        "updated_at": now,
    }
    if webhook_key is not None:
        values["webhook_key"] = webhook_key
    inserted = await session.execute(
        dialect_insert(session, Connection)
        .values(team_id=team_id, name=name, created_at=now, **values)
        .on_conflict_do_nothing(index_elements=["team_id", "name"])
        .returning(Connection.id)
    )
    connection_id = inserted.scalar_one_or_none()
    created = connection_id is not None
    if not created:
        updated = await session.execute(
            update(Connection)
            .where(Connection.team_id == team_id, Connection.name == name)
            .values(**values)
            .returning(Connection.id)
        )
        connection_id = updated.scalar_one()
    row = await session.execute(
        select(Connection)
        .where(Connection.id == connection_id)
        .execution_options(populate_existing=True)
    )
    return row.scalar_one(), created


async def all_connections(session: AsyncSession) -> list[Connection]:
    """Every connection of every team, oldest first (the poller walks them)."""
    result = await session.execute(
        select(Connection).order_by(Connection.id).execution_options(populate_existing=True)
    )
    return list(result.scalars())


def _touch_webhook_statement(connection_ids: Collection[int], now: datetime) -> Update:
    return (
        update(Connection)
        .where(Connection.id.in_(list(connection_ids)))
        .values(last_webhook_at=now)
    )


async def touch_webhook(
    session: AsyncSession, *, connection_ids: Collection[int], now: datetime
) -> None:
    """Record that webhooks arrived for these connections."""
    if connection_ids:
        await session.execute(_touch_webhook_statement(connection_ids, now))


def touch_webhook_blocking(
    connection: SyncConnection, *, connection_ids: Collection[int], now: datetime
) -> None:
    """:func:`touch_webhook` on a synchronous connection (SQLite intake's own thread)."""
    if connection_ids:
        connection.execute(_touch_webhook_statement(connection_ids, now))


async def claim_poll(
    session: AsyncSession, *, connection_id: int, now: datetime, min_gap: timedelta
) -> bool:
    """Take this connection's poll unless one started less than ``min_gap`` ago (any replica)."""
    result = await session.execute(
        update(Connection)
        .where(
            Connection.id == connection_id,
            or_(Connection.last_poll_at.is_(None), Connection.last_poll_at <= now - min_gap),
        )
        .values(last_poll_at=now)
        .returning(Connection.id)
    )
    return result.scalar_one_or_none() is not None


async def record_poll_success(
    session: AsyncSession,
    *,
    connection_id: int,
    now: datetime,
    cursor: dict[str, Any],
    skipped: int = 0,
) -> None:
    """Store the poll cursor, how many reviews it could not read, and mark it healthy."""
    await session.execute(
        update(Connection)
        .where(Connection.id == connection_id)
        .values(poll_cursor=cursor, last_poll_at=now, healthy=True, last_poll_skipped=skipped)
    )


async def record_poll_failure(
    session: AsyncSession, *, connection_id: int, now: datetime, error: str, healthy: bool
) -> None:
    """Record why a poll failed (``/reviews status`` shows it)."""
    await session.execute(
        update(Connection)
        .where(Connection.id == connection_id)
        .values(last_error=error[:1000], last_error_at=now, healthy=healthy)
    )
