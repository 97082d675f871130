"""Claims on deliveries: one holder per process, and on PostgreSQL one across replicas."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.pipeline.claims import ClaimRegistry


async def test_a_claim_has_one_holder_until_released(engine: AsyncEngine) -> None:
    claims = ClaimRegistry(engine)
    try:
        assert await claims.acquire(7)
        assert claims.held(7)
        assert not await claims.acquire(7)
        await claims.release(7)
        assert not claims.held(7)
        assert await claims.acquire(7)
    finally:
        await claims.close()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_replicas_exclude_each_other_and_a_dead_ones_claims_lapse(
    engine: AsyncEngine,
) -> None:
    replica_a, replica_b = ClaimRegistry(engine), ClaimRegistry(engine)
    try:
        assert await replica_a.acquire(42)
        assert not await replica_b.acquire(42)
        await replica_a.release(42)
        assert await replica_b.acquire(42)
        await replica_b.release(42)

        assert await replica_a.acquire(43)
        await replica_a.close()  # its connection goes, as when a process is killed
        assert await replica_b.acquire(43)
    finally:
        await replica_a.close()
        await replica_b.close()
