"""Plain values the storage tests share (imported by module name: tests have no packages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

NOW = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class FakeReview:
    """Shaped like ``bot.domain.Review`` (the repositories only read attributes)."""

    id: str
    rating: int | None = 5
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
    reply_on: date | None = None
    updated_at: datetime | None = None
    hidden: bool | None = None
    verified: bool | None = None
    original_rating: int | None = None
    edited_at: datetime | None = None
    replied: bool | None = None
    reply_url: str | None = None
    archived: bool | None = None
    language: str | None = None
