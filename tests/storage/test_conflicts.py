"""A real PostgreSQL deadlock is recognised, and transactions caught in one run again."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.conflicts import is_conflict, retry_conflicts
from storage.engine import create_engine


async def _table(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE tally (id int PRIMARY KEY, hits int)"))
        await connection.execute(text("INSERT INTO tally VALUES (1, 0), (2, 0)"))


async def _crossing(
    engine: AsyncEngine, first: int, second: int, both_hold: asyncio.Barrier | None
) -> None:
    """Lock ``first``, wait until the other transaction holds its row, then want ``second``."""
    async with engine.begin() as connection:
        bump = text("UPDATE tally SET hits = hits + 1 WHERE id = :id")
        await connection.execute(bump, {"id": first})
        if both_hold is not None:
            await both_hold.wait()
        await connection.execute(bump, {"id": second})


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_deadlock_is_a_conflict_and_the_loser_runs_again(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await _table(engine)
        # Without the retry, one of two crossing transactions is aborted as a deadlock.
        barrier = asyncio.Barrier(2)
        results = await asyncio.gather(
            _crossing(engine, 1, 2, barrier),
            _crossing(engine, 2, 1, barrier),
            return_exceptions=True,
        )
        [error] = [r for r in results if isinstance(r, BaseException)]
        assert isinstance(error, DBAPIError) and is_conflict(error)
        assert not is_conflict(ValueError("not a database error"))

        # With it, the aborted one runs again from the start: both increments land.
        barrier = asyncio.Barrier(2)
        runs: list[int] = []

        async def crossing(first: int, second: int) -> None:
            # Only the first attempts meet (and deadlock); a retry runs on its own.
            hold = barrier if first not in runs else None
            runs.append(first)
            await asyncio.wait_for(_crossing(engine, first, second, hold), 10)

        await asyncio.gather(
            retry_conflicts(lambda: crossing(1, 2)), retry_conflicts(lambda: crossing(2, 1))
        )
        async with engine.connect() as connection:
            hits = (await connection.execute(text("SELECT sum(hits) FROM tally"))).scalar_one()
        assert hits == 2 + 4 and len(runs) == 3
    finally:
        await engine.dispose()
