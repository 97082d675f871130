"""Digest runs: the row that says a weekly digest is taken, across replicas."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DigestRun
from storage.repositories._dialect import dialect_insert

__all__ = [
    "claim_digest_run",
    "digest_organization_key",
    "finish_digest_run",
    "iso_week_of",
    "runs_of_week",
    "take_over_stale_run",
]


def digest_organization_key(connection_id: int, organization_platform_id: str) -> str:
    """Return the ``digest_runs.organization_key`` of one organization of a connection."""
    return f"{connection_id}:{organization_platform_id}"


def iso_week_of(day: date) -> str:
    """Return the ISO 8601 week of ``day`` as stored in ``digest_runs``, e.g. ``2026-W47``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def claim_digest_run(
    session: AsyncSession,
    *,
    subscription_id: int,
    organization_key: str,
    iso_week: str,
    now: datetime,
) -> bool:
    """Insert the week's run row before posting; False if another run (or replica) has it."""
    result = await session.execute(
        dialect_insert(session, DigestRun)
        .values(
            subscription_id=subscription_id,
            organization_key=organization_key,
            iso_week=iso_week,
            status="claimed",
            claimed_at=now,
        )
        .on_conflict_do_nothing(index_elements=["subscription_id", "organization_key", "iso_week"])
        .returning(DigestRun.id)
    )
    return result.scalar_one_or_none() is not None


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


async def take_over_stale_run(
    session: AsyncSession,
    *,
    subscription_id: int,
    organization_key: str,
    iso_week: str,
    claimed_before: datetime,
    now: datetime,
) -> bool:
    """Take a run still ``claimed`` since before ``claimed_before`` (its process died mid-run).

    The compare-and-set on ``claimed_at`` lets exactly one replica take it over.
    """
    result = await session.execute(
        update(DigestRun)
        .where(
            DigestRun.subscription_id == subscription_id,
            DigestRun.organization_key == organization_key,
            DigestRun.iso_week == iso_week,
            DigestRun.status == "claimed",
            DigestRun.claimed_at < claimed_before,
        )
        .values(claimed_at=now)
        .returning(DigestRun.id)
    )
    return result.scalar_one_or_none() is not None


async def runs_of_week(
    session: AsyncSession, *, subscription_id: int, iso_week: str
) -> dict[str, DigestRun]:
    """The subscription's runs of one ISO week, by organization key."""
    rows = await session.scalars(
        select(DigestRun).where(
            DigestRun.subscription_id == subscription_id, DigestRun.iso_week == iso_week
        )
    )
    return {row.organization_key: row for row in rows}
