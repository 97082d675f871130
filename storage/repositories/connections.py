"""Connections: a team's links to Gumado and Cloutly accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Connection
from storage.repositories._dialect import dialect_insert

__all__ = ["get_connection_by_webhook_key", "list_connections", "upsert_connection"]


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
