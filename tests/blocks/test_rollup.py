"""The roll-up message: count, average, first lines, "and N more", within limits whatever it holds."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks.preview import render_message
from bot.blocks.rollup import (
    EVENT_TYPE_ROLLUP,
    RollupSummary,
    build_rollup,
    list_filter,
    period_label,
)
from bot.domain import Review
from bot.filters import LIST_KEYS, parse
from bot.pipeline.rollup_periods import period_for_review, period_of
from bot.results import ListedReview

from .limits import assert_message_within_limits, iter_text_objects

START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
END = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
HOSTILE = "<!channel> <@U123> *bold* <https://x|y> & `tick` @here " + "&<>" * 2000


def _review(i: int, *, text: str | None = "Lovely staff.\nSecond line.", **extra: object) -> Review:
    values: dict[str, object] = {
        "platform": "gumado",
        "id": str(100 + i),
        "rating": 4 + i % 2,
        "source": "Google",
        "published_at": datetime(2026, 12, 3, 9, i, tzinfo=UTC),
        "author": f"Author {i}",
        "text": text,
        "url": f"https://maps.google.com/review/{i}",
    }
    values.update(extra)
    return Review(**values)  # type: ignore[arg-type]


def _summary(count: int, total: int | None = None, **extra: object) -> RollupSummary:
    values: dict[str, object] = {
        "rollup_id": 7,
        "period_start": START,
        "period_end": END,
        "rating_range": (4, 5),
        "total": total if total is not None else count,
        "average": 4.56,
        "first": [ListedReview(_review(i), "Acme", "Downtown") for i in range(count)],
        "see_all": parse('org:"Acme" rollup:>=4 every:1h mention:@frontdesk alert:<=2'),
    }
    values.update(extra)
    return RollupSummary(**values)  # type: ignore[arg-type]


def _texts(message: dict) -> str:
    return "\n".join(t["text"] for t in iter_text_objects(message["blocks"]))


def test_a_rollup_shows_count_average_first_lines_and_the_rest() -> None:
    message = build_rollup(_summary(10, total=12))
    assert_message_within_limits(message)
    shown = render_message(message)
    assert "📋 12 reviews at 4–5★ · Dec 3, 09:00–10:00 UTC" in shown
    assert "*12 reviews* · average *4.6★*" in shown and "average 4.6★" in message["text"]
    assert shown.count("Lovely staff.") == 10 and "Second line" not in shown
    assert "Author 9" in shown and "Acme › Downtown" in shown and "Google" in shown
    assert "…and 2 more." in shown
    assert "See them all: `/reviews list org:Acme rating:4-5`" in _texts(message)
    assert message["metadata"] == {
        "event_type": EVENT_TYPE_ROLLUP,
        "event_payload": {"rollup_id": 7},
    }


def test_one_review_and_no_more() -> None:
    message = build_rollup(_summary(1, average=5.0))
    shown = render_message(message)
    assert "1 review at 4–5★" in shown and "more." not in shown


def test_the_see_all_command_is_a_list_filter_people_can_run() -> None:
    wanted = parse("rating:>=3 source:Google rollup:>=4 every:30m respond:2h mention:@x alert:<=3")
    words = list_filter(wanted, (4, 5)).canonical_text()
    assert words == "rating:4-5 source:google"
    assert parse(words, allow=LIST_KEYS) == list_filter(wanted, (4, 5))
    assert list_filter(None, (5, 5)).canonical_text() == "rating:5"


def test_period_labels() -> None:
    assert period_label(START, END) == "Dec 3, 09:00–10:00 UTC"
    day = datetime(2026, 12, 3, tzinfo=UTC)
    assert period_label(day, datetime(2026, 12, 4, tzinfo=UTC)) == "Dec 3 (UTC)"
    assert period_label(day, datetime(2026, 12, 6, tzinfo=UTC)) == "Dec 3 – Dec 5 (UTC)"
    late = datetime(2026, 12, 3, 23, 0, tzinfo=UTC)
    assert period_label(late, datetime(2026, 12, 4, tzinfo=UTC)) == "Dec 3, 23:00–00:00 UTC"
    odd = datetime(2026, 12, 3, 21, 0, tzinfo=UTC)
    assert (
        period_label(odd, datetime(2026, 12, 4, 4, 0, tzinfo=UTC))
        == "Dec 3, 21:00 – Dec 4, 04:00 UTC"
    )


def test_periods_are_epoch_aligned_and_old_reviews_join_the_current_one() -> None:
    now = datetime(2026, 12, 3, 9, 40, tzinfo=UTC)
    assert period_of(now, 60) == (START, END)
    assert period_of(END, 60)[0] == END  # a window holds its start, not its end
    # Published in this or the previous two periods: its own period.
    for minutes_ago, start_hour in ((10, 9), (70, 8), (150, 7)):
        published = datetime.fromtimestamp(now.timestamp() - minutes_ago * 60, UTC)
        assert period_for_review(published, now, 60)[0].hour == start_hour
    # Older (it ended before the previous period began), or ahead of our clock: the current one.
    assert period_for_review(datetime(2026, 12, 3, 5, 0, tzinfo=UTC), now, 60) == (START, END)
    assert period_for_review(datetime(2026, 12, 3, 11, 0, tzinfo=UTC), now, 60) == (START, END)


def test_hostile_text_stays_inert_and_within_limits() -> None:
    first = [
        ListedReview(
            _review(
                i,
                text=HOSTILE,
                author=HOSTILE,
                source=HOSTILE,
                url="https://example.test/" + "a" * 2900,
            ),
            HOSTILE,
            HOSTILE,
        )
        for i in range(10)
    ]
    wanted = parse('org:"' + "<!channel>`&" * 60 + '" rollup:>=4')
    message = build_rollup(_summary(10, total=500, first=first, see_all=wanted))
    assert_message_within_limits(message)
    for text in [message["text"], *(t["text"] for t in iter_text_objects(message["blocks"]))]:
        for dangerous in ("<!channel>", "<@U123>", "<https://x|y>", "<!here>"):
            assert dangerous not in text
    closing = message["blocks"][-1]["elements"][0]["text"]
    assert closing.count("`") == 2  # the command stays one code span
    assert "…and 490 more." in closing


def test_a_review_without_text_or_author() -> None:
    review = _review(0, text=None, author=None, url=None, rating=5)
    message = build_rollup(_summary(1, first=[ListedReview(review)], see_all=None))
    assert_message_within_limits(message)
    shown = render_message(message)
    assert "Anonymous" in shown and "`/reviews list rating:4-5`" in _texts(message)
