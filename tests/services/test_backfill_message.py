"""What a subscriber is told about a backfill, and the words ``/reviews test`` takes."""

from __future__ import annotations

import pytest
from blocks.limits import assert_message_within_limits

from bot.blocks.subscriptions import build_notes
from bot.errors import UserError
from bot.filters import Backfill
from bot.services.backfill import Backfilled, backfill_message
from bot.services.channel_test import sample_rating


def test_each_outcome_reads_as_a_sentence() -> None:
    week = Backfill(minutes=7 * 1440)
    assert backfill_message(Backfilled(week, 7)) == (
        "Posting the 7 most recent matching reviews here, oldest first."
    )
    assert backfill_message(Backfilled(Backfill(count=1), 1)) == (
        "Posting the most recent matching review here."
    )
    none = backfill_message(Backfilled(week, 0))
    assert none.startswith("No review of the last 7 days matches this subscription")
    assert backfill_message(Backfilled(Backfill(count=5), 0)).startswith(
        "No review of the last 90 days"
    )
    assert backfill_message(Backfilled(week, 2, already=1)) == (
        "Posting the 2 most recent matching reviews here, oldest first. "
        "1 matching review was already here."
    )
    assert backfill_message(Backfilled(week, 0, already=3)) == (
        "3 matching reviews were already here."
    )


def test_many_hostile_problems_stay_within_a_message() -> None:
    problems = ["<!channel> &lt; `x` " * 300 for _ in range(5)]
    message = build_notes([backfill_message(Backfilled(Backfill(), 0, 0, problems, True))])
    assert_message_within_limits(message)


def test_sample_rating_words() -> None:
    assert sample_rating("") is None
    assert sample_rating("rating:1") == 1
    assert sample_rating(" Stars: 5★ ") == 5
    for bad in ("rating:9", "hello", "rating:1 rating:2"):
        with pytest.raises(UserError, match="/reviews test rating:1"):
            sample_rating(bad)
