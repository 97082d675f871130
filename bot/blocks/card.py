"""The review card: one chat.postMessage payload per review, safe for any review text."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.blocks.images import slack_image_url
from bot.blocks.limits import BUTTON_TEXT, HEADER_TEXT, SECTION_TEXT_BUDGET
from bot.blocks.text import mrkdwn, mrkdwn_link, plain_date, plain_text, safe_url, slack_date, stars
from bot.domain import Review, language_name
from bot.filters import Style
from bot.text import plain, safe_mrkdwn, truncate

__all__ = [
    "ACTION_MARK_HANDLED",
    "ACTION_REPLY_REVIEW",
    "ACTION_REQUEST_REVIEW",
    "ACTION_VIEW_REVIEW",
    "EVENT_TYPE_REVIEW_CARD",
    "build_handled_card",
    "build_review_card",
    "mention_mrkdwn",
]

ACTION_VIEW_REVIEW = "card_view_review"
ACTION_REPLY_REVIEW = "card_reply_review"
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
BLOCK_REPLY_STATE = "card_reply_state"
BLOCK_COMPACT = "card_compact"
BLOCK_HANDLED = "card_handled"
BLOCK_ACTIONS = "card_actions"

EVENT_TYPE_REVIEW_CARD = "review_card"

# Section text is limited to SECTION_TEXT (3000) characters; stay well below so that Slack counting
# emoji as two UTF-16 units never tips a long review over.
TEXT_LIMIT = 2800
REPLY_LIMIT = 1500
NAME_LIMIT = 200  # a section field may hold 2000; names longer than this are noise
EXCERPT_LIMIT = 120
COMPACT_LINE_LIMIT = 300
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


def _state_line(review: Review) -> str | None:
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
    if review.verified:
        parts.append("✓ Verified")
    return " · ".join(parts) or None


def _button(text: str, action_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": plain_text(text), "action_id": action_id, **extra}


@dataclass(frozen=True)
class _Look:
    """What a card shows besides the review: who, how, and the subscriber's view of it."""

    source: str
    place: str | None
    mention_tokens: Sequence[str]
    handled_by: str | None
    delivery_id: int | None
    link: str | None
    reply_link: str | None
    """Where the business answers: Gumado's ``reply_url``, else the review itself."""
    overdue: bool
    language: str | None
    """The review's language by name, when it is not the subscriber's."""


def _language_label(review: Review, home_language: str | None) -> str | None:
    """``Spanish`` for a Spanish review read by an English (or unknown-language) workspace."""
    if not review.language:
        return None
    home = (home_language or "en").split("-")[0].split("_")[0].lower()
    code = review.language.lower()
    return None if code == home else plain(language_name(code), NAME_LIMIT)


def _mentions_block(mention_tokens: Sequence[str]) -> list[dict[str, Any]]:
    if not mention_tokens:
        return []
    return [
        {
            "type": "section",
            "block_id": BLOCK_MENTIONS,
            "text": mrkdwn(f"🔔 {' '.join(mention_tokens)}", verbatim=True),
        }
    ]


