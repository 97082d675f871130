"""Digest runs: the row that says a weekly digest is taken, across replicas."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DigestRun
from storage.repositories._dialect import dialect_insert

__all__ = [
    "claim_digest_runs",
    "digest_organization_key",
    "finish_digest_run",
    "iso_week_of",
    "take_over_stale_runs",
]


def digest_organization_key(connection_id: int, organization_platform_id: str) -> str:
    """Return the ``digest_runs.organization_key`` of one organization of a connection."""
    return f"{connection_id}:{organization_platform_id}"


def iso_week_of(day: date) -> str:
    """Return the ISO 8601 week of ``day`` as stored in ``digest_runs``, e.g. ``2026-W47``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def claim_digest_runs(
    session: AsyncSession,
    *,
    subscription_id: int,
    organization_keys: Sequence[str],
    iso_week: str,
    now: datetime,
) -> set[str]:
    """Insert the week's run rows before posting (one statement); the keys this call took.

    A key another run (or replica) already has is left out. Rows go in key order, so two
    replicas claiming the same subscription wait on each other instead of deadlocking.
    """
    if not organization_keys:
        return set()
    result = await session.execute(
        dialect_insert(session, DigestRun)
        .values(
            [
                {
                    "subscription_id": subscription_id,
                    "organization_key": key,
                    "iso_week": iso_week,
                    "status": "claimed",
                    "claimed_at": now,
                }
                for key in sorted(set(organization_keys))
            ]
        )
        .on_conflict_do_nothing(index_elements=["subscription_id", "organization_key", "iso_week"])
        .returning(DigestRun.organization_key)
    )
    return set(result.scalars())


async def finish_digest_run(
    session: AsyncSession,
    *,
    subscription_id: int,
    organization_key: str,
    iso_week: str,
    status: str,
    now: datetime,
    message_ts: str | None = None,
    error: str | None = None,
) -> None:
    """Record how a claimed run ended: ``sent`` (with ``message_ts``), ``skipped`` or ``failed``."""
    await session.execute(
        update(DigestRun)
        .where(
            DigestRun.subscription_id == subscription_id,
            DigestRun.organization_key == organization_key,
            DigestRun.iso_week == iso_week,
        )
        .values(status=status, finished_at=now, message_ts=message_ts, error=error)
    )


async def take_over_stale_runs(
    session: AsyncSession,
    *,
    subscription_id: int,
    organization_keys: Sequence[str],
    iso_week: str,
    claimed_before: datetime,
    now: datetime,
) -> set[str]:
    """Take the runs still ``claimed`` since before ``claimed_before`` (their process died
    mid-run); the keys taken.

    The compare-and-set on ``claimed_at`` lets exactly one replica take each over.
    """
    if not organization_keys:
        return set()
    result = await session.execute(
        update(DigestRun)
        .where(
            DigestRun.subscription_id == subscription_id,
            DigestRun.organization_key.in_(sorted(set(organization_keys))),
            DigestRun.iso_week == iso_week,
            DigestRun.status == "claimed",
            DigestRun.claimed_at < claimed_before,
        )
        .values(claimed_at=now)
        .returning(DigestRun.organization_key)
    )
    return set(result.scalars())
