"""Plain values the storage tests share (imported by module name: tests have no packages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

NOW = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class FakeReview:
    """Shaped like ``bot.providers.base.Review`` (the repositories only read attributes)."""

    id: str
    rating: int = 5
    source: str = "Google"
    published_at: datetime = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
    organization_id: str | None = "org-1"
    location_id: str | None = None
    author: str | None = "Ada"
    avatar_url: str | None = None
    title: str | None = None
    text: str | None = "Great coffee"
    url: str | None = None
    source_logo_url: str | None = None
    reply: str | None = None
    reply_at: datetime | None = None
    updated_at: datetime | None = None
