"""Text for mrkdwn and plain text: escaping, cleaning untrusted text, cutting it cleanly.

A leaf (stdlib only) shared by the block builders, the services that write sentences people
read, and the filter grammar. Block Kit text objects and Slack's limits stay in ``bot/blocks``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Protocol

__all__ = [
    "escape_mrkdwn",
    "fold",
    "format_minutes",
    "plain",
    "platform_label",
    "safe_mrkdwn",
    "search_words",
    "shown_name",
    "truncate",
]

_ZWJ = "\u200d"
# C0/C1 controls except \n, plus bidi embeddings/overrides/isolates that can spoof the text around them.
_DROPPED = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x0b\x0c]")
_BROADCAST = re.compile(r"@(?=(?:here|channel|everyone|group)\b)", re.IGNORECASE)
_WORD_WINDOW = 0.15


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


def plain(text: str | None, limit: int) -> str:
    """Clean untrusted text for a ``plain_text`` object: no control characters, at most ``limit``."""
    if not text:
        return ""
    cleaned = _DROPPED.sub("", _LINE_BREAKS.sub("\n", text).replace("\t", " "))
    return truncate(cleaned.strip(), limit)


def shown_name(name: str) -> str:
    """A connection name for mrkdwn: cleaned, cut and escaped (names may predate the rules)."""
    return escape_mrkdwn(plain(name, 80).replace("`", "'")) or "(unnamed)"


class _Platform(Protocol):
    """What :func:`platform_label` reads of a platform (``bot.domain.PlatformInfo``)."""

    @property
    def name(self) -> str: ...

    @property
    def display_name(self) -> str: ...


def platform_label(platform: str, platforms: Iterable[_Platform]) -> str:
    """A platform's display name among ``platforms`` (the registry's, in form order)."""
    info = next((info for info in platforms if info.name == platform), None)
    return info.display_name if info is not None else escape_mrkdwn(plain(platform, 20))


_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """``text`` for searching: accents dropped and case folded ("Café" and "CAFE" agree)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def search_words(text: str | None) -> list[str]:
    """The folded words of ``text``, in order (punctuation and emoji dropped)."""
    return _WORD.findall(fold(text or ""))


def format_minutes(minutes: int) -> str:
    """A duration as the filter words write it: ``30m``, ``24h``, ``2d``."""
    if minutes % 1440 == 0 and minutes >= 2880:  # 24h stays 24h; 48h is 2d
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"
