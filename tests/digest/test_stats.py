"""Digest figures against hand-computed expectations, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from digest_samples import HOUR, NOW, WEEK, add_connection, add_reviews, org1_history, review_row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.digest.stats import TREND_WEEKS, compute_digest_stats, compute_digest_stats_many
from bot.domain import DigestStats, SourceFigures


async def _stats(
    sessions: async_sessionmaker[AsyncSession], conn: int, org: str, now=NOW
) -> DigestStats:
    async with sessions() as session:
        return await compute_digest_stats(
            session, connection_id=conn, organization_platform_id=org, now=now
        )


async def test_every_figure_of_a_seeded_week(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    conn = await add_connection(session_factory, "main")
    other = await add_connection(session_factory, "other")
    await add_reviews(
        session_factory,
        [
            *org1_history(conn),
            # Neighbours that must not leak in: another organization, another connection.
            review_row(conn, "n1", 1, NOW - HOUR, org="org-2"),
            review_row(other, "n2", 1, NOW - HOUR, org="org-1"),
        ],
    )
    stats = await _stats(session_factory, conn, "org-1")

    assert stats.current.start == NOW - WEEK and stats.current.end == NOW
    assert stats.current.count == 11
    assert stats.current.average == pytest.approx(32 / 11)
    assert stats.previous.count == 3
    assert stats.previous.average == pytest.approx(4.0)
    assert stats.average_change == pytest.approx(32 / 11 - 4.0)
    assert stats.count_change == 8
    assert stats.distribution == (3, 2, 2, 1, 3)
    assert stats.sources == (
        SourceFigures("Google", 8, 3.0),
        SourceFigures("Yelp", 2, 1.5),
        SourceFigures("Facebook", 1, 5.0),
    )
    assert stats.replied == 3  # r1, r6, r9; r4's empty reply is no reply
    assert stats.reply_rate == pytest.approx(3 / 11)
    assert [r.platform_id for r in stats.unreplied_low] == ["r3", "r4", "r5", "r10", "r11"]
    assert stats.unreplied_low[0].url == "https://yelp.test/r3"
    assert stats.unreplied_low[0].source == "Yelp"
    # 5★ r1, r6, r7: r6 and r7 have the longest text; r6 is newer.
    assert stats.highlight is not None and stats.highlight.platform_id == "r6"
    assert len(stats.trend) == TREND_WEEKS
    assert stats.trend[-1] == stats.current and stats.trend[-2] == stats.previous
    assert [w.count for w in stats.trend] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 11]
    assert stats.trend[0].average == 4.0 and stats.trend[9].average == 2.0
    assert all(w.average is None for w in stats.trend[1:9])
    assert stats.trend[0].start == NOW - TREND_WEEKS * WEEK
    assert all(a.end == b.start for a, b in zip(stats.trend, stats.trend[1:], strict=False))
    assert stats.running_count == 17  # 11 + 3 + o1, o2, o3
    assert stats.running_average == pytest.approx(55 / 17)
    assert not stats.empty


async def test_unrated_reviews_count_but_are_not_averaged(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    conn = await add_connection(session_factory, "main")
    await add_reviews(
        session_factory,
        [
            review_row(conn, "r1", 5, NOW - HOUR, text="Lovely"),
            # Answered on the review site: the platform says so, with no text passed on.
            review_row(conn, "r2", None, NOW - 2 * HOUR, replied=True),
            review_row(conn, "r3", 2, NOW - 3 * HOUR, source="Yelp"),
            review_row(conn, "r4", None, NOW - 4 * HOUR, source="Yelp"),
            review_row(conn, "r5", 1, NOW - 5 * HOUR, reply="Sorry!"),
            review_row(conn, "r6", None, NOW - 6 * HOUR, source="Facebook"),
            review_row(conn, "p1", None, NOW - WEEK - HOUR),
        ],
    )
    stats = await _stats(session_factory, conn, "org-1")
    assert stats.current.count == 6
    assert stats.current.average == pytest.approx(8 / 3)  # 5, 2, 1: the unrated are not 0★
    assert stats.distribution == (1, 1, 0, 0, 1)
    assert stats.sources == (
        SourceFigures("Google", 3, 3.0),
        SourceFigures("Yelp", 2, 2.0),
        SourceFigures("Facebook", 1, None),
    )
    assert stats.replied == 2 and stats.reply_rate == pytest.approx(2 / 6)
    assert [r.platform_id for r in stats.unreplied_low] == ["r3"]
    assert stats.highlight is not None and stats.highlight.platform_id == "r1"
    assert (stats.previous.count, stats.previous.average, stats.average_change) == (1, None, None)
    assert stats.running_count == 7 and stats.running_average == pytest.approx(8 / 3)


async def test_window_boundaries_are_168_hours(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    conn = await add_connection(session_factory, "main")
    start = NOW - WEEK
    await add_reviews(
        session_factory,
        [
            review_row(conn, "at-start", 5, start),
            review_row(conn, "before-start", 1, start - timedelta(microseconds=1)),
            review_row(conn, "just-before-now", 4, NOW - timedelta(microseconds=1)),
            review_row(conn, "at-now", 1, NOW),
        ],
    )
    stats = await _stats(session_factory, conn, "org-1")
    assert (stats.current.count, stats.current.average) == (2, 4.5)
    assert (stats.previous.count, stats.previous.average) == (1, 1.0)
    # An hour later, the first review has left the week and "at-now" has joined it.
    later = await _stats(session_factory, conn, "org-1", now=NOW + HOUR)
    assert (later.current.count, later.current.average) == (2, 2.5)


async def test_an_empty_week_has_the_running_average_and_no_division_by_zero(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    conn = await add_connection(session_factory, "main")
    await add_reviews(
        session_factory,
        [
            review_row(conn, "old1", 4, NOW - 400 * HOUR, org="quiet"),
            review_row(conn, "old2", 3, NOW - 3000 * HOUR, org="quiet"),
        ],
    )
    quiet = await _stats(session_factory, conn, "quiet")
    assert quiet.empty
    assert (quiet.current.count, quiet.current.average) == (0, None)
    assert (quiet.previous.count, quiet.previous.average) == (0, None)
    assert quiet.average_change is None and quiet.count_change == 0
    assert quiet.reply_rate is None and quiet.replied == 0
    assert quiet.distribution == (0, 0, 0, 0, 0) and quiet.sources == ()
    assert quiet.unreplied_low == () and quiet.highlight is None
    assert [w.count for w in quiet.trend][-3] == 1
    assert (quiet.running_count, quiet.running_average) == (2, 3.5)

    nothing = await _stats(session_factory, conn, "never-reviewed")
    assert nothing.empty and nothing.running_count == 0 and nothing.running_average is None
    assert all(w.count == 0 and w.average is None for w in nothing.trend)


async def test_many_organizations_at_once_match_one_at_a_time(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    conn = await add_connection(session_factory, "main")
    other = await add_connection(session_factory, "other")
    rows = [
        *org1_history(conn),
        review_row(conn, "b1", 2, NOW - 5 * HOUR, org="org-2", source="Yelp"),
        review_row(conn, "b2", 4, NOW - 200 * HOUR, org="org-2"),
        review_row(other, "c1", 5, NOW - 2 * HOUR, org="org-9", reply="Thank you"),
        # (conn, org-9) and (other, org-1) are not asked for: fetched by the IN lists, dropped.
        review_row(conn, "x1", 1, NOW - 2 * HOUR, org="org-9"),
        review_row(other, "x2", 1, NOW - 2 * HOUR, org="org-1"),
    ]
    await add_reviews(session_factory, rows)
    keys = [(conn, "org-1"), (conn, "org-2"), (other, "org-9")]
    async with session_factory() as session:
        many = await compute_digest_stats_many(session, keys, now=NOW)
    assert set(many) == set(keys)
    for conn_id, org in keys:
        assert many[(conn_id, org)] == await _stats(session_factory, conn_id, org)
    assert many[(conn, "org-1")].current.count == 11
    assert (many[(conn, "org-2")].current.count, many[(conn, "org-2")].count_change) == (1, 0)
    assert many[(other, "org-9")].reply_rate == 1.0
    async with session_factory() as session:
        assert await compute_digest_stats_many(session, [], now=NOW) == {}


async def test_median_time_to_reply_and_unanswered_low_ratings(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    conn = await add_connection(session_factory, "main")
    day = NOW - 30 * HOUR
    await add_reviews(
        session_factory,
        [
            review_row(conn, "a", 2, NOW - 10 * HOUR, reply="Sorry", reply_at=NOW - 8 * HOUR),
            review_row(conn, "b", 5, NOW - 20 * HOUR, reply="Thanks", reply_at=NOW - 15 * HOUR),
            review_row(conn, "c", 1, day, replied=True, reply_at=day + 20 * HOUR),
            # Only the reply's day is known (Cloutly): left out of the median.
            review_row(conn, "d", 4, NOW - 40 * HOUR, reply="Ok", reply_on=NOW.date()),
            # Flagged as answered, with no time: counted as replied, not timed.
            review_row(conn, "e", 3, NOW - 50 * HOUR, replied=True),
            # A reply stamped before its review takes no time, not negative time.
            review_row(conn, "f", 5, NOW - 60 * HOUR, reply="Hi", reply_at=NOW - 61 * HOUR),
            *(review_row(conn, f"low{i}", i % 3 + 1, NOW - (70 + i) * HOUR) for i in range(7)),
            review_row(conn, "old", 1, NOW - WEEK - HOUR, reply="x", reply_at=NOW),
        ],
    )
    stats = await _stats(session_factory, conn, "org-1")
    # Waits of a, b, c, f: 2 h, 5 h, 20 h, 0 h → the median is 3.5 h.
    assert stats.median_reply == timedelta(hours=3.5)
    assert stats.replied == 6
    assert stats.unreplied_low_count == 7
    assert len(stats.unreplied_low) == 5

    quiet = await _stats(session_factory, conn, "org-1", now=NOW - 3 * WEEK)
    assert (quiet.median_reply, quiet.unreplied_low_count) == (None, 0)
