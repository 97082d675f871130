"""The thread note under a card whose review changed: what changed, in one line."""

from __future__ import annotations

from typing import Any

from bot.blocks.text import mrkdwn
from bot.domain import Review
from bot.text import plain, safe_mrkdwn

__all__ = ["EVENT_TYPE_UPDATE_NOTE", "build_update_note", "build_update_reply"]

EVENT_TYPE_UPDATE_NOTE = "review_card_update"
BLOCK_UPDATE_NOTE = "card_update_note"
UPDATE_NOTE_LIMIT = 1000


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def _stars_short(rating: int | None) -> str:
    return f"{rating}★" if rating is not None else "no rating"


def _flipped(before: bool | None, after: bool | None, on: str, off: str) -> str | None:
    """A note for a state that changed; None when it did not or was not known before."""
    if before is None or after is None or before == after:
        return None
    return on if after else off


def build_update_note(before: Review, after: Review) -> str | None:
    """The thread reply saying what changed ("Reply published · Rating 2★ → 4★"), or None."""
    changes: list[str] = []
    old_reply, new_reply = _norm(before.reply), _norm(after.reply)
    if new_reply and not old_reply:
        changes.append("Reply published")
    elif old_reply and not new_reply:
        changes.append("Reply removed")
    elif old_reply != new_reply:
        changes.append("Reply edited")
    elif not new_reply and before.replied is False and after.replied:
        changes.append("Replied")  # on the review site, with no text the platform passes on
    if before.rating != after.rating:
        changes.append(f"Rating {_stars_short(before.rating)} → {_stars_short(after.rating)}")
    if _norm(before.text) != _norm(after.text):
        changes.append("Review text edited")
    if _norm(before.title) != _norm(after.title):
        changes.append("Title edited")
    changes += [
        note
        for note in (
            _flipped(before.hidden, after.hidden, "Hidden on your widget", "Shown on your widget"),
            _flipped(before.archived, after.archived, "Archived", "Unarchived"),
        )
        if note
    ]
    return " · ".join(changes) or None


def build_update_reply(note: str, *, delivery_id: int, note_key: str) -> dict[str, Any]:
    """The thread reply under an edited card ("Review updated: Reply published")."""
    line = f"✏️ Review updated: {safe_mrkdwn(plain(note, UPDATE_NOTE_LIMIT))}"
    return {
        "text": line,
        "blocks": [
            {
                "type": "context",
                "block_id": BLOCK_UPDATE_NOTE,
                "elements": [mrkdwn(line, verbatim=True)],
            }
        ],
        "unfurl_links": False,
        "unfurl_media": False,
        "metadata": {
            "event_type": EVENT_TYPE_UPDATE_NOTE,
            "event_payload": {"delivery_id": delivery_id, "note_key": note_key},
        },
    }
