"""Where a connection's polling stands: the baseline horizon and the newest review times seen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain import Review

__all__ = ["LATE_WINDOW", "PollCursor"]

# Reviews published this long before the newest one seen are still read for changes.
LATE_WINDOW = timedelta(hours=48)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class PollCursor:
    """``connections.poll_cursor``: the baseline horizon and the newest review times seen."""

    horizon: datetime | None = None
    newest: datetime | None = None
    updated: datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> PollCursor:
        """Read a stored cursor (anything unreadable is "no cursor yet")."""
        if not isinstance(data, dict):
            return cls()
        return cls(
            _moment(data.get("horizon")), _moment(data.get("newest")), _moment(data.get("updated"))
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON stored in ``connections.poll_cursor``."""
        return {
            "horizon": _iso(self.horizon),
            "newest": _iso(self.newest),
            "updated": _iso(self.updated),
        }

    def advanced(self, reviews: Iterable[Review]) -> PollCursor:
        """This cursor moved past ``reviews``."""
        reviews = list(reviews)
        newest = max(
            [r.published_at for r in reviews] + ([self.newest] if self.newest else []), default=None
        )
        stamps = [r.updated_at for r in reviews if r.updated_at is not None]
        updated = max(stamps + ([self.updated] if self.updated else []), default=None)
        return PollCursor(self.horizon, newest, updated)

    def scan_from(self) -> datetime | None:
        """Reviews published before this are not read again (unless their updated_at moved)."""
        if self.newest is None:
            return self.horizon
        late = self.newest - LATE_WINDOW
        return max(late, self.horizon) if self.horizon is not None else late

    def changed_since(self, review: Review) -> bool:
        """Whether ``review`` is in the scan window or was edited after the newest edit seen."""
        scan_from = self.scan_from()
        if scan_from is None or review.published_at >= scan_from:
            return True
        return (
            review.updated_at is not None
            and self.updated is not None
            and review.updated_at > self.updated
        )
