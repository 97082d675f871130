"""The roll-up message: one post per channel and period gathering the reviews a subscription
rolls up (``rollup:>=4 every:1h``), safe for any review text.

📋 12 reviews at 4–5★ · Mar 3, 09:00–10:00 UTC
12 reviews · average 4.6★
★★★★★ 5/5 · Ana · Google · Acme › Downtown — “Lovely staff”   (up to 10 such lines)
…and 2 more. See them all: `/reviews list rating:4-5 org:"Acme"`
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.blocks.limits import HEADER_TEXT
from bot.blocks.text import mrkdwn, mrkdwn_link, plain_text, safe_url, slack_date, stars
from bot.filters import DEFAULT_ALERT_THRESHOLD, Filter
from bot.results import ListedReview
from bot.text import escape_mrkdwn, plain, safe_mrkdwn, truncate

__all__ = [
    "EVENT_TYPE_ROLLUP",
    "SHOWN_REVIEWS",
    "RollupSummary",
    "build_rollup",
    "list_filter",
    "period_label",
]

EVENT_TYPE_ROLLUP = "review_rollup"
SHOWN_REVIEWS = 10
"""A roll-up shows the first lines of this many reviews; the rest are counted."""

BLOCK_HEADER = "rollup_header"
BLOCK_SUMMARY = "rollup_summary"
BLOCK_REVIEW_PREFIX = "rollup_review_"
BLOCK_MORE = "rollup_more"

# Per review line, at full size (shrunk together while the blocks are too long for Slack).
AUTHOR, SOURCE, PLACE, LINE, LINK = 80, 40, 120, 160, 500
COMMAND_LIMIT = 600
BLOCKS_JSON_BUDGET = 11_000
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class RollupSummary:
    """What one roll-up message shows."""

    rollup_id: int
    period_start: datetime
    period_end: datetime
    rating_range: tuple[int, int]
    total: int
    average: float | None
    first: Sequence[ListedReview]
    """The first reviews (up to :data:`SHOWN_REVIEWS`), oldest first."""
    see_all: Filter | None = None
    """The subscription's filter, for the ``/reviews list`` command that shows every one."""


def _day(moment: datetime) -> str:
    return f"{_MONTHS[moment.month - 1]} {moment.day}"


def period_label(start: datetime, end: datetime) -> str:
    """``Mar 3, 09:00–10:00 UTC``; whole days: ``Mar 3 (UTC)`` or ``Mar 3 – Mar 9 (UTC)``."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    midnight = (start.hour, start.minute) == (0, 0) and (end.hour, end.minute) == (0, 0)
    if midnight and end - start >= timedelta(days=1):
        last = end - timedelta(days=1)
        days = _day(start) if last.date() == start.date() else f"{_day(start)} – {_day(last)}"
        return f"{days} (UTC)"
    hours = f"{start:%H:%M}–{end:%H:%M}"
    if (end - timedelta(microseconds=1)).date() == start.date():
        return f"{_day(start)}, {hours} UTC"
    return f"{_day(start)}, {start:%H:%M} – {_day(end)}, {end:%H:%M} UTC"


def _range(low: int, high: int) -> str:
    return f"{low}★" if low == high else f"{low}–{high}★"


def _reviews(count: int) -> str:
    return f"{count} review" if count == 1 else f"{count} reviews"


def list_filter(wanted: Filter | None, rating_range: tuple[int, int]) -> Filter:
    """The ``/reviews list`` filter of a roll-up: its subscription's reviews in its range."""
    base = wanted or Filter()
    low = max(base.rating_min, rating_range[0])
    high = min(base.rating_max, rating_range[1])
    if low > high:
        low, high = rating_range
    return replace(
        base,
        rating_min=low,
        rating_max=high,
        mentions=(),
        alert_threshold=DEFAULT_ALERT_THRESHOLD,
        respond_minutes=None,
        rollup=None,
        rollup_every_minutes=None,
        style="full",
        backfill=None,
        page=None,
    )


