"""Issue 13's chaos check, small: replicas of ``reviewbot serve`` on one PostgreSQL, hurt mid-burst.

``bench/chaos.py`` is the version run by hand (3 replicas, 120 reviews, full-length outages, a
table). This runs the same machinery at a size CI affords: 16 reviews over 2 s (so each fault
lands mid-burst, 1.4 s in) sent by a client that redelivers until answered 200, outages at a
fifth of their length, with two replicas and with one. Every review must end with exactly its
two cards (its rating's channel and the catch-all one), nothing lost, nothing doubled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from chaos import Outcome, run_scenario

REVIEWS = 16
RATE = 8.0
SCALE = 0.2
# A dead replica's leases lapse within the test (60 s by default; 15 s is the least allowed).
SETTINGS = {"DELIVERY_LEASE_SECONDS": "15"}
DRAIN_LIMIT = 60.0

SCENARIOS = [
    "kill9",
    "pg-down",
    "db-blip-slow-slack",
    "sigterm",
    "slack-5xx",
]


def _row(outcome: Outcome) -> str:
    drained = "not drained" if outcome.drain is None else f"drained in {outcome.drain:.1f} s"
    return (
        f"{outcome.scenario} with {outcome.replicas} replica(s): sent {outcome.sent}, "
        f"acknowledged {outcome.acknowledged}, redelivered {outcome.redelivered}, "
        f"cards {outcome.cards}, lost {outcome.lost}, doubled {outcome.doubled}, {drained}"
    )


@pytest.mark.postgres
@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_every_review_ends_with_exactly_its_cards(
    scenario: str, new_postgres_database: Callable[[], Awaitable[str]], tmp_path: Path
) -> None:
    async def run(replicas: int) -> Outcome:
        workdir = tmp_path / f"{replicas}-replicas"
        workdir.mkdir()
        return await run_scenario(
            scenario,
            replicas,
            REVIEWS,
            SCALE,
            workdir,
            await new_postgres_database(),  # migrated: a copy of the session's template
            migrate=False,
            settings=SETTINGS,
            rate=RATE,
            drain_limit=DRAIN_LIMIT,
            late_wait=2.0,
        )

    # Both mostly wait (for leases to lapse, for Slack's pace), so they run side by side.
    outcomes = await asyncio.gather(run(2), run(1))

    seen = "; ".join(_row(outcome) for outcome in outcomes) + f"; replica logs in {tmp_path}"
    print(seen)
    for outcome in outcomes:
        assert outcome.acknowledged == REVIEWS, seen
        assert outcome.drain is not None, seen
        assert (outcome.lost, outcome.doubled) == (0, 0), seen
        assert outcome.cards == 2 * REVIEWS, seen