def _head_blocks(review: Review, look: _Look) -> list[dict[str, Any]]:
    """Who is mentioned, the stars and where, the author and date, the review's state."""
    source, place = look.source, look.place
    blocks = _mentions_block(look.mention_tokens)
    summary: dict[str, Any] = {
        "type": "section",
        "block_id": BLOCK_SUMMARY,
        "text": mrkdwn(f"*{stars(review.rating)}*", verbatim=True),
        "fields": [plain_text(f"{source} review")] + ([plain_text(place)] if place else []),
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
    author_elements.append(plain_text(author))
    author_elements.append(mrkdwn(slack_date(review.published_at), verbatim=True))
    if look.language:
        author_elements.append(plain_text(f"🌐 {look.language}"))
    blocks.append({"type": "context", "block_id": BLOCK_AUTHOR, "elements": author_elements})

    state = _state_line(review)
    if state:
        blocks.append(
            {"type": "context", "block_id": BLOCK_STATE, "elements": [mrkdwn(state, verbatim=True)]}
        )
    return blocks


def _body_blocks(
    review: Review, source: str, link: str | None, text_limit: int
) -> list[dict[str, Any]]:
    """The title and text, cut to ``text_limit`` with a link to the rest."""
    blocks: list[dict[str, Any]] = []
    title = plain(review.title, HEADER_TEXT)
    if title:
        blocks.append({"type": "header", "block_id": BLOCK_TITLE, "text": plain_text(title)})

    full_text = plain(review.text, len(review.text or ""))
    body = plain(full_text, text_limit)
    if body:
        blocks.append({"type": "section", "block_id": BLOCK_TEXT, "text": plain_text(body)})
    elif not title:
        missing = (
            "No written review: only the rating."
            if review.rating is not None
            else "No rating and no written review."
        )
        blocks.append(
            {"type": "context", "block_id": BLOCK_NO_TEXT, "elements": [plain_text(missing)]}
        )
    if body != full_text:
        more = (
            mrkdwn(f"… {mrkdwn_link(link, 'Read the full review')}", verbatim=True)
            if link
            else plain_text(f"… The full review is on {source}.")
        )
        blocks.append({"type": "context", "block_id": BLOCK_MORE, "elements": [more]})
    return blocks


def _answered_elements(review: Review, source: str) -> list[dict[str, Any]]:
    """``✅ Answered on Google`` with the reply's date and link (the name stays plain text)."""
    elements = [plain_text(f"✅ Answered on {source}")]
    details: list[str] = []
    if review.reply_at is not None:
        details.append(slack_date(review.reply_at))
    elif review.reply_on is not None:
        details.append(plain_date(review.reply_on))  # a day, shown as that day everywhere
    reply_link = safe_url(review.reply_url)
    if reply_link:
        details.append(mrkdwn_link(reply_link, "View reply"))
    if details:
        elements.append(mrkdwn(" · ".join(details), verbatim=True))
    return elements


def _unanswered_elements(source: str, overdue: bool) -> list[dict[str, Any]]:
    if overdue:
        return [mrkdwn("⏰ *Overdue*", verbatim=True), plain_text(f"Not answered on {source} yet")]
    return [plain_text("💬 Not answered yet")]


def _reply_blocks(review: Review, look: _Look, reply_limit: int) -> list[dict[str, Any]]:
    """Whether the business answered (and the answer, when the platform passed it on)."""
    if not review.answered:
        overdue = look.overdue and not look.handled_by
        elements = _unanswered_elements(look.source, overdue)
        return [{"type": "context", "block_id": BLOCK_REPLY_STATE, "elements": elements}]
    elements = _answered_elements(review, look.source)
    reply = plain(review.reply, reply_limit)
    if not reply:
        return [{"type": "context", "block_id": BLOCK_REPLY_STATE, "elements": elements}]
    return [
        {"type": "context", "block_id": BLOCK_REPLY_LABEL, "elements": elements},
        {"type": "section", "block_id": BLOCK_REPLY, "text": plain_text(reply)},
    ]


def _handled_block(handled_by: str) -> dict[str, Any]:
    who = mention_mrkdwn(handled_by)
    element = (
        mrkdwn(f"✅ Handled by {who}", verbatim=True)
        if who
        else plain_text(f"✅ Handled by {plain(handled_by, NAME_LIMIT)}")
    )
    return {"type": "context", "block_id": BLOCK_HANDLED, "elements": [element]}


def _actions_block(review: Review, look: _Look, *, compact: bool) -> dict[str, Any]:
    buttons: list[dict[str, Any]] = []
    if look.link:
        buttons.append(_button("View review", ACTION_VIEW_REVIEW, url=look.link))
    if look.reply_link and not review.answered:
        label = truncate(f"Reply on {look.source}", BUTTON_TEXT)
        buttons.append(_button(label, ACTION_REPLY_REVIEW, url=look.reply_link))
    if not compact:
        request_value = {"platform": review.platform, "organization_id": review.organization_id}
        buttons.append(
            _button(
                "Request a review…",
                ACTION_REQUEST_REVIEW,
                value=json.dumps(request_value, separators=(",", ":")),
            )
        )
    if not look.handled_by:
        delivery_id = look.delivery_id
        handled_value = str(delivery_id) if delivery_id is not None else review.id
        buttons.append(
            _button("Mark handled", ACTION_MARK_HANDLED, value=handled_value, style="primary")
        )
    return {"type": "actions", "block_id": BLOCK_ACTIONS, "elements": buttons}


def _full_blocks(
    review: Review, look: _Look, *, text_limit: int, reply_limit: int
) -> list[dict[str, Any]]:
    blocks = _head_blocks(review, look)
    blocks += _body_blocks(review, look.source, look.link, text_limit)
    blocks += _reply_blocks(review, look, reply_limit)
    if look.handled_by:
        blocks.append(_handled_block(look.handled_by))
    blocks.append(_actions_block(review, look, compact=False))
    return blocks


def _compact_state(review: Review, look: _Look) -> str:
    if review.answered:
        return "✅ Answered"
    if look.overdue and not look.handled_by:
        return "⏰ Overdue"
    return "💬 Not answered"


def _compact_blocks(review: Review, look: _Look) -> list[dict[str, Any]]:
    """Two lines (stars, author, source, place; the text's first line), then the buttons."""
    author = plain(review.author, NAME_LIMIT) or "Anonymous"
    first = [stars(review.rating), author, look.source]
    first += [look.place] if look.place else []
    first += [f"🌐 {look.language}"] if look.language else []
    first.append(_compact_state(review, look))
    opening = next(
        (line for line in plain(review.text or review.title, 4000).splitlines() if line.strip()),
        "",
    )
    second = plain(opening, COMPACT_LINE_LIMIT) or (
        "No written review." if review.rating is not None else "No rating and no written review."
    )
    text = truncate(" · ".join(first), SECTION_TEXT_BUDGET - COMPACT_LINE_LIMIT - 1)
    blocks = _mentions_block(look.mention_tokens)
    blocks.append(
        {"type": "section", "block_id": BLOCK_COMPACT, "text": plain_text(f"{text}\n{second}")}
    )
    if look.handled_by:
        blocks.append(_handled_block(look.handled_by))
    blocks.append(_actions_block(review, look, compact=True))
    return blocks


def _fallback_text(review: Review, look: _Look) -> str:
    """The notification / screen-reader line; every untrusted part escaped."""
    rated = stars(review.rating) if review.rating is not None else "Unrated"
    line = f"{rated} {safe_mrkdwn(look.source)} review"
    if look.place:
        line += f" of {safe_mrkdwn(look.place)}"
    author = plain(review.author, NAME_LIMIT)
    if author:
        line += f" by {safe_mrkdwn(author)}"
    excerpt = plain(" ".join((review.text or review.title or "").split()), EXCERPT_LIMIT)
    if excerpt:
        line += f": “{safe_mrkdwn(excerpt)}”"
    if look.overdue and not look.handled_by and not review.answered:
        line = f"⏰ Overdue: {line}"
    if look.mention_tokens:
        line = f"{' '.join(look.mention_tokens)} {line}"
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
    style: Style = "full",
    overdue: bool = False,
    home_language: str | None = None,
) -> dict[str, Any]:
    """The chat.postMessage payload (text, blocks, metadata) for one review.

    ``style``: the subscription's ``full`` card or its two-line ``compact`` one. ``overdue``:
    the reply deadline passed (shown while the review is unanswered and not handled).
    ``home_language``: the subscriber's language (None: English); another one is named.
    """
    link = safe_url(review.url) or safe_url(review_link)
    look = _Look(
        source=plain(review.source, NAME_LIMIT) or "Review",
        place=_place(review, organization_name, location_name),
        mention_tokens=[token for token in map(mention_mrkdwn, mentions) if token],
        handled_by=handled_by,
        delivery_id=delivery_id,
        link=link,
        reply_link=safe_url(review.reply_url) or link,
        overdue=overdue,
        language=_language_label(review, home_language),
    )
    if style == "compact":
        blocks = _compact_blocks(review, look)
    else:
        text_limit, reply_limit = TEXT_LIMIT, REPLY_LIMIT
        while True:
            blocks = _full_blocks(review, look, text_limit=text_limit, reply_limit=reply_limit)
            size = len(json.dumps(blocks, ensure_ascii=False))
            if size <= BLOCKS_JSON_BUDGET or text_limit < 200:
                break
            # JSON escaping (quotes, backslashes, newlines) can double a text's size.
            text_limit, reply_limit = text_limit * 3 // 4, reply_limit * 3 // 4

    payload: dict[str, Any] = {
        "text": _fallback_text(review, look),
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
    style: Style = "full",
    home_language: str | None = None,
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
        style=style,
        home_language=home_language,
    )