def _see_all(summary: RollupSummary) -> str:
    words = list_filter(summary.see_all, summary.rating_range).canonical_text()
    command = truncate(f"/reviews list {words}", COMMAND_LIMIT).replace("`", "'")
    return f"See them all: `{escape_mrkdwn(command)}`"


def _first_line(item: ListedReview, limit: int) -> str:
    review = item.review
    for text in (review.text, review.title):
        lines = [line.strip() for line in plain(text, len(text or "")).splitlines()]
        first = next((line for line in lines if line), "")
        if first:
            return plain(first, limit)
    return ""


def _review_line(item: ListedReview, scale: float) -> str:
    review = item.review

    def cut(text: str | None, limit: int) -> str:
        return safe_mrkdwn(plain(text, max(8, int(limit * scale))))

    place = " › ".join(p for p in (item.organization_name, item.location_name) if p)
    parts = [f"*{stars(review.rating)}*", f"*{cut(review.author, AUTHOR) or 'Anonymous'}*"]
    parts += [cut(p, n) for p, n in ((review.source, SOURCE), (place, PLACE)) if plain(p, 1)]
    line = " · ".join(parts)
    said = _first_line(item, max(8, int(LINE * scale)))
    if said:
        line += f" — “{safe_mrkdwn(said)}”"
    link = safe_url(review.url, limit=max(60, int(LINK * scale)))
    if link:
        line += f" · {mrkdwn_link(link, 'View')}"
    return line


def _blocks(summary: RollupSummary, scale: float) -> list[dict[str, Any]]:
    low, high = summary.rating_range
    period = period_label(summary.period_start, summary.period_end)
    header = truncate(
        f"📋 {_reviews(summary.total)} at {_range(low, high)} · {period}", HEADER_TEXT
    )
    figures = f"*{_reviews(summary.total)}*"
    if summary.average is not None:
        figures += f" · average *{summary.average:.1f}★*"
    local = (
        f"{slack_date(summary.period_start, '{date_short_pretty} {time}')} – "
        f"{slack_date(summary.period_end, '{time}')} your time"
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "block_id": BLOCK_HEADER, "text": plain_text(header)},
        {
            "type": "context",
            "block_id": BLOCK_SUMMARY,
            "elements": [mrkdwn(figures, verbatim=True), mrkdwn(local, verbatim=True)],
        },
    ]
    for position, item in enumerate(summary.first[:SHOWN_REVIEWS]):
        blocks.append(
            {
                "type": "section",
                "block_id": f"{BLOCK_REVIEW_PREFIX}{position}",
                "text": mrkdwn(_review_line(item, scale), verbatim=True),
            }
        )
    shown = min(len(summary.first), SHOWN_REVIEWS)
    more = summary.total - shown
    closing = f"…and {more} more. {_see_all(summary)}" if more > 0 else _see_all(summary)
    blocks.append(
        {"type": "context", "block_id": BLOCK_MORE, "elements": [mrkdwn(closing, verbatim=True)]}
    )
    return blocks


def build_rollup(summary: RollupSummary) -> dict[str, Any]:
    """The ``chat.postMessage`` / ``chat.update`` payload of a roll-up (with its metadata)."""
    low, high = summary.rating_range
    period = period_label(summary.period_start, summary.period_end)
    text = f"{_reviews(summary.total)} at {_range(low, high)} · {period}"
    if summary.average is not None:
        text += f" · average {summary.average:.1f}★"
    scale = 1.0
    blocks = _blocks(summary, scale)
    # Slack refuses roughly 12k characters of blocks even when each text is within its limit.
    while len(json.dumps(blocks, ensure_ascii=False)) > BLOCKS_JSON_BUDGET and scale > 0.1:
        scale /= 2
        blocks = _blocks(summary, scale)
    return {
        "text": text,
        "blocks": blocks,
        "metadata": {
            "event_type": EVENT_TYPE_ROLLUP,
            "event_payload": {"rollup_id": summary.rollup_id},
        },
    }
