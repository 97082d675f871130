"""Rows most storage tests need."""

from __future__ import annotations

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from storage_samples import NOW

from storage.models import Connection


@pytest_asyncio.fixture
async def connection_id(session_factory: async_sessionmaker[AsyncSession]) -> int:
    """Id of a committed Gumado connection of team T1."""
    async with session_factory() as session, session.begin():
        connection = Connection(
            team_id="T1",
            platform="gumado",
            name="Main",
            token_encrypted="gAAAA-not-a-real-token",
            webhook_key="whk-main",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(connection)
        await session.flush()
        return connection.id
