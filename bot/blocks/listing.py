"""``/reviews list``: a page of compact review cards with *‹ Prev* / *Next ›* buttons."""

from __future__ import annotations

from typing import Any

from bot.blocks.ids import (
    ACTION_LIST_NEXT,
    ACTION_LIST_PREV,
    BLOCK_LIST_HEADER,
    BLOCK_LIST_NAV,
    BLOCK_LIST_REVIEW_PREFIX,
)
from bot.blocks.limits import CONTEXT_ELEMENTS, SECTION_TEXT_BUDGET
from bot.blocks.text import mrkdwn, mrkdwn_link, plain_text, safe_url, slack_date, stars
from bot.results import ListedReview, ListingPage
from bot.text import plain, safe_mrkdwn, truncate

__all__ = ["build_list_problem", "build_listing"]

EXCERPT = 280
NAME = 120
NOTE = 600


def _count(total: int) -> str:
    return f"{total} review" if total == 1 else f"{total} reviews"


def _place(item: ListedReview) -> str | None:
    review = item.review
    org = plain(item.organization_name, NAME) or (
        f"Organization #{review.organization_id}" if review.organization_id else ""
    )
    loc = plain(item.location_name, NAME) or (
        f"Location #{review.location_id}" if review.location_id else ""
    )
    return " › ".join(part for part in (org, loc) if part) or None


def _review_blocks(item: ListedReview, position: int) -> list[dict[str, Any]]:
    review = item.review
    parts = [f"*{stars(review.rating)}*", safe_mrkdwn(plain(review.source, NAME) or "Review")]
    place = _place(item)
    if place:
        parts.append(safe_mrkdwn(place))
    parts.append(slack_date(review.published_at, "{date_short_pretty}"))
    link = safe_url(review.url)
    if link:
        parts.append(mrkdwn_link(link, "View"))
    state = [
        word
        for shown, word in (
            (review.hidden, "hidden on your widget"),
            (review.archived, "archived"),
            (review.edited_by_reviewer, "edited by the reviewer"),
        )
        if shown
    ]
    if state:
        parts.append(f"_{', '.join(state)}_")
    author = plain(review.author, NAME) or "Anonymous"
    words = plain(" ".join((review.text or review.title or "").split()), EXCERPT)
    said = f"{author}: “{words}”" if words else f"{author} (no text)"
    if review.reply or review.replied:
        said += "  ↩ replied"
    return [
        {
            "type": "section",
            "block_id": f"{BLOCK_LIST_REVIEW_PREFIX}{position}",
            "text": mrkdwn(" · ".join(parts), verbatim=True),
        },
        {"type": "context", "elements": [plain_text(truncate(said, EXCERPT + NAME + 20))]},
    ]


def _nav(page: ListingPage) -> list[dict[str, Any]]:
    buttons: list[dict[str, Any]] = []
    if page.prev_value:
        buttons.append(
            {
                "type": "button",
                "action_id": ACTION_LIST_PREV,
                "text": plain_text("‹ Prev"),
                "value": page.prev_value,
            }
        )
    if page.next_value:
        buttons.append(
            {
                "type": "button",
                "action_id": ACTION_LIST_NEXT,
                "text": plain_text("Next ›"),
                "value": page.next_value,
            }
        )
    return [{"type": "actions", "block_id": BLOCK_LIST_NAV, "elements": buttons}] if buttons else []


def build_listing(page: ListingPage) -> dict[str, Any]:
    """The ephemeral message of one page (``respond`` arguments: text and blocks)."""
    title = f"*Reviews* · {safe_mrkdwn(page.platform_label)} — {page.description}"
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": BLOCK_LIST_HEADER,
            "text": mrkdwn(truncate(title, SECTION_TEXT_BUDGET), verbatim=True),
        }
    ]
    notes = [truncate(note, NOTE) for note in page.notes]
    if not page.reviews:
        if page.narrowed:
            advice = (
                "No reviews match this filter. Try a wider one: drop `rating:` or `source:`, "
                "or run `/reviews list` alone for every review."
            )
        else:
            advice = "There are no reviews yet on this connection."
        blocks.append({"type": "section", "text": mrkdwn(advice, verbatim=True)})
        if notes:
            blocks.append(
                {
                    "type": "context",
                    "elements": [mrkdwn(n, verbatim=True) for n in notes[:CONTEXT_ELEMENTS]],
                }
            )
        text = "No reviews match this filter." if page.narrowed else "No reviews yet."
        return {"text": text, "blocks": blocks}
    where = f"page {page.page} of {page.page_count} · {_count(page.total)}"
    blocks.append({"type": "context", "elements": [mrkdwn(where, verbatim=True)]})
    for position, item in enumerate(page.reviews[:20], 1):
        blocks.extend(_review_blocks(item, position))
    blocks.extend(_nav(page))
    if notes:
        blocks.append(
            {
                "type": "context",
                "elements": [mrkdwn(n, verbatim=True) for n in notes[:CONTEXT_ELEMENTS]],
            }
        )
    return {"text": f"Reviews: {where}", "blocks": blocks}


def build_list_problem(sentence: str) -> dict[str, Any]:
    """A one-sentence answer when there is no page to show (bad filter, platform trouble)."""
    text = truncate(sentence, SECTION_TEXT_BUDGET)
    return {"text": text, "blocks": [{"type": "section", "text": mrkdwn(text, verbatim=True)}]}
