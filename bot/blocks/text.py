"""Text helpers for Slack surfaces: text objects, mrkdwn escaping, clean truncation, stars, dates.

A leaf: block builders and the filter grammar import it; it imports nothing of the app's.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from bot.blocks.limits import URL

__all__ = [
    "escape_mrkdwn",
    "mrkdwn",
    "mrkdwn_link",
    "plain",
    "plain_date",
    "plain_text",
    "safe_mrkdwn",
    "safe_url",
    "slack_date",
    "sparkline",
    "stars",
    "truncate",
]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ZWJ = "\u200d"
# C0/C1 controls except \n, plus bidi embeddings/overrides/isolates that can spoof the text around them.
_DROPPED = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x0b\x0c]")
_BROADCAST = re.compile(r"@(?=(?:here|channel|everyone|group)\b)", re.IGNORECASE)
_WORD_WINDOW = 0.15
_URL_UNSAFE = '<>|^"` {}\\'


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_mrkdwn(text: str) -> str:
    """Escape untrusted text for mrkdwn and defuse ``@here``-style words should names get linked."""
    return _BROADCAST.sub("@\u200b", escape_mrkdwn(text))


def _extends_previous(ch: str) -> bool:
    """True when ``ch`` belongs to the grapheme before it (combining mark, ZWJ, modifier…)."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or ch == _ZWJ
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0xE0100 <= cp <= 0xE01EF
        or 0x1F3FB <= cp <= 0x1F3FF  # emoji skin tones
        or 0xE0020 <= cp <= 0xE007F  # emoji tag sequences (subdivision flags)
        or 0xDC00 <= cp <= 0xDFFF  # low surrogate of a lone pair
    )


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _safe_cut(text: str, cut: int) -> int:
    """Move ``cut`` back so that text[:cut] ends on a grapheme-ish boundary."""
    while 0 < cut < len(text) and (_extends_previous(text[cut]) or text[cut - 1] == _ZWJ):
        cut -= 1
    if 0 < cut < len(text) and _is_regional_indicator(text[cut]):
        run = 0
        while cut - run > 0 and _is_regional_indicator(text[cut - run - 1]):
            run += 1
        if run % 2:  # flags are pairs of regional indicators: do not keep half a flag
            cut -= 1
    return cut


def truncate(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """Cut ``text`` to at most ``limit`` characters, at a word boundary when one is near the end."""
    if limit < 0:
        raise ValueError("limit must be >= 0")
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    if room <= 0:
        return ellipsis[:limit]
    cut = _safe_cut(text, room)
    window_start = max(0, room - max(1, int(room * _WORD_WINDOW)))
    for i in range(cut, window_start, -1):
        if text[i - 1].isspace() or text[i].isspace():
            cut = i
            break
    head = text[:cut].rstrip()
    return head + ellipsis if head else ellipsis


def plain_text(text: str) -> dict[str, Any]:
    """A ``plain_text`` object (emoji shortcodes rendered); clean untrusted text with :func:`plain`."""
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str, *, verbatim: bool = False) -> dict[str, Any]:
    """A ``mrkdwn`` object; ``verbatim`` stops Slack from linking bare URLs, channels and names."""
    if verbatim:
        return {"type": "mrkdwn", "text": text, "verbatim": True}
    return {"type": "mrkdwn", "text": text}


def plain(text: str | None, limit: int) -> str:
    """Clean untrusted text for a ``plain_text`` object: no control characters, at most ``limit``."""
    if not text:
        return ""
    cleaned = _DROPPED.sub("", _LINE_BREAKS.sub("\n", text).replace("\t", " "))
    return truncate(cleaned.strip(), limit)


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
