"""A digest's figures, computed with grouped SQL over the app's own ``reviews`` table.

A week is the 168 hours before ``now`` (start inclusive, ``now`` exclusive), compared with the
168 hours before that; the trend is twelve such weeks, oldest first. A review without a rating
counts as a review but not in averages or the star distribution (``COUNT(rating)`` and
``SUM(rating)`` skip NULLs).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.domain import LOW_RATING, DigestReview, DigestStats, SourceFigures, WeekFigures
from storage.models import Review

__all__ = [
    "TREND_WEEKS",
    "UNREPLIED_LIMIT",
    "WEEK",
    "OrganizationKey",
    "compute_digest_stats",
    "compute_digest_stats_many",
]

WEEK = timedelta(hours=168)
TREND_WEEKS = 12
UNREPLIED_LIMIT = 5

# (connection id, organization platform id)
OrganizationKey = tuple[int, str]


def _average(total: int, count: int) -> float | None:
    return total / count if count else None


def _has_reply() -> ColumnElement[bool]:
    # A reply text, or the platform saying the business replied (Gumado "replied",
    # Cloutly "status": "Responded") even when it passes no text on.
    return or_(and_(Review.reply.is_not(None), Review.reply != ""), Review.replied.is_(True))


def _scope(keys: Sequence[OrganizationKey]) -> ColumnElement[bool]:
    # Two IN lists instead of row values: portable, index-friendly; stray pairs are dropped later.
    return and_(
        Review.connection_id.in_(sorted({c for c, _ in keys})),
        Review.organization_platform_id.in_(sorted({o for _, o in keys})),
    )


def _week_starts(now: datetime) -> list[datetime]:
    """Start of each trend week, newest first (index 0 is the digest's week)."""
    return [now - WEEK * (i + 1) for i in range(TREND_WEEKS)]


async def _trend_rows(
    session: AsyncSession, keys: Sequence[OrganizationKey], now: datetime
) -> Iterable[Any]:
    starts = _week_starts(now)
    week = case(
        *((Review.published_at >= start, index) for index, start in enumerate(starts)),
    ).label("week")
    query = (
        select(
            Review.connection_id,
            Review.organization_platform_id,
            week,
            func.count().label("n"),
            func.count(Review.rating).label("rated"),
            func.sum(Review.rating).label("total"),
        )
        .where(_scope(keys), Review.published_at >= starts[-1], Review.published_at < now)
        .group_by(Review.connection_id, Review.organization_platform_id, week)
    )
    return (await session.execute(query)).all()


async def _week_detail_rows(
    session: AsyncSession, keys: Sequence[OrganizationKey], now: datetime
) -> Iterable[Any]:
    replied = case((_has_reply(), 1), else_=0).label("replied")
    query = (
        select(
            Review.connection_id,
            Review.organization_platform_id,
            Review.source,
            Review.rating,
            replied,
            func.count().label("n"),
        )
        .where(_scope(keys), Review.published_at >= now - WEEK, Review.published_at < now)
        .group_by(
            Review.connection_id,
            Review.organization_platform_id,
            Review.source,
            Review.rating,
            replied,
        )
    )
    return (await session.execute(query)).all()


async def _reply_times(
    session: AsyncSession, keys: Sequence[OrganizationKey], now: datetime
) -> dict[OrganizationKey, timedelta]:
    """The median time to reply of each organization's week.

    Over the week's replied reviews whose reply has a time (``reply_at``): a reply known only
    by its day (Cloutly's ``response.date``) would make "2 h" out of "the same day", so it is
    left out, as is a review the platform only flags as answered.
    """
    query = select(
        Review.connection_id,
        Review.organization_platform_id,
        Review.published_at,
        Review.reply_at,
    ).where(
        _scope(keys),
        Review.published_at >= now - WEEK,
        Review.published_at < now,
        Review.reply_at.is_not(None),
        _has_reply(),
    )
    waits: dict[OrganizationKey, list[float]] = defaultdict(list)
    for row in (await session.execute(query)).all():
        # A reply stamped before its review (clocks disagree) took no time, not negative time.
        seconds = max(0.0, (row.reply_at - row.published_at).total_seconds())
        waits[(row.connection_id, row.organization_platform_id)].append(seconds)
    return {key: timedelta(seconds=statistics.median(values)) for key, values in waits.items()}


async def _running_rows(
    session: AsyncSession, keys: Sequence[OrganizationKey], now: datetime
) -> Iterable[Any]:
    query = (
        select(
            Review.connection_id,
            Review.organization_platform_id,
            func.count().label("n"),
            func.count(Review.rating).label("rated"),
            func.sum(Review.rating).label("total"),
        )
        .where(_scope(keys), Review.published_at < now)
        .group_by(Review.connection_id, Review.organization_platform_id)
    )
    return (await session.execute(query)).all()


async def _ranked_reviews(
    session: AsyncSession,
    keys: Sequence[OrganizationKey],
    now: datetime,
    *,
    where: ColumnElement[bool],
    order_by: Sequence[Any],
    limit: int,
) -> dict[OrganizationKey, list[DigestReview]]:
    """The first ``limit`` reviews of each organization's week in ``order_by`` order."""
    rank = (
        func.row_number()
        .over(
            partition_by=(Review.connection_id, Review.organization_platform_id),
            order_by=order_by,
        )
        .label("rank")
    )
    ranked = (
        select(
            Review.connection_id,
            Review.organization_platform_id,
            Review.platform_id,
            Review.source,
            Review.rating,
            Review.author,
            Review.text,
            Review.url,
            Review.published_at,
            rank,
        )
        .where(_scope(keys), Review.published_at >= now - WEEK, Review.published_at < now, where)
        .subquery()
    )
    query = select(ranked).where(ranked.c.rank <= limit).order_by(ranked.c.rank)
    found: dict[OrganizationKey, list[DigestReview]] = defaultdict(list)
    for row in (await session.execute(query)).all():
        found[(row.connection_id, row.organization_platform_id)].append(
            DigestReview(
                platform_id=row.platform_id,
                source=row.source,
                rating=row.rating,
                author=row.author,
                text=row.text,
                url=row.url,
                published_at=row.published_at,
            )
        )
    return found


# (reviews, rated reviews, sum of ratings)
_Counts = tuple[int, int, int]


def _counts(row: Any) -> _Counts:
    return int(row.n), int(row.rated), int(row.total or 0)


async def _trend_counts(
    session: AsyncSession, keys: Sequence[OrganizationKey], now: datetime
) -> dict[OrganizationKey, dict[int, _Counts]]:
    """Counts per organization and week index (0 is the digest's week)."""
    trend: dict[OrganizationKey, dict[int, _Counts]] = defaultdict(dict)
    for row in await _trend_rows(session, keys, now):
        trend[(row.connection_id, row.organization_platform_id)][row.week] = _counts(row)
    return trend


def _weeks(counts: dict[int, _Counts], starts: Sequence[datetime]) -> tuple[WeekFigures, ...]:
    """The trend, oldest week first."""
    return tuple(
        WeekFigures(
            start=starts[i],
            end=starts[i] + WEEK,
            count=counts.get(i, (0, 0, 0))[0],
            average=_average(counts.get(i, (0, 0, 0))[2], counts.get(i, (0, 0, 0))[1]),
        )
        for i in reversed(range(TREND_WEEKS))
    )


async def _linked_reviews(
    session: AsyncSession, keys: Sequence[OrganizationKey], now: datetime
) -> tuple[dict[OrganizationKey, list[DigestReview]], dict[OrganizationKey, list[DigestReview]]]:
    """The unreplied low ratings (newest first) and the highlight of each organization."""
    unreplied = await _ranked_reviews(
        session,
        keys,
        now,
        where=and_(Review.rating <= LOW_RATING, ~_has_reply()),
        order_by=(Review.published_at.desc(), Review.id.desc()),
        limit=UNREPLIED_LIMIT,
    )
    highlights = await _ranked_reviews(
        session,
        keys,
        now,
        where=Review.rating > 0,
        order_by=(
            Review.rating.desc(),
            func.length(func.coalesce(Review.text, "")).desc(),
            Review.published_at.desc(),
            Review.id.desc(),
        ),
        limit=1,
    )
    return unreplied, highlights


async def compute_digest_stats_many(
    session: AsyncSession, organizations: Sequence[OrganizationKey], *, now: datetime
) -> dict[OrganizationKey, DigestStats]:
    """Compute every listed organization's digest figures at ``now`` with six queries."""
    keys = list(dict.fromkeys(organizations))
    if not keys:
        return {}
    trend = await _trend_counts(session, keys, now)
    detail: dict[OrganizationKey, list[Any]] = defaultdict(list)
    for row in await _week_detail_rows(session, keys, now):
        detail[(row.connection_id, row.organization_platform_id)].append(row)
    running = {
        (row.connection_id, row.organization_platform_id): _counts(row)
        for row in await _running_rows(session, keys, now)
    }
    unreplied, highlights = await _linked_reviews(session, keys, now)
    reply_times = await _reply_times(session, keys, now)
    starts = _week_starts(now)
    return {
        key: replace(
            _assemble(
                key,
                now,
                _weeks(trend.get(key, {}), starts),
                detail.get(key, []),
                running.get(key, (0, 0, 0)),
                unreplied.get(key, []),
                highlights.get(key, []),
            ),
            median_reply=reply_times.get(key),
        )
        for key in keys
    }


def _assemble(
    key: OrganizationKey,
    now: datetime,
    weeks: tuple[WeekFigures, ...],
    detail: list[Any],
    running: tuple[int, int, int],
    unreplied: list[DigestReview],
    highlights: list[DigestReview],
) -> DigestStats:
    current, previous = weeks[-1], weeks[-2]
    distribution = [0, 0, 0, 0, 0]
    # source → [reviews, rated reviews, sum of ratings]
    per_source: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    replied = unreplied_low = 0
    for row in detail:
        n = int(row.n)
        if row.rating is not None and row.rating <= LOW_RATING and not row.replied:
            unreplied_low += n
        per_source[row.source][0] += n
        if row.rating is not None:
            if 1 <= row.rating <= 5:
                distribution[row.rating - 1] += n
            per_source[row.source][1] += n
            per_source[row.source][2] += n * row.rating
        replied += n * int(row.replied)
    sources = tuple(
        SourceFigures(source=name, count=n, average=_average(total, rated))
        for name, (n, rated, total) in sorted(
            per_source.items(), key=lambda item: (-item[1][0], item[0])
        )
    )
    average_change = (
        current.average - previous.average
        if current.average is not None and previous.average is not None
        else None
    )
    return DigestStats(
        connection_id=key[0],
        organization_platform_id=key[1],
        now=now,
        current=current,
        previous=previous,
        average_change=average_change,
        count_change=current.count - previous.count,
        distribution=(
            distribution[0],
            distribution[1],
            distribution[2],
            distribution[3],
            distribution[4],
        ),
        sources=sources,
        replied=replied,
        reply_rate=_average(replied, current.count),
        unreplied_low=tuple(unreplied),
        unreplied_low_count=unreplied_low,
        highlight=highlights[0] if highlights else None,
        trend=weeks,
        running_count=running[0],
        running_average=_average(running[2], running[1]),
    )


async def compute_digest_stats(
    session: AsyncSession, *, connection_id: int, organization_platform_id: str, now: datetime
) -> DigestStats:
    """Compute one organization's digest figures for the 168 hours before ``now``."""
    key = (connection_id, organization_platform_id)
    return (await compute_digest_stats_many(session, [key], now=now))[key]
