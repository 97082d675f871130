"""A small hand-counted review history for the digest tests (imported by module name)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Connection, Review

# A Monday morning; the digest week is [Nov 16 09:00, Nov 23 09:00) UTC.
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
WEEK = timedelta(hours=168)


def review_row(
    connection_id: int,
    platform_id: str,
    rating: int | None,
    published_at: datetime,
    *,
    org: str = "org-1",
    source: str = "Google",
    text: str | None = None,
    reply: str | None = None,
    url: str | None = None,
    author: str | None = "Ada",
    replied: bool | None = None,
    reply_at: datetime | None = None,
    reply_on: date | None = None,
) -> dict[str, Any]:
    """One ``reviews`` row as a dict for a bulk insert."""
    return {
        "connection_id": connection_id,
        "platform_id": platform_id,
        "organization_platform_id": org,
        "source": source,
        "rating": rating,
        "author": author,
        "text": text,
        "url": url,
        "reply": reply,
        "replied": replied,
        "reply_at": reply_at,
        "reply_on": reply_on,
        "published_at": published_at,
        "content_hash": hashlib.sha256(platform_id.encode()).hexdigest(),
        "first_seen_at": published_at,
        "updated_at": published_at,
    }


async def add_connection(sessions: async_sessionmaker[AsyncSession], name: str) -> int:
    """Insert a connection of team T1 and return its id."""
    async with sessions() as session, session.begin():
        connection = Connection(
            team_id="T1",
            platform="gumado",
            name=name,
            token_encrypted="gAAAA-not-a-real-token",
            webhook_key=f"whk-{name}",
        )
        session.add(connection)
        await session.flush()
        return connection.id


async def add_reviews(
    sessions: async_sessionmaker[AsyncSession], rows: list[dict[str, Any]]
) -> None:
    """Bulk insert ``reviews`` rows."""
    async with sessions() as session, session.begin():
        await session.execute(insert(Review), rows)


def org1_history(conn: int) -> list[dict[str, Any]]:
    """org-1's reviews; the expected figures are counted by hand in test_stats.py."""
    ago = lambda hours: NOW - hours * HOUR  # noqa: E731
    long_text = "Wonderful staff and great coffee"
    return [
        # The digest week: 11 reviews, sum 32.
        review_row(conn, "r1", 5, ago(1), text="Lovely", reply="Thanks"),
        review_row(conn, "r2", 4, ago(10), text="Good"),
        review_row(
            conn,
            "r3",
            2,
            ago(20),
            source="Yelp",
            text="Slow <!channel> service",
            url="https://yelp.test/r3",
        ),
        review_row(conn, "r4", 1, ago(30), source="Yelp", text="Cold food", reply=""),
        review_row(conn, "r5", 3, ago(40)),
        review_row(conn, "r6", 5, ago(50), source="Facebook", text=long_text, reply="Thanks!"),
        review_row(conn, "r7", 5, NOW - WEEK, text=long_text),  # first instant of the week
        review_row(conn, "r9", 1, ago(60), reply="Sorry"),
        review_row(conn, "r10", 3, ago(70)),
        review_row(conn, "r11", 2, ago(80)),
        review_row(conn, "r12", 1, ago(90)),
        # Published at ``now`` itself: after the window, in no figure.
        review_row(conn, "r8", 2, NOW),
        # The week before: 3 reviews, sum 12.
        review_row(conn, "p1", 4, NOW - WEEK - timedelta(seconds=1)),
        review_row(conn, "p2", 5, NOW - 2 * WEEK),
        review_row(conn, "p3", 3, ago(200), source="Yelp"),
        # Older: trend weeks 3 and 12, and one before the trend.
        review_row(conn, "o1", 2, NOW - 2 * WEEK - timedelta(seconds=1)),
        review_row(conn, "o2", 4, ago(1853)),
        review_row(conn, "o3", 5, ago(2100)),
    ]
