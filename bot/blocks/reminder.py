"""The reminder in a card's thread when a low rating's reply deadline passed unanswered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.blocks.card import mention_mrkdwn
from bot.blocks.text import mrkdwn, mrkdwn_link, plain_text, safe_url
from bot.text import plain, safe_mrkdwn, truncate

__all__ = ["ACTION_REMINDER_REPLY", "EVENT_TYPE_REMINDER", "build_reminder", "reminder_key"]

EVENT_TYPE_REMINDER = "review_reminder"
ACTION_REMINDER_REPLY = "reminder_reply_review"
BLOCK_REMINDER = "reminder_text"
BLOCK_REMINDER_ACTIONS = "reminder_actions"
NAME_LIMIT = 100


def reminder_key(delivery_id: int) -> str:
    """The key in the reminder's metadata: one reminder per card."""
    return f"reminder-{delivery_id}"


def waited(minutes: float) -> str:
    """``45 minutes``, ``24 hours``, ``3 days``: how long a review has gone unanswered."""
    whole = max(1, int(minutes))
    if whole < 120:
        count, unit = whole, "minute"
    elif whole < 48 * 60:
        count, unit = round(whole / 60), "hour"
    else:
        count, unit = round(whole / 1440), "day"
    return f"{count} {unit}{'s' if count != 1 else ''}"


def build_reminder(
    *,
    delivery_id: int,
    rating: int | None,
    source: str,
    unanswered_minutes: float,
    mentions: Sequence[str] = (),
    reply_url: str | None = None,
    review_url: str | None = None,
) -> dict[str, Any]:
    """The thread reply: "⏰ This 2★ review has not been answered for 24 hours. @desk".

    *Reply on …* opens ``reply_url`` (Gumado's), else the review (http(s) URLs only).
    """
    name = plain(source, NAME_LIMIT) or "the review site"
    stars = f"{rating}★ " if rating is not None else ""
    line = (
        f"⏰ This {stars}{safe_mrkdwn(name)} review has not been answered for "
        f"{waited(unanswered_minutes)}."
    )
    tokens = [token for token in map(mention_mrkdwn, mentions) if token]
    if tokens:
        line += " " + " ".join(tokens)
    link = safe_url(reply_url) or safe_url(review_url)
    label = truncate(f"Reply on {name}", 75)
    text = f"{line} — {mrkdwn_link(link, label)}" if link else line
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": BLOCK_REMINDER, "text": mrkdwn(line, verbatim=True)}
    ]
    if link:
        button = {
            "type": "button",
            "text": plain_text(label),
            "action_id": ACTION_REMINDER_REPLY,
            "url": link,
        }
        blocks.append({"type": "actions", "block_id": BLOCK_REMINDER_ACTIONS, "elements": [button]})
    return {
        "text": text,
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
        "metadata": {
            "event_type": EVENT_TYPE_REMINDER,
            "event_payload": {
                "delivery_id": delivery_id,
                "reminder_key": reminder_key(delivery_id),
            },
        },
    }
