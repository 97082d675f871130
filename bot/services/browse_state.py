"""What a ``/reviews list`` page is, written into its *‹ Prev* / *Next ›* buttons.

The whole state travels in the button's ``value`` (at most 2000 characters), so paging works
after a restart and on any replica: the connection, the filter words, the page number and,
for a Gumado rating range (merged from one query per rating), where each rating's list stands.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EXTRA_KEYS",
    "MAX_VALUE",
    "ListExtras",
    "ListingState",
    "split_extras",
]

MAX_VALUE = 2000
"""Slack's limit on a button value."""
EXTRA_KEYS = ("sort", "widget")
"""Cloutly-only filters the document offers beyond the shared grammar (bot.filters)."""

_SORT = {"desc": "desc", "newest": "desc", "asc": "asc", "oldest": "asc"}
_WIDGET = {"yes": True, "true": True, "only": True, "no": False, "false": False}
_EXTRA = re.compile(r"(?i)(?<!\S)(sort|order|widget):(\S+)(?!\S)")


@dataclass(frozen=True, slots=True)
class ListExtras:
    """``sort:asc|desc`` and ``widget:yes|no`` (Cloutly's ``sort`` and ``showOnWidget``)."""

    sort: str | None = None
    widget: bool | None = None

    def text(self) -> str:
        """The extras as command words."""
        words = []
        if self.sort is not None:
            words.append(f"sort:{self.sort}")
        if self.widget is not None:
            words.append(f"widget:{'yes' if self.widget else 'no'}")
        return " ".join(words)


def _outside_quotes(text: str, index: int) -> bool:
    before = text[:index]
    return before.count('"') % 2 == 0 and sum(before.count(q) for q in "“”") % 2 == 0


def split_extras(text: str) -> tuple[str, ListExtras, str | None]:
    """(the text without sort:/widget:, the extras, a problem sentence or None)."""
    sort: str | None = None
    widget: bool | None = None
    problem: str | None = None
    kept: list[str] = []
    last = 0
    for match in _EXTRA.finditer(text):
        if not _outside_quotes(text, match.start()):
            continue
        key, value = match.group(1).casefold(), match.group(2).casefold()
        if key in ("sort", "order"):
            if value not in _SORT:
                problem = problem or "`sort:` takes `desc` (newest first) or `asc` (oldest first)"
            sort = _SORT.get(value, sort)
        else:
            if value not in _WIDGET:
                problem = problem or "`widget:` takes `yes` or `no`"
            widget = _WIDGET.get(value, widget)
        kept.append(text[last : match.start()])
        last = match.end()
    kept.append(text[last:])
    return " ".join("".join(kept).split()), ListExtras(sort, widget), problem


@dataclass(frozen=True, slots=True)
class ListingState:
    """One page of one listing; ``starts``/``history`` only for merged rating ranges."""

    connection_id: int
    filter_text: str
    page: int
    starts: tuple[int, ...] | None = None
    """Where each rating's list stands at the top of this page (page forwards from here)."""
    history: tuple[tuple[int, ...], ...] = ()
    """The same for the pages before, the nearest last (so *‹ Prev* is exact)."""

    def _value(self, history: tuple[tuple[int, ...], ...]) -> str:
        data: dict[str, Any] = {"c": self.connection_id, "f": self.filter_text, "p": self.page}
        if self.starts is not None:
            data["s"] = list(self.starts)
        if history:
            data["h"] = [list(offsets) for offsets in history]
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    def encode(self) -> str | None:
        """The button value, or None when it would exceed Slack's 2000 characters."""
        history = self.history
        value = self._value(history)
        while len(value) > MAX_VALUE and history:
            history = history[len(history) // 2 + 1 :]  # the nearest pages matter most
            value = self._value(history)
        if len(value) <= MAX_VALUE:
            return value
        if self.starts is not None:
            # Without the offsets the page is found by walking from the first page.
            return ListingState(self.connection_id, self.filter_text, self.page).encode()
        return None

    @classmethod
    def decode(cls, value: str | None) -> ListingState | None:
        """The state a button carries, or None when it is not one of ours."""
        try:
            data = json.loads(value or "")
        except json.JSONDecodeError:
            return None
        if not isinstance(data, dict):
            return None
        connection_id, text, page = data.get("c"), data.get("f"), data.get("p")
        if not (
            isinstance(connection_id, int)
            and isinstance(text, str)
            and isinstance(page, int)
            and page >= 1
        ):
            return None
        raw_history = data.get("h")
        history = (
            tuple(
                offsets
                for offsets in (_offsets(item) for item in raw_history or ())
                if offsets is not None
            )
            if isinstance(raw_history, list)
            else ()
        )
        return cls(connection_id, text, page, _offsets(data.get("s")), history)


def _offsets(value: object) -> tuple[int, ...] | None:
    if not isinstance(value, list) or not value:
        return None
    if not all(
        isinstance(item, int) and not isinstance(item, bool) and item >= 0 for item in value
    ):
        return None
    return tuple(value)
