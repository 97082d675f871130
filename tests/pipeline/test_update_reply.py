"""The thread note under an edited card: within Slack's limits, inert, and findable by key."""

from __future__ import annotations

from blocks.limits import assert_message_within_limits

from bot.blocks.card_update import EVENT_TYPE_UPDATE_NOTE, build_update_reply
from bot.pipeline.card_updates import note_key


def test_update_reply_carries_its_key_and_stays_within_limits() -> None:
    reply = build_update_reply("Reply published · Rating 2★ → 4★", delivery_id=12, note_key="abc")
    assert_message_within_limits(reply)
    assert reply["text"] == "✏️ Review updated: Reply published · Rating 2★ → 4★"
    assert reply["metadata"] == {
        "event_type": EVENT_TYPE_UPDATE_NOTE,
        "event_payload": {"delivery_id": 12, "note_key": "abc"},
    }


def test_update_reply_escapes_and_bounds_the_note() -> None:
    reply = build_update_reply("<!channel> " + "x" * 5000, delivery_id=1, note_key="k")
    assert_message_within_limits(reply)
    assert "<!channel>" not in reply["text"]
    assert len(reply["text"]) < 1100


def test_note_key_names_the_change_and_the_state() -> None:
    assert note_key("Reply published", "h1") == note_key("Reply published", "h1")
    assert note_key("Reply published", "h1") != note_key("Reply published", "h2")
    assert note_key("Reply removed", "h1") != note_key("Reply published", "h1")
