"""The dialect-specific bits the repositories share."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def is_postgresql(session: AsyncSession) -> bool:
    """Return True if the session talks to PostgreSQL (else SQLite)."""
    return session.get_bind().dialect.name == "postgresql"


def dialect_insert(session: AsyncSession, entity: Any) -> sqlite.Insert | postgresql.Insert:
    """Return the dialect's INSERT, which has ON CONFLICT on both SQLite and PostgreSQL."""
    if is_postgresql(session):
        return postgresql.insert(entity)
    return sqlite.insert(entity)
