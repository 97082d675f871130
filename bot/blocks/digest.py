"""The weekly digest message: one chat.postMessage payload per organization and week."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.blocks.limits import HEADER_TEXT
from bot.blocks.text import mrkdwn, mrkdwn_link, plain_text, safe_url, sparkline, stars
from bot.domain import LOW_RATING, DigestReview, DigestStats
from bot.text import plain, safe_mrkdwn, truncate

__all__ = [
    "EVENT_TYPE_DIGEST",
    "build_digest",
    "build_trend_fallback",
    "format_change",
    "format_reply_time",
    "rating_bars",
]

EVENT_TYPE_DIGEST = "review_digest"
NAME_LIMIT = 120
EXCERPT_LIMIT = 140
HIGHLIGHT_LIMIT = 500
SOURCE_LINES = 8
BAR_WIDTH = 12


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text, verbatim=True)}


def format_change(change: float | None) -> str:
    """``▲ 0.30`` / ``▼ 0.25`` / ``no change``, or an empty string when there is nothing to compare."""
    if change is None:
        return ""
    if abs(change) < 0.005:
        return "no change"
    return f"{'▲' if change > 0 else '▼'} {abs(change):.2f}"


def format_reply_time(wait: timedelta) -> str:
    """``25 min``, ``5 h``, ``3 days``: a median time to reply, rounded for reading."""
    minutes = wait.total_seconds() / 60
    if minutes < 60:
        return f"{max(1, round(minutes))} min"
    hours = minutes / 60
    if hours < 48:
        return f"{round(hours)} h"
    days = round(hours / 24)
    return f"{days} days"


def _count_change(change: int) -> str:
    if change == 0:
        return "same as last week"
    return f"{'+' if change > 0 else '−'}{abs(change)} vs last week"


def rating_bars(distribution: tuple[int, int, int, int, int]) -> str:
    """Five lines ``5★ ████████ 12``, 5★ first, bars scaled to the largest count."""
    top = max(distribution) or 1
    lines = []
    for rating in range(5, 0, -1):
        count = distribution[rating - 1]
        width = round(count / top * BAR_WIDTH)
        bar = "█" * width if width else ("▏" if count else "")
        lines.append(f"{rating}★ {bar.ljust(BAR_WIDTH)} {count}")
    return "\n".join(lines)


def _excerpt(text: str | None, limit: int) -> str:
    one_line = " ".join(plain(text, len(text or "")).split())
    return safe_mrkdwn(truncate(one_line, limit))


def _review_line(review: DigestReview, limit: int) -> str:
    source = safe_mrkdwn(plain(review.source, NAME_LIMIT) or "Review")
    author = safe_mrkdwn(plain(review.author, NAME_LIMIT) or "Anonymous")
    line = f"{stars(review.rating)} · {source} · {author}"
    excerpt = _excerpt(review.text, limit)
    if excerpt:
        line += f" — “{excerpt}”"
    url = safe_url(review.url)
    if url:
        line += f" {mrkdwn_link(url, 'Open')}"
    return line


def _stars_average(average: float | None) -> str:
    # None: every review of the week came without a rating.
    return f"{average:.2f}★" if average is not None else "no ratings"


def _trend_line(stats: DigestStats) -> str | None:
    averages = [week.average for week in stats.trend]
    if all(value is None for value in averages):
        return None
    spark = sparkline(averages, low=1, high=5)
    return f"12-week trend of the average (oldest → newest): `{spark}`"


def _summary_text(stats: DigestStats, org: str) -> str:
    if stats.empty:
        running = (
            f" (running average {stats.running_average:.2f}★)"
            if stats.running_average is not None
            else ""
        )
        return f"Weekly digest for {org}: no new reviews this week{running}."
    reviews = f"{stats.current.count} reviews ({_count_change(stats.count_change)})"
    if stats.current.average is None:
        return f"Weekly digest for {org}: {reviews}, none with a rating."
    change = format_change(stats.average_change)
    return (
        f"Weekly digest for {org}: average {stats.current.average:.2f}★"
        f"{f' ({change})' if change else ''}, {reviews}."
    )


def _empty_week_blocks(stats: DigestStats) -> list[dict[str, Any]]:
    """A week without reviews: say so, with the running average."""
    body = "*No new reviews this week.*"
    if stats.running_average is not None:
        body += (
            f"\nRunning average: *{stats.running_average:.2f}★* over {stats.running_count} reviews."
        )
    return [_section(body)]


def _week_blocks(stats: DigestStats) -> list[dict[str, Any]]:
    """The week's figures, ratings, sources, unreplied low ratings and highlight."""
    average = _stars_average(stats.current.average)
    change = format_change(stats.average_change)
    if stats.previous.count == 0:
        change = "no reviews the week before"
    reply_rate = stats.reply_rate or 0.0
    if stats.median_reply is not None:
        median = format_reply_time(stats.median_reply)
    else:  # no reply this week, or only replies the platform gave no time for
        median = "not known" if stats.replied else "no replies"
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "fields": [
                mrkdwn(f"*Average rating*\n{average} {change}".rstrip(), verbatim=True),
                mrkdwn(
                    f"*Reviews*\n{stats.current.count} ({_count_change(stats.count_change)})",
                    verbatim=True,
                ),
                mrkdwn(
                    f"*Reply rate*\n{reply_rate:.0%} "
                    f"({stats.replied} of {stats.current.count} replied)",
                    verbatim=True,
                ),
                mrkdwn(f"*Median time to reply*\n{median}", verbatim=True),
                mrkdwn(
                    f"*Unanswered at {LOW_RATING}★ or below*\n{stats.unreplied_low_count}",
                    verbatim=True,
                ),
            ],
        },
        _section(f"*Ratings*\n```{rating_bars(stats.distribution)}```"),
    ]
    lines = [
        f"• {safe_mrkdwn(plain(s.source, NAME_LIMIT) or 'Unknown')}: "
        f"{s.count} review{'s' if s.count != 1 else ''}, {_stars_average(s.average)}"
        for s in stats.sources[:SOURCE_LINES]
    ]
    if len(stats.sources) > SOURCE_LINES:
        lines.append(f"…and {len(stats.sources) - SOURCE_LINES} more sources")
    blocks.append(_section("*By source*\n" + "\n".join(lines)))
    if stats.unreplied_low:
        lines = [f"• {_review_line(r, EXCERPT_LIMIT)}" for r in stats.unreplied_low]
        heading = f"*Unreplied reviews at {LOW_RATING}★ or below*"
        if stats.unreplied_low_count > len(stats.unreplied_low):
            heading += f" (the newest {len(stats.unreplied_low)} of {stats.unreplied_low_count})"
        blocks.append(_section(heading + "\n" + "\n".join(lines)))
    if stats.highlight is not None:
        line = _review_line(stats.highlight, HIGHLIGHT_LIMIT)
        blocks.append(_section(f"*Highlight of the week*\n{line}"))
    return blocks


