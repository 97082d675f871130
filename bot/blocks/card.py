"""The review card: one chat.postMessage payload per review, safe for any review text."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from bot.blocks.images import slack_image_url
from bot.blocks.text import (
    mrkdwn_link,
    plain,
    plain_date,
    safe_mrkdwn,
    safe_url,
    slack_date,
    stars,
    truncate,
)
from bot.domain import Review

__all__ = [
    "ACTION_MARK_HANDLED",
    "ACTION_REQUEST_REVIEW",
    "ACTION_VIEW_REVIEW",
    "EVENT_TYPE_REVIEW_CARD",
    "EVENT_TYPE_UPDATE_NOTE",
    "build_handled_card",
    "build_review_card",
    "build_update_note",
    "build_update_reply",
    "mention_mrkdwn",
]

ACTION_VIEW_REVIEW = "card_view_review"
ACTION_REQUEST_REVIEW = "card_request_review"
ACTION_MARK_HANDLED = "card_mark_handled"

BLOCK_MENTIONS = "card_mentions"
BLOCK_SUMMARY = "card_summary"
BLOCK_AUTHOR = "card_author"
BLOCK_STATE = "card_state"
BLOCK_TITLE = "card_title"
BLOCK_TEXT = "card_text"
BLOCK_MORE = "card_more"
BLOCK_NO_TEXT = "card_no_text"
BLOCK_REPLY_LABEL = "card_reply_label"
BLOCK_REPLY = "card_reply"
BLOCK_HANDLED = "card_handled"
BLOCK_ACTIONS = "card_actions"

EVENT_TYPE_REVIEW_CARD = "review_card"
EVENT_TYPE_UPDATE_NOTE = "review_card_update"
BLOCK_UPDATE_NOTE = "card_update_note"
UPDATE_NOTE_LIMIT = 1000

# Section text is limited to 3000 characters; stay well below so that Slack counting
# emoji as two UTF-16 units never tips a long review over.
TEXT_LIMIT = 2800
REPLY_LIMIT = 1500
TITLE_LIMIT = 150  # header block text limit
NAME_LIMIT = 200  # a section field may hold 2000; names longer than this are noise
EXCERPT_LIMIT = 120
# Slack rejects messages whose blocks total roughly 12–13k characters (msg_blocks_too_long)
# even when every single limit holds; shrink the long texts until the payload fits.
BLOCKS_JSON_BUDGET = 11_000

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
_GROUP_ID = re.compile(r"S[A-Z0-9]{2,30}")


def mention_mrkdwn(slack_id: str) -> str | None:
    """``U…``/``W…`` → ``<@U…>``, ``S…`` → ``<!subteam^S…>``; None for anything else."""
    if _USER_ID.fullmatch(slack_id):
        return f"<@{slack_id}>"
    if _GROUP_ID.fullmatch(slack_id):
        return f"<!subteam^{slack_id}>"
    return None


def _plain_text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _place(review: Review, organization_name: str | None, location_name: str | None) -> str | None:
    """``Organization › Location`` from the cached names, falling back to platform ids."""
    org = plain(organization_name, NAME_LIMIT) or (
        f"Organization #{review.organization_id}" if review.organization_id else ""
    )
    loc = plain(location_name, NAME_LIMIT) or (
        f"Location #{review.location_id}" if review.location_id else ""
    )
    joined = " › ".join(part for part in (org, loc) if part)
    return truncate(joined, NAME_LIMIT * 2 + 3) or None


def _state_line(review: Review, source: str) -> str | None:
    """What the platform says about the review besides its words, in one short line."""
    parts: list[str] = []
    if review.hidden:
        # Hidden from the business's review widget: still a review someone wrote, so shown.
        parts.append("🙈 Hidden on your widget")
    if review.archived:
        parts.append("🗄️ Archived")
    if review.edited_by_reviewer:
        edited = "✏️ Edited by the reviewer"
        if review.edited_at is not None and review.edited_at > review.published_at:
            edited += f" {slack_date(review.edited_at, '{date_short_pretty}')}"
        was = review.original_rating
        if was is not None and review.rating is not None and was != review.rating:
            edited += f": was {was}★"
        parts.append(edited)
    reply_link = safe_url(review.reply_url)
    if review.replied and not plain(review.reply, 1):
        replied = f"↩️ Replied on {safe_mrkdwn(source)}"
        parts.append(
            f"{replied} · {mrkdwn_link(reply_link, 'View reply')}" if reply_link else replied
        )
    if review.verified:
        parts.append("✓ Verified")
    return " · ".join(parts) or None


def _button(text: str, action_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": _plain_text(text), "action_id": action_id, **extra}


def _blocks(
    review: Review,
    *,
    place: str | None,
    mention_tokens: Sequence[str],
    handled_by: str | None,
    delivery_id: int | None,
    link: str | None,
    text_limit: int,
    reply_limit: int,
) -> list[dict[str, Any]]:
    source = plain(review.source, NAME_LIMIT) or "Review"
    blocks: list[dict[str, Any]] = []

    if mention_tokens:
        blocks.append(
            {
                "type": "section",
                "block_id": BLOCK_MENTIONS,
                "text": _mrkdwn(f"🔔 {' '.join(mention_tokens)}"),
            }
        )

    summary: dict[str, Any] = {
        "type": "section",
        "block_id": BLOCK_SUMMARY,
        "text": _mrkdwn(f"*{stars(review.rating)}*"),
        "fields": [_plain_text(f"{source} review")] + ([_plain_text(place)] if place else []),
    }
    logo = slack_image_url(review.source_logo_url)  # Gumado's are SVG: then no logo
    if logo:
        summary["accessory"] = {"type": "image", "image_url": logo, "alt_text": f"{source} logo"}
    blocks.append(summary)

    author = plain(review.author, NAME_LIMIT) or "Anonymous"
    author_elements: list[dict[str, Any]] = []
    avatar = slack_image_url(review.avatar_url)
    if avatar:
        author_elements.append({"type": "image", "image_url": avatar, "alt_text": author})
    author_elements.append(_plain_text(author))
    author_elements.append(_mrkdwn(slack_date(review.published_at)))
    blocks.append({"type": "context", "block_id": BLOCK_AUTHOR, "elements": author_elements})

    state = _state_line(review, source)
    if state:
        blocks.append({"type": "context", "block_id": BLOCK_STATE, "elements": [_mrkdwn(state)]})

    title = plain(review.title, TITLE_LIMIT)
    if title:
        blocks.append({"type": "header", "block_id": BLOCK_TITLE, "text": _plain_text(title)})

    full_text = plain(review.text, len(review.text or ""))
    body = plain(full_text, text_limit)
    if body:
        blocks.append({"type": "section", "block_id": BLOCK_TEXT, "text": _plain_text(body)})
    elif not title:
        missing = (
            "No written review: only the rating."
            if review.rating is not None
            else "No rating and no written review."
        )
        blocks.append(
            {"type": "context", "block_id": BLOCK_NO_TEXT, "elements": [_plain_text(missing)]}
        )
    if body != full_text:
        more = (
            _mrkdwn(f"… {mrkdwn_link(link, 'Read the full review')}")
            if link
            else _plain_text(f"… The full review is on {source}.")
        )
        blocks.append({"type": "context", "block_id": BLOCK_MORE, "elements": [more]})

    reply = plain(review.reply, reply_limit)
    if reply:
        label = "*Reply from the business:*"
        if review.reply_at is not None:
            label += f" {slack_date(review.reply_at)}"
        elif review.reply_on is not None:
            label += f" {plain_date(review.reply_on)}"  # a day, shown as that day everywhere
        reply_link = safe_url(review.reply_url)
        if reply_link:
            label += f" · {mrkdwn_link(reply_link, 'View reply')}"
        blocks.append(
            {"type": "context", "block_id": BLOCK_REPLY_LABEL, "elements": [_mrkdwn(label)]}
        )
        blocks.append({"type": "section", "block_id": BLOCK_REPLY, "text": _plain_text(reply)})

    if handled_by:
        who = mention_mrkdwn(handled_by)
        element = (
            _mrkdwn(f"✅ Handled by {who}")
            if who
            else _plain_text(f"✅ Handled by {plain(handled_by, NAME_LIMIT)}")
        )
        blocks.append({"type": "context", "block_id": BLOCK_HANDLED, "elements": [element]})

    buttons: list[dict[str, Any]] = []
    if link:
        buttons.append(_button("View review", ACTION_VIEW_REVIEW, url=link))
    request_value = {"platform": review.platform, "organization_id": review.organization_id}
    buttons.append(
        _button(
            "Request a review…",
            ACTION_REQUEST_REVIEW,
            value=json.dumps(request_value, separators=(",", ":")),
        )
    )
    if not handled_by:
        handled_value = str(delivery_id) if delivery_id is not None else review.id
        buttons.append(
            _button("Mark handled", ACTION_MARK_HANDLED, value=handled_value, style="primary")
        )
    blocks.append({"type": "actions", "block_id": BLOCK_ACTIONS, "elements": buttons})
    return blocks


def _fallback_text(review: Review, place: str | None, mention_tokens: Sequence[str]) -> str:
    """The notification / screen-reader line; every untrusted part escaped."""
    source = plain(review.source, NAME_LIMIT) or "Review"
    rated = stars(review.rating) if review.rating is not None else "Unrated"
    line = f"{rated} {safe_mrkdwn(source)} review"
    if place:
        line += f" of {safe_mrkdwn(place)}"
    author = plain(review.author, NAME_LIMIT)
    if author:
        line += f" by {safe_mrkdwn(author)}"
    excerpt = plain(" ".join((review.text or review.title or "").split()), EXCERPT_LIMIT)
    if excerpt:
        line += f": “{safe_mrkdwn(excerpt)}”"
    if mention_tokens:
        line = f"{' '.join(mention_tokens)} {line}"
    return line


def build_review_card(
    review: Review,
    *,
    organization_name: str | None,
    location_name: str | None,
    mentions: Sequence[str] = (),
    handled_by: str | None = None,
    delivery_id: int | None = None,
    review_link: str | None = None,
) -> dict[str, Any]:
    """The chat.postMessage payload (text, blocks, metadata) for one review."""
    place = _place(review, organization_name, location_name)
    mention_tokens = [token for token in map(mention_mrkdwn, mentions) if token]
    link = safe_url(review.url) or safe_url(review_link)
    text_limit, reply_limit = TEXT_LIMIT, REPLY_LIMIT
    while True:
        blocks = _blocks(
            review,
            place=place,
            mention_tokens=mention_tokens,
            handled_by=handled_by,
            delivery_id=delivery_id,
            link=link,
            text_limit=text_limit,
            reply_limit=reply_limit,
        )
        size = len(json.dumps(blocks, ensure_ascii=False))
        if size <= BLOCKS_JSON_BUDGET or text_limit < 200:
            break
        # JSON escaping (quotes, backslashes, newlines) can double a text's size.
        text_limit, reply_limit = text_limit * 3 // 4, reply_limit * 3 // 4

    payload: dict[str, Any] = {
        "text": _fallback_text(review, place, mention_tokens),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }
    if delivery_id is not None:
        payload["metadata"] = {
            "event_type": EVENT_TYPE_REVIEW_CARD,
            "event_payload": {
                "delivery_id": delivery_id,
                "review_id": review.id,
                "platform": review.platform,
            },
        }
    return payload


def build_handled_card(
    review: Review,
    *,
    handled_by: str,
    organization_name: str | None,
    location_name: str | None,
    mentions: Sequence[str] = (),
    delivery_id: int | None = None,
    review_link: str | None = None,
) -> dict[str, Any]:
    """The card after *Mark handled*: the button replaced by "Handled by @user"."""
    return build_review_card(
        review,
        organization_name=organization_name,
        location_name=location_name,
        mentions=mentions,
        handled_by=handled_by,
        delivery_id=delivery_id,
        review_link=review_link,
    )


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
                "elements": [_mrkdwn(line)],
            }
        ],
        "unfurl_links": False,
        "unfurl_media": False,
        "metadata": {
            "event_type": EVENT_TYPE_UPDATE_NOTE,
            "event_payload": {"delivery_id": delivery_id, "note_key": note_key},
        },
    }
