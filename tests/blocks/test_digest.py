"""The weekly digest message: figures as text, limits, hostile review text, the empty week."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.blocks.digest import build_digest, format_change, format_reply_time, rating_bars
from bot.domain import DigestReview, DigestStats, SourceFigures, WeekFigures

from .limits import assert_message_within_limits, iter_text_objects

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEEK = timedelta(hours=168)
HOSTILE = "<!channel> <@U123> <https://evil.test|click me> & *bold* @here"
LIVE_ENTITY = re.compile(r"<(?:!|@|#|https?://evil)")


def _week(i: int, count: int, average: float | None) -> WeekFigures:
    return WeekFigures(NOW - (12 - i) * WEEK, NOW - (11 - i) * WEEK, count, average)


def _review(platform_id: str, rating: int, **extra: Any) -> DigestReview:
    values: dict[str, Any] = {
        "platform_id": platform_id,
        "source": "Google",
        "rating": rating,
        "author": "Ada",
        "text": "Fine",
        "url": f"https://reviews.test/{platform_id}",
        "published_at": NOW - timedelta(hours=3),
    }
    return DigestReview(**{**values, **extra})


def make_stats(**overrides: Any) -> DigestStats:
    quiet = [_week(i, 0, None) for i in range(10)]
    trend = (*quiet, _week(10, 3, 4.0), _week(11, 11, 32 / 11))
    values: dict[str, Any] = {
        "connection_id": 1,
        "organization_platform_id": "org-1",
        "now": NOW,
        "current": trend[-1],
        "previous": trend[-2],
        "average_change": 32 / 11 - 4.0,
        "count_change": 8,
        "distribution": (3, 2, 2, 1, 3),
        "sources": (SourceFigures("Google", 8, 3.0), SourceFigures("Yelp", 2, 1.5)),
        "replied": 3,
        "reply_rate": 3 / 11,
        "unreplied_low": (_review("r3", 2, source="Yelp"), _review("r4", 1)),
        "highlight": _review("r6", 5, text="Wonderful staff"),
        "trend": trend,
        "running_count": 17,
        "running_average": 55 / 17,
    }
    return DigestStats(**{**values, **overrides})


def _all_text(payload: dict[str, Any]) -> str:
    return "\n".join(obj["text"] for obj in iter_text_objects(payload["blocks"]))


def test_a_week_with_reviews_shows_every_figure() -> None:
    payload = build_digest(
        make_stats(),
        organization_name="Blue Bottle",
        connection_name="gumado",
        week_label="2026-W48",
    )
    assert_message_within_limits(payload)
    text = _all_text(payload)
    assert payload["text"] == (
        "Weekly digest for Blue Bottle: average 2.91★ (▼ 1.09), 11 reviews (+8 vs last week)."
    )
    assert "Blue Bottle" in payload["blocks"][0]["text"]["text"]
    assert "gumado · 2026-W48" in text
    assert "2.91★ ▼ 1.09" in text
    assert "11 (+8 vs last week)" in text
    assert "27% (3 of 11 replied)" in text
    assert rating_bars((3, 2, 2, 1, 3)) in text
    assert "• Google: 8 reviews, 3.00★" in text and "• Yelp: 2 reviews, 1.50★" in text
    assert "<https://reviews.test/r3|Open>" in text and "<https://reviews.test/r4|Open>" in text
    assert "Highlight" in text and "Wonderful staff" in text
    assert "`" + " " * 10 + "▆▄`" in text  # sparkline of the averages on a 1–5 scale
    assert payload["metadata"]["event_payload"]["week"] == "2026-W48"


def test_a_week_of_unrated_reviews_shows_no_average_rather_than_zero_stars() -> None:
    unrated = _week(11, 2, None)
    stats = make_stats(
        current=unrated,
        trend=(*make_stats().trend[:-1], unrated),
        average_change=None,
        count_change=-1,
        distribution=(0, 0, 0, 0, 0),
        sources=(SourceFigures("Facebook", 2, None),),
        replied=0,
        reply_rate=0.0,
        unreplied_low=(),
        highlight=None,
    )
    payload = build_digest(
        stats, organization_name="Blue Bottle", connection_name="cloutly", week_label="2026-W48"
    )
    assert_message_within_limits(payload)
    text = _all_text(payload)
    assert payload["text"] == (
        "Weekly digest for Blue Bottle: 2 reviews (−1 vs last week), none with a rating."
    )
    assert "*Average rating*\nno ratings" in text and "0.00" not in text
    assert "• Facebook: 2 reviews, no ratings" in text


def test_rating_bars_scale_to_the_largest_count() -> None:
    assert rating_bars((0, 0, 0, 1, 4)).splitlines() == [
        "5★ ████████████ 4",
        "4★ ███          1",
        "3★              0",
        "2★              0",
        "1★              0",
    ]
    assert rating_bars((0, 0, 0, 0, 0)).count("█") == 0


def test_changes_are_signed() -> None:
    assert format_change(0.3) == "▲ 0.30"
    assert format_change(-0.25) == "▼ 0.25"
    assert format_change(0.001) == "no change"
    assert format_change(None) == ""


def test_an_empty_week_says_so_with_the_running_average() -> None:
    empty = make_stats(
        current=_week(11, 0, None),
        average_change=None,
        count_change=-3,
        distribution=(0, 0, 0, 0, 0),
        sources=(),
        replied=0,
        reply_rate=None,
        unreplied_low=(),
        highlight=None,
    )
    payload = build_digest(
        empty, organization_name="Quiet Café", connection_name="gumado", week_label="2026-W48"
    )
    assert_message_within_limits(payload)
    assert "No new reviews this week" in _all_text(payload)
    assert "Running average: *3.24★* over 17 reviews" in _all_text(payload)
    assert "running average 3.24★" in payload["text"]
    never = replace(empty, running_count=0, running_average=None, trend=(_week(0, 0, None),) * 12)
    payload = build_digest(never, organization_name="New", connection_name="c", week_label="w")
    assert_message_within_limits(payload)
    assert "Running average" not in _all_text(payload)


def test_hostile_review_text_is_escaped_and_long_text_fits() -> None:
    hostile = _review(
        "h1",
        1,
        text=HOSTILE + " " + "x" * 5000,
        author=HOSTILE,
        source=HOSTILE,
        url="javascript:alert(1)",
    )
    stats = make_stats(
        unreplied_low=(hostile,) * 5,
        highlight=replace(hostile, rating=5),
        sources=tuple(SourceFigures(HOSTILE + str(i), 1, 1.0) for i in range(20)),
    )
    payload = build_digest(
        stats, organization_name=HOSTILE * 5, connection_name=HOSTILE, week_label="2026-W48"
    )
    assert_message_within_limits(payload)
    serialized = json.dumps(payload, ensure_ascii=False)
    for obj in iter_text_objects(payload["blocks"]):
        if obj["type"] == "mrkdwn":  # plain_text is never parsed for entities
            assert not LIVE_ENTITY.search(obj["text"]), obj["text"]
    assert not LIVE_ENTITY.search(payload["text"])
    assert "javascript:" not in serialized
    assert "&lt;!channel&gt;" in _all_text(payload)
    assert "…and 12 more sources" in _all_text(payload)


@pytest.mark.parametrize(
    ("wait", "shown"),
    [
        (timedelta(minutes=0), "1 min"),
        (timedelta(minutes=25), "25 min"),
        (timedelta(hours=5, minutes=10), "5 h"),
        (timedelta(hours=47), "47 h"),
        (timedelta(days=3, hours=2), "3 days"),
    ],
)
def test_reply_time_reads_in_minutes_hours_or_days(wait: timedelta, shown: str) -> None:
    assert format_reply_time(wait) == shown


def test_the_median_time_to_reply_and_the_unanswered_low_ratings_are_shown() -> None:
    stats = make_stats(median_reply=timedelta(hours=5), unreplied_low_count=7)
    payload = build_digest(
        stats, organization_name="Blue Bottle", connection_name="gumado", week_label="2026-W48"
    )
    assert_message_within_limits(payload)
    text = _all_text(payload)
    assert "*Median time to reply*\n5 h" in text
    assert "*Unanswered at 3★ or below*\n7" in text
    assert "*Unreplied reviews at 3★ or below* (the newest 2 of 7)" in text
    unknown = _all_text(
        build_digest(make_stats(), organization_name="B", connection_name="g", week_label="W")
    )
    assert "*Median time to reply*\nnot known" in unknown  # replies with no time given
    none = make_stats(replied=0, reply_rate=0.0)
    assert "*Median time to reply*\nno replies" in _all_text(
        build_digest(none, organization_name="B", connection_name="g", week_label="W")
    )
