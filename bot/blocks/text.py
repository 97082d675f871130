"""Block Kit text for Slack surfaces: text objects, safe links, stars, dates, sparklines.

Escaping, cleaning and cutting text live in the leaf ``bot/text.py`` (services use them too).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from bot.blocks.limits import URL
from bot.text import escape_mrkdwn

__all__ = [
    "mrkdwn",
    "mrkdwn_link",
    "plain_date",
    "plain_text",
    "safe_url",
    "slack_date",
    "sparkline",
    "stars",
]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_URL_UNSAFE = '<>|^"` {}\\'


def plain_text(text: str) -> dict[str, Any]:
    """A ``plain_text`` object (emoji shortcodes rendered); clean untrusted text with ``bot.text.plain``."""
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str, *, verbatim: bool = False) -> dict[str, Any]:
    """A ``mrkdwn`` object; ``verbatim`` stops Slack from linking bare URLs, channels and names."""
    if verbatim:
        return {"type": "mrkdwn", "text": text, "verbatim": True}
    return {"type": "mrkdwn", "text": text}


def stars(rating: int | None) -> str:
    """Render a 1–5 rating as ``★★☆☆☆ 2/5`` (``No rating`` for a review without one)."""
    if rating is None:
        return "No rating"
    filled = max(0, min(5, int(rating)))
    return f"{'★' * filled}{'☆' * (5 - filled)} {filled}/5"


def safe_url(url: str | None, *, limit: int = URL) -> str | None:
    """Return an http(s) URL safe inside mrkdwn and JSON url fields, or None when unusable."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(unicodedata.category(ch) == "Cc" for ch in url):
        return None
    # '|' and '>' would end a mrkdwn link early; percent-encoding keeps the URL equivalent.
    encoded = "".join(quote(ch, safe="") if ch in _URL_UNSAFE else ch for ch in url)
    return encoded if len(encoded) <= limit else None


def mrkdwn_link(url: str, label: str) -> str:
    """Build ``<url|label>`` from a URL returned by :func:`safe_url` and a trusted label."""
    return f"<{escape_mrkdwn(url)}|{escape_mrkdwn(label)}>"


def _utc_fallback(moment: datetime) -> str:
    return (
        f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year} "
        f"{moment.hour:02d}:{moment.minute:02d} UTC"
    )


def slack_date(
    dt: datetime, fmt: str = "{date_short_pretty} at {time}", *, link: str | None = None
) -> str:
    """Render ``dt`` as a Slack date token shown in the reader's timezone, with a UTC fallback."""
    moment = (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)
    target = safe_url(link)
    link_part = f"^{escape_mrkdwn(target)}" if target else ""
    return f"<!date^{int(moment.timestamp())}^{fmt}{link_part}|{_utc_fallback(moment)}>"


def plain_date(day: date) -> str:
    """A calendar day as ``Feb 4, 2021``: no Slack date token.

    A token renders an instant in the reader's timezone, and no instant falls on the same day
    from UTC−12 to UTC+14; a date the platform gave without a time must read as that date.
    """
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
_GAP = " "


def sparkline(
    values: Sequence[float | None], *, low: float | None = None, high: float | None = None
) -> str:
    """Render values as ``▁▂▃▄▅▆▇█`` characters; None (an empty week) is a gap."""
    present = [v for v in values if v is not None and not math.isnan(v)]
    if not present:
        return _GAP * len(values)
    lo = min(present) if low is None else low
    hi = max(present) if high is None else high
    top = len(SPARK_BLOCKS) - 1
    chars = []
    for value in values:
        if value is None or math.isnan(value):
            chars.append(_GAP)
        elif hi <= lo:
            chars.append(SPARK_BLOCKS[top // 2])
        else:
            level = round((min(max(value, lo), hi) - lo) / (hi - lo) * top)
            chars.append(SPARK_BLOCKS[level])
    return "".join(chars)
