"""Reviews: the newest known state of each review, with change detection for cards."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Review
from storage.repositories._dialect import dialect_insert, is_postgresql

__all__ = [
    "ReviewLike",
    "ReviewUpsert",
    "get_review",
    "newest_review_at",
    "newest_reviews",
    "review_content_hash",
    "upsert_review",
]


class ReviewLike(Protocol):
    """What a review upsert reads (``bot.domain.Review`` fits)."""

    @property
    def id(self) -> str: ...
    @property
    def rating(self) -> int | None: ...
    @property
    def source(self) -> str: ...
    @property
    def published_at(self) -> datetime: ...
    @property
    def organization_id(self) -> str | None: ...
    @property
    def location_id(self) -> str | None: ...
    @property
    def author(self) -> str | None: ...
    @property
    def avatar_url(self) -> str | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def text(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...
    @property
    def source_logo_url(self) -> str | None: ...
    @property
    def reply(self) -> str | None: ...
    @property
    def reply_at(self) -> datetime | None: ...
    @property
    def reply_on(self) -> date | None: ...
    @property
    def updated_at(self) -> datetime | None: ...
    @property
    def hidden(self) -> bool | None: ...
    @property
    def verified(self) -> bool | None: ...
    @property
    def original_rating(self) -> int | None: ...
    @property
    def edited_at(self) -> datetime | None: ...
    @property
    def replied(self) -> bool | None: ...
    @property
    def reply_url(self) -> str | None: ...
    @property
    def archived(self) -> bool | None: ...
    @property
    def language(self) -> str | None: ...


class ReviewUpsert(NamedTuple):
    """Result of ``upsert_review``: the stored row, whether it is new, whether a card changed."""

    review: Review
    created: bool
    changed: bool


def _utc_iso(moment: datetime) -> str:
    # The same instant must hash the same whatever offset the platform wrote it with.
    return moment.astimezone(UTC).isoformat()


def review_content_hash(review: ReviewLike) -> str:
    """Return the SHA-256 of what a review card shows; a new value means the card is stale."""
    shown = {
        "rating": review.rating,
        "source": review.source,
        "published_at": _utc_iso(review.published_at),
        "organization_id": review.organization_id,
        "location_id": review.location_id,
        "author": review.author,
        "avatar_url": review.avatar_url,
        "title": review.title,
        "text": review.text,
        "url": review.url,
        "source_logo_url": review.source_logo_url,
        "reply": review.reply,
        "reply_at": _utc_iso(review.reply_at) if review.reply_at else None,
    }
    # Review state joined the hash later: only what a card shows of it, and only when set,
    # so the hash of a review without any (every row stored before) did not move.
    state = {
        "reply_on": review.reply_on.isoformat() if review.reply_on else None,
        "hidden": review.hidden or None,
        "verified": review.verified or None,
        "original_rating": review.original_rating
        if review.original_rating != review.rating
        else None,
        "edited_at": _utc_iso(review.edited_at) if review.edited_at else None,
        # A card shows "replied" only when it has no reply text to show.
        "replied": (review.replied and not review.reply) or None,
        "reply_url": review.reply_url,
        "archived": review.archived or None,
    }
    shown.update({key: value for key, value in state.items() if value is not None})
    canonical = json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _review_values(review: ReviewLike) -> dict[str, Any]:
    return {
        "organization_platform_id": review.organization_id,
        "location_platform_id": review.location_id,
        "source": review.source,
        "rating": review.rating,
        "author": review.author,
        "avatar_url": review.avatar_url,
        "title": review.title,
        "text": review.text,
        "url": review.url,
        "source_logo_url": review.source_logo_url,
        "reply": review.reply,
        "reply_at": review.reply_at,
        "reply_on": review.reply_on,
        "published_at": review.published_at,
        "platform_updated_at": review.updated_at,
        "hidden": review.hidden,
        "verified": review.verified,
        "original_rating": review.original_rating,
        "edited_at": review.edited_at,
        "replied": review.replied,
        "reply_url": review.reply_url,
        "archived": review.archived,
        "language": review.language,
        "content_hash": review_content_hash(review),
    }


_INSERTS: dict[str, Any] = {}


def _insert_if_absent(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    statement = _INSERTS.get(dialect)
    if statement is None:
        statement = _INSERTS[dialect] = (
            dialect_insert(session, Review)
            .on_conflict_do_nothing(index_elements=["connection_id", "platform_id"])
            .returning(Review.id)
        )
    return statement


async def upsert_review(
    session: AsyncSession, *, connection_id: int, review: ReviewLike, now: datetime
) -> ReviewUpsert:
    """Store the newest state of a review; ``changed`` is True when a shown field changed.

    A version older than the stored one (by the platform's ``updated_at``, e.g. a late webhook
    retry after a poll) is ignored.
    """
    values = _review_values(review)
    # Values as execution parameters: the statement is built once per dialect and its
    # compiled form cached (building a 20-column VALUES clause per review costs more than
    # the database round trip).
    connection = await session.connection()
    inserted = await connection.execute(
        _insert_if_absent(session),
        {
            "connection_id": connection_id,
            "platform_id": review.id,
            "first_seen_at": now,
            "updated_at": now,
            **values,
        },
    )
    review_id = inserted.scalar_one_or_none()
    query = select(Review).execution_options(populate_existing=True)
    if review_id is not None:
        row = await session.execute(query.where(Review.id == review_id))
        return ReviewUpsert(row.scalar_one(), created=True, changed=False)

    query = query.where(Review.connection_id == connection_id, Review.platform_id == review.id)
    if is_postgresql(session):
        # Serializes concurrent upserts of one review (poller and router), so one sees the change.
        query = query.with_for_update()
    stored = (await session.execute(query)).scalar_one()
    incoming_updated = review.updated_at
    if (
        incoming_updated is not None
        and stored.platform_updated_at is not None
        and incoming_updated < stored.platform_updated_at
    ):
        return ReviewUpsert(stored, created=False, changed=False)
    changed = stored.content_hash != values["content_hash"]
    if changed or stored.platform_updated_at != incoming_updated:
        for key, value in values.items():
            setattr(stored, key, value)
        stored.updated_at = now
        await session.flush()
    return ReviewUpsert(stored, created=False, changed=changed)


async def get_review(
    session: AsyncSession, *, connection_id: int, platform_id: str
) -> Review | None:
    """The stored state of one review of a connection, if known."""
    result = await session.execute(
        select(Review)
        .where(Review.connection_id == connection_id, Review.platform_id == platform_id)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def newest_reviews(
    session: AsyncSession, *, connection_ids: list[int], limit: int
) -> list[Review]:
    """The newest stored reviews of these connections, newest first."""
    if not connection_ids:
        return []
    result = await session.scalars(
        select(Review)
        .where(Review.connection_id.in_(connection_ids))
        .order_by(Review.published_at.desc(), Review.id.desc())
        .limit(limit)
    )
    return list(result)


async def newest_review_at(session: AsyncSession, *, connection_id: int) -> datetime | None:
    """The newest ``published_at`` stored for a connection (None when it has no reviews)."""
    result = await session.execute(
        select(func.max(Review.published_at)).where(Review.connection_id == connection_id)
    )
    return result.scalar_one_or_none()
