"""Roll-up periods: fixed windows of ``every`` minutes aligned to the UTC epoch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["DEFAULT_EVERY_MINUTES", "Period", "period_for_review", "period_of"]

DEFAULT_EVERY_MINUTES = 1440
"""A roll-up without ``every:`` is posted once a day."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Period = tuple[datetime, datetime]


def period_of(moment: datetime, every_minutes: int) -> Period:
    """The window holding ``moment``: start = floor(t / every) * every, end = start + every."""
    every = timedelta(minutes=every_minutes)
    start = _EPOCH + ((moment - _EPOCH) // every) * every
    return start, start + every


def period_for_review(published_at: datetime, now: datetime, every_minutes: int) -> Period:
    """The period a review joins: its publication's, unless that ended before the previous
    period began (an old review first seen now) or lies ahead (a clock ahead of ours): then
    the current one."""
    current = period_of(now, every_minutes)
    start, end = period_of(published_at, every_minutes)
    previous_start = current[0] - timedelta(minutes=every_minutes)
    if end < previous_start or start > current[0]:
        return current
    return start, end
