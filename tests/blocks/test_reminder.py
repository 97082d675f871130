"""The reminder in a card's thread: its words, its mentions, its key, within Slack's limits."""

from __future__ import annotations

import pytest

from bot.blocks.reminder import EVENT_TYPE_REMINDER, build_reminder, reminder_key, waited

from .limits import assert_message_within_limits
from .test_card import HOSTILE, LIVE_ENTITY


def test_a_reminder_names_the_rating_the_wait_the_people_and_where_to_reply() -> None:
    reminder = build_reminder(
        delivery_id=42,
        rating=2,
        source="Google",
        unanswered_minutes=24 * 60 + 3,
        mentions=["U0FRONT", "S0DESK"],
        reply_url="https://g.test/reply/1",
    )
    assert_message_within_limits(reminder)
    assert reminder["text"] == (
        "⏰ This 2★ Google review has not been answered for 24 hours. "
        "<@U0FRONT> <!subteam^S0DESK> — <https://g.test/reply/1|Reply on Google>"
    )
    (button,) = reminder["blocks"][1]["elements"]
    assert (button["text"]["text"], button["url"]) == ("Reply on Google", "https://g.test/reply/1")
    assert reminder["metadata"] == {
        "event_type": EVENT_TYPE_REMINDER,
        "event_payload": {"delivery_id": 42, "reminder_key": "reminder-42"},
    }
    assert reminder_key(42) == "reminder-42"


def test_hostile_source_mentions_and_url_ping_nobody() -> None:
    reminder = build_reminder(
        delivery_id=1,
        rating=None,
        source=HOSTILE * 50 + "\u202e",
        unanswered_minutes=5,
        mentions=["<!channel>", "@here", "everyone", "U0FRONT"],
        reply_url="javascript:alert(1)",
    )
    assert_message_within_limits(reminder)
    for text in (reminder["text"], reminder["blocks"][0]["text"]["text"]):
        live = [m.group(0) for m in LIVE_ENTITY.finditer(text)]
        assert live == ["<@"], text  # only the one real user id
        assert "@here" not in text and "\u202e" not in text
    assert len(reminder["blocks"]) == 1  # no safe URL: no button
    fallback = build_reminder(
        delivery_id=1,
        rating=1,
        source="Yelp",
        unanswered_minutes=60,
        reply_url="javascript:alert(1)",
        review_url="https://yelp.test/r/9",
    )
    assert fallback["blocks"][1]["elements"][0]["url"] == "https://yelp.test/r/9"


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (0.2, "1 minute"),
        (6, "6 minutes"),
        (119, "119 minutes"),
        (150, "2 hours"),
        (24 * 60, "24 hours"),
        (3 * 24 * 60, "3 days"),
    ],
)
def test_waited(minutes: float, words: str) -> None:
    assert waited(minutes) == words