def build_digest(
    stats: DigestStats, *, organization_name: str, connection_name: str, week_label: str
) -> dict[str, Any]:
    """Build the digest payload (``text``, ``blocks``, ``metadata``) for one organization."""
    org = plain(organization_name, NAME_LIMIT) or f"Organization {stats.organization_platform_id}"
    connection = plain(connection_name, NAME_LIMIT) or "connection"
    week = plain(week_label, 40) or "this week"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain_text(truncate(f"📊 Weekly digest · {org}", HEADER_TEXT))},
        {"type": "context", "elements": [plain_text(f"{connection} · {week} · last 7 days")]},
    ]
    blocks += _empty_week_blocks(stats) if stats.empty else _week_blocks(stats)
    trend = _trend_line(stats)
    if trend:
        blocks.append({"type": "context", "elements": [mrkdwn(trend, verbatim=True)]})
    return {
        "text": _summary_text(stats, safe_mrkdwn(org)),
        "blocks": blocks,
        "metadata": {
            "event_type": EVENT_TYPE_DIGEST,
            "event_payload": {
                "connection_id": stats.connection_id,
                "organization_id": stats.organization_platform_id,
                "week": week,
            },
        },
    }


def build_trend_fallback(stats: DigestStats, *, reason: str) -> dict[str, Any]:
    """The 12-week trend as text, for the digest's thread when the chart cannot be uploaded."""
    averages = sparkline([week.average for week in stats.trend], low=1, high=5)
    lines = ["week of      reviews  average"]
    for week, spark in zip(stats.trend, averages, strict=True):
        average = f"{week.average:.2f}★ {spark}" if week.average is not None else "—"
        lines.append(f"{week.start:%b %d}       {week.count:>7}  {average}")
    table = "\n".join(lines)
    note = safe_mrkdwn(plain(reason, 200))
    return {
        "text": "12-week trend of reviews and average rating",
        "blocks": [
            _section(f"*12-week trend* (oldest first)\n```{table}```"),
            {"type": "context", "elements": [mrkdwn(note, verbatim=True)]},
        ],
    }
