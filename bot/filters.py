"""Subscription and list filter grammar: ``parse(text) -> Filter`` and ``Filter.matches(review)``.

``org:"Acme Dental" location:3 rating:<=3 source:Google,Yelp mention:@frontdesk alert:<=2``.
Slack sends slash-command text with ``&``, ``<`` and ``>`` escaped, and with ``should_escape``
turns ``@name`` into ``<@U…|name>`` / ``<!subteam^S…|@handle>``; both forms are understood.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.blocks.text import escape_mrkdwn
from bot.errors import UserError
from bot.providers.base import Review
from bot.providers.sources import source_key

__all__ = [
    "DEFAULT_ALERT_THRESHOLD",
    "LIST_KEYS",
    "SUBSCRIBE_KEYS",
    "Filter",
    "FilterSyntaxError",
    "Mention",
    "parse",
]

SUBSCRIBE_KEYS = frozenset(
    {"org", "location", "rating", "source", "mention", "alert", "connection"}
)
LIST_KEYS = frozenset({"org", "location", "rating", "source", "connection", "page"})
DEFAULT_ALERT_THRESHOLD = 2
MAX_INPUT_CHARS = 1000
MAX_PAGE = 10_000
MAX_WORD_ECHO = 40

_KEY_ORDER = ("org", "location", "rating", "source", "mention", "alert", "connection", "page")
_ALIASES = {
    "org": "org",
    "organization": "org",
    "organisation": "org",
    "location": "location",
    "loc": "location",
    "rating": "rating",
    "stars": "rating",
    "source": "source",
    "sources": "source",
    "mention": "mention",
    "mentions": "mention",
    "alert": "alert",
    "connection": "connection",
    "page": "page",
}
_KEY_EXAMPLES = {
    "org": 'org:"Acme Dental"',
    "location": 'location:"Downtown"',
    "rating": "rating:<=3",
    "source": "source:Google,Yelp",
    "mention": "mention:@frontdesk",
    "alert": "alert:<=2",
    "connection": "connection:main",
    "page": "page:2",
}
_SUBSCRIBE_EXAMPLE = '/reviews subscribe org:"Acme Dental" rating:<=3 source:Google'
_LIST_EXAMPLE = '/reviews list org:"Acme Dental" rating:<=3 page:2'

_DOUBLE_QUOTES = '"“”„'
_SINGLE_QUOTES = "'‘’"
_SLACK_ENTITY = re.compile(r"<(?:[@#!]|https?://)[^<>]*>")
_HTML_ENTITY = re.compile(r"&(amp|lt|gt);")
_HTML_DECODED = {"amp": "&", "lt": "<", "gt": ">"}
_RATING = re.compile(
    r"(?:(?P<op><=|>=|=<|=>|≤|≥|<|>|=)?(?P<n>\d+)|(?P<lo>\d+)\s*[-–—]\s*(?P<hi>\d+))[★*]?"
)
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^<>]*))?>")
_GROUP = re.compile(r"<!subteam\^(S[A-Z0-9]+)(?:\|([^<>]*))?>")
_HANDLE = re.compile(r"@?(\w[\w.\-']{0,79})")
_BROADCASTS = frozenset({"here", "channel", "everyone", "group"})
_NEEDS_QUOTES = re.compile(r"[\s\"“”„'‘’:,<>]")
_MISREAD_ENTITY = re.compile(r"&(?=(?:amp|lt|gt);)")


class FilterSyntaxError(UserError):
    """A filter the user typed could not be understood; ``user_message()`` says which and why."""

    def __init__(self, word: str, reason: str, example: str) -> None:
        super().__init__(f"{word!r}: {reason}" if word else reason)
        self.word = word
        self.reason = reason
        self.example = example

    def user_message(self) -> str:
        """A mrkdwn sentence naming the offending word, the reason and an example."""
        example = f"Example: `{escape_mrkdwn(_clean(self.example, limit=200))}`"
        reason = escape_mrkdwn(self.reason)
        if not self.word:
            return f"{reason}. {example}"
        return f"I didn't understand `{escape_mrkdwn(_clean(self.word))}`: {reason}. {example}"


def _clean(text: str, *, limit: int = MAX_WORD_ECHO) -> str:
    """Shorten user input for a code span, dropping backticks that would end it early."""
    text = " ".join(text.replace("`", "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Mention:
    """Someone to mention on low ratings: a Slack user or group id, or a handle still to resolve."""

    kind: Literal["user", "group", "handle"]
    value: str
    label: str | None = None

    def token(self) -> str:
        """The re-parseable form: ``<@U…|label>``, ``<!subteam^S…|@label>`` or ``@handle``."""
        if self.kind == "user":
            return f"<@{self.value}|{self.label}>" if self.label else f"<@{self.value}>"
        if self.kind == "group":
            return (
                f"<!subteam^{self.value}|@{self.label}>"
                if self.label
                else (f"<!subteam^{self.value}>")
            )
        return f"@{self.value}"

    def display(self) -> str:
        """Plain text for people: ``@label`` or ``@handle`` (or the id when no name is known)."""
        return f"@{self.label or self.value}"

    def slack_mrkdwn(self) -> str:
        """mrkdwn that Slack renders as the user's or group's current name."""
        if self.kind == "user":
            return f"<@{self.value}>"
        if self.kind == "group":
            return f"<!subteam^{self.value}>"
        return escape_mrkdwn(f"@{self.value}")


@dataclass(frozen=True, slots=True)
class Filter:
    """Which reviews a subscription or a listing covers; the default matches everything."""

    organization: str | None = None
    location: str | None = None
    rating_min: int = 1
    rating_max: int = 5
    sources: frozenset[str] = field(default_factory=frozenset)
    mentions: tuple[Mention, ...] = ()
    alert_threshold: int = DEFAULT_ALERT_THRESHOLD
    connection: str | None = None
    page: int | None = None

    @property
    def is_all(self) -> bool:
        """True when no filter narrows the reviews and nobody is mentioned."""
        return (
            self.organization is None
            and self.location is None
            and (self.rating_min, self.rating_max) == (1, 5)
            and not self.sources
            and not self.mentions
            and self.connection is None
        )

    def matches(
        self,
        review: Review,
        *,
        organization_name: str | None = None,
        location_name: str | None = None,
    ) -> bool:
        """True when ``review`` passes every filter (``connection`` is applied by the caller).

        An unrated review passes only a filter that does not narrow the rating.
        """
        if review.rating is None:
            if (self.rating_min, self.rating_max) != (1, 5):
                return False
        elif not self.rating_min <= review.rating <= self.rating_max:
            return False
        if self.sources and source_key(review.source) not in {source_key(s) for s in self.sources}:
            return False
        if self.organization is not None and not _same_thing(
            self.organization, review.organization_id, organization_name
        ):
            return False
        return self.location is None or _same_thing(
            self.location, review.location_id, location_name
        )

    def covers_organization(self, platform_id: str, name: str | None) -> bool:
        """True when this filter lets through reviews of the organization (digests use it)."""
        return self.organization is None or _same_thing(self.organization, platform_id, name)

    def wants_mentions(self, review: Review) -> bool:
        """True when this review is low enough to mention the subscription's people."""
        # No stars, no alert: there is no rating to be low.
        return (
            bool(self.mentions)
            and review.rating is not None
            and review.rating <= self.alert_threshold
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict for storage; :meth:`from_json` reads it back."""
        return {
            "organization": self.organization,
            "location": self.location,
            "rating_min": self.rating_min,
            "rating_max": self.rating_max,
            "sources": sorted(self.sources),
            "mentions": [
                {"kind": m.kind, "value": m.value, "label": m.label} for m in self.mentions
            ],
            "alert_threshold": self.alert_threshold,
            "connection": self.connection,
            "page": self.page,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Filter:
        """Rebuild a filter from :meth:`to_json` output, ignoring keys it does not know."""
        mentions: list[Mention] = []
        for item in data.get("mentions") or ():
            kind = item.get("kind")
            if kind not in ("user", "group", "handle") or not item.get("value"):
                raise ValueError(f"bad stored mention: {item!r}")
            mentions.append(Mention(kind, str(item["value"]), _opt_str(item.get("label"))))
        page = data.get("page")
        return cls(
            organization=_opt_str(data.get("organization")),
            location=_opt_str(data.get("location")),
            rating_min=int(data.get("rating_min") or 1),
            rating_max=int(data.get("rating_max") or 5),
            sources=frozenset(str(s).strip().casefold() for s in data.get("sources") or ()),
            mentions=tuple(mentions),
            alert_threshold=int(data.get("alert_threshold") or DEFAULT_ALERT_THRESHOLD),
            connection=_opt_str(data.get("connection")),
            page=int(page) if page is not None else None,
        )

    def canonical_text(self) -> str:
        """The filter as command text; ``parse(f.canonical_text(), allow=…) == f``."""
        words: list[str] = []
        if self.organization is not None:
            words.append(f"org:{_quote(self.organization)}")
        if self.location is not None:
            words.append(f"location:{_quote(self.location)}")
        if (self.rating_min, self.rating_max) != (1, 5):
            if self.rating_min == self.rating_max:
                words.append(f"rating:{self.rating_min}")
            else:
                words.append(f"rating:{self.rating_min}-{self.rating_max}")
        if self.sources:
            words.append(f"source:{_quote(','.join(sorted(self.sources)), allow=',')}")
        words.extend(f"mention:{m.token()}" for m in self.mentions)
        if self.alert_threshold != DEFAULT_ALERT_THRESHOLD:
            words.append(f"alert:<={self.alert_threshold}")
        if self.connection is not None:
            words.append(f"connection:{_quote(self.connection)}")
        if self.page is not None:
            words.append(f"page:{self.page}")
        return " ".join(words) or "all"

    def describe(self, *, mrkdwn: bool = False) -> str:
        """A sentence for people; plain text, or escaped mrkdwn with live mentions."""
        esc = escape_mrkdwn if mrkdwn else _identity
        if (self.rating_min, self.rating_max) == (1, 5):
            text = "All reviews"
        elif self.rating_min == self.rating_max:
            text = f"{self.rating_min}★ reviews"
        else:
            text = f"{self.rating_min}–{self.rating_max}★ reviews"
        if self.organization is not None and self.location is not None:
            text += f" of {esc(self.organization)} › {esc(self.location)}"
        elif self.organization is not None:
            text += f" of {esc(self.organization)}"
        elif self.location is not None:
            text += f" of location {esc(self.location)}"
        if self.sources:
            text += " from " + ", ".join(esc(_source_label(s)) for s in sorted(self.sources))
        if self.connection is not None:
            text += f" (connection {esc(self.connection)})"
        if self.mentions:
            people = ", ".join(m.slack_mrkdwn() if mrkdwn else m.display() for m in self.mentions)
            text += f"; mentions {people} at ≤{self.alert_threshold}★"
        if self.page is not None:
            text += f"; page {self.page}"
        return text


def _identity(text: str) -> str:
    return text


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _same_thing(wanted: str, platform_id: str | None, name: str | None) -> bool:
    if platform_id is not None and platform_id == wanted:
        return True
    return name is not None and name.strip().casefold() == wanted.strip().casefold()


def _source_label(source: str) -> str:
    return source.title() if source.islower() else source


def _quote(value: str, *, allow: str = "") -> str:
    """Quote a value so that the tokenizer reads it back unchanged."""
    value = _MISREAD_ENTITY.sub("&amp;", value)
    needs = {m.group() for m in _NEEDS_QUOTES.finditer(value)} - set(allow)
    if not needs:
        return value
    if not any(q in value for q in _DOUBLE_QUOTES):
        return f'"{value}"'
    return f"'{value}'"


# --- tokenizer -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    word: str
    """The token as the user typed it (Slack's ``&lt;`` entities decoded)."""
    text: str
    """The token with quotes removed."""
    quoted: bool


def _decode(text: str) -> str:
    return _HTML_ENTITY.sub(lambda m: _HTML_DECODED[m.group(1)], text)


def _single_quote_closes(text: str, j: int) -> bool:
    # An apostrophe inside a name (O'Brien) is not a closing quote: only one before a separator.
    return j + 1 == len(text) or text[j + 1].isspace() or text[j + 1] == ","


def _tokenize(text: str, example: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        parts: list[str] = []
        run_start = i
        quoted = False
        while i < n and not text[i].isspace():
            ch = text[i]
            opens_single = ch in _SINGLE_QUOTES and (i == start or text[i - 1] in ":,")
            if ch in _DOUBLE_QUOTES or opens_single:
                parts.append(_decode(text[run_start:i]))
                end = -1
                for j in range(i + 1, n):
                    if ch in _DOUBLE_QUOTES and text[j] in _DOUBLE_QUOTES:
                        end = j
                        break
                    if opens_single and text[j] in _SINGLE_QUOTES and _single_quote_closes(text, j):
                        end = j
                        break
                if end < 0:
                    word = _decode(text[start:].split(maxsplit=1)[0])
                    raise FilterSyntaxError(
                        word,
                        f"the quote {ch} is never closed; put the name between two quotes",
                        example,
                    )
                parts.append(_decode(text[i + 1 : end]))
                quoted = True
                i = run_start = end + 1
                continue
            if ch == "<":
                match = _SLACK_ENTITY.match(text, i)
                if match:
                    parts.append(_decode(text[run_start:i]))
                    parts.append(match.group())
                    i = run_start = match.end()
                    continue
            i += 1
        parts.append(_decode(text[run_start:i]))
        tokens.append(_Token(word=_decode(text[start:i]), text="".join(parts), quoted=quoted))
    return tokens


# --- values ----------------------------------------------------------------------------------


def _rating_range(value: str, word: str, example: str) -> tuple[int, int]:
    forms = "use rating:5, rating:<=2, rating:>=4 or rating:1-3"
    match = _RATING.fullmatch(value.replace(" ", ""))
    if match is None:
        raise FilterSyntaxError(word, f"`{_clean(value)}` is not a rating; {forms}", example)
    if match.group("lo") is not None:
        lo, hi = int(match.group("lo")), int(match.group("hi"))
        if lo > hi:
            raise FilterSyntaxError(
                word, f"the range goes the wrong way; write rating:{hi}-{lo}", example
            )
    else:
        n = int(match.group("n"))
        op = match.group("op") or "="
        lo, hi = {
            "=": (n, n),
            "<=": (1, n),
            "=<": (1, n),
            "≤": (1, n),
            "<": (1, n - 1),
            ">=": (n, 5),
            "=>": (n, 5),
            "≥": (n, 5),
            ">": (n + 1, 5),
        }[op]
    if not (1 <= lo <= 5 and 1 <= hi <= 5 and lo <= hi):
        raise FilterSyntaxError(word, f"ratings go from 1 to 5; {forms}", example)
    return lo, hi


def _alert_threshold(value: str, word: str, example: str) -> int:
    match = _RATING.fullmatch(value.replace(" ", ""))
    op = match.group("op") if match else None
    if match is None or match.group("n") is None or op not in (None, "<=", "=<", "≤", "<", "="):
        raise FilterSyntaxError(
            word,
            "alert takes the highest rating that mentions people, like alert:<=2 or alert:3",
            example,
        )
    n = int(match.group("n")) - (1 if op == "<" else 0)
    if not 1 <= n <= 5:
        raise FilterSyntaxError(word, "the alert threshold goes from 1 to 5", example)
    return n


def _split_mentions(value: str) -> Iterable[str]:
    for match in re.finditer(r"<[^<>]*>|[^,<]+|<", value):
        item = match.group().strip()
        if item:
            yield item


def _mention(item: str, word: str, example: str) -> Mention:
    if (m := _USER.fullmatch(item)) is not None:
        return Mention("user", m.group(1), (m.group(2) or "").lstrip("@") or None)
    if (m := _GROUP.fullmatch(item)) is not None:
        return Mention("group", m.group(1), (m.group(2) or "").lstrip("@") or None)
    if item.startswith("<!") or item.lstrip("@").casefold() in _BROADCASTS:
        raise FilterSyntaxError(
            word, "only people and user groups can be mentioned, not @here/@channel", example
        )
    if (m := _HANDLE.fullmatch(item)) is not None:
        return Mention("handle", m.group(1))
    raise FilterSyntaxError(
        word, f"`{_clean(item)}` is not a person or group; write mention:@frontdesk", example
    )


# --- parse -----------------------------------------------------------------------------------


def _key_list(allow: frozenset[str]) -> str:
    return ", ".join(f"{k}:" for k in _KEY_ORDER if k in allow)


def parse(
    text: str, *, allow: frozenset[str] = SUBSCRIBE_KEYS, allow_empty: bool = False
) -> Filter:
    """Parse filter text such as ``org:"Acme" rating:<=3``; raise FilterSyntaxError on bad input."""
    command = "/reviews list" if "page" in allow else "/reviews subscribe"
    example = _LIST_EXAMPLE if "page" in allow else _SUBSCRIBE_EXAMPLE
    if len(text) > MAX_INPUT_CHARS:
        raise FilterSyntaxError(
            text.strip()[:MAX_WORD_ECHO],
            f"that is too long ({len(text)} characters; at most {MAX_INPUT_CHARS})",
            example,
        )
    tokens = _tokenize(text, example)
    if not tokens:
        if allow_empty:
            return Filter()
        raise FilterSyntaxError(
            "", "Tell me which reviews: `all`, or filters such as " + _key_list(allow), example
        )

    values: dict[str, Any] = {}
    mentions: list[Mention] = []
    saw_all: _Token | None = None
    for token in tokens:
        if not token.quoted and token.text.casefold() == "all":
            saw_all = token
            continue
        raw_key, colon, value = token.text.partition(":")
        if not colon:
            person = token.text.startswith(("@", "<@", "<!subteam"))
            hint = " (for people, write mention:@name)" if person and "mention" in allow else ""
            raise FilterSyntaxError(
                token.word,
                f"filters look like key:value{hint}. Filters: {_key_list(allow)}",
                example,
            )
        key = _ALIASES.get(raw_key.strip().casefold())
        if key is None:
            close = difflib.get_close_matches(raw_key.casefold(), sorted(allow), n=1)
            hint = f" (did you mean `{close[0]}:`?)" if close else ""
            raise FilterSyntaxError(
                token.word,
                f"unknown filter `{_clean(raw_key)}`{hint}. Filters: {_key_list(allow)}",
                example,
            )
        key_example = f"{command} {_KEY_EXAMPLES[key]}"
        if key not in allow:
            where = "/reviews list" if key == "page" else "/reviews subscribe"
            raise FilterSyntaxError(token.word, f"`{key}:` only works with {where}", example)
        if key in values and key != "mention":
            raise FilterSyntaxError(
                token.word, f"`{key}:` is given twice; use it once", key_example
            )
        value = value.strip()
        if not value:
            raise FilterSyntaxError(
                token.word, f"`{key}:` needs a value right after the colon", key_example
            )

        if key == "rating":
            values[key] = _rating_range(value, token.word, key_example)
        elif key == "alert":
            values[key] = _alert_threshold(value, token.word, key_example)
        elif key == "source":
            names = frozenset(s.strip().casefold() for s in value.split(",") if s.strip())
            if not names:
                raise FilterSyntaxError(token.word, "`source:` needs a value", key_example)
            values[key] = names
        elif key == "mention":
            values[key] = True
            items = list(_split_mentions(value))
            if not items:
                raise FilterSyntaxError(token.word, "`mention:` needs a value", key_example)
            for item in items:
                mention = _mention(item, token.word, key_example)
                if not any((m.kind, m.value) == (mention.kind, mention.value) for m in mentions):
                    mentions.append(mention)
        elif key == "page":
            if not value.isdecimal() or not 1 <= int(value) <= MAX_PAGE:
                raise FilterSyntaxError(
                    token.word, f"the page is a number from 1 to {MAX_PAGE}", key_example
                )
            values[key] = int(value)
        else:
            values[key] = value

    if saw_all is not None:
        if len(tokens) > 1:
            raise FilterSyntaxError(
                saw_all.word,
                "`all` means every review, so it cannot be combined with filters",
                example,
            )
        return Filter()
    rating_min, rating_max = values.get("rating", (1, 5))
    return Filter(
        organization=values.get("org"),
        location=values.get("location"),
        rating_min=rating_min,
        rating_max=rating_max,
        sources=values.get("source", frozenset()),
        mentions=tuple(mentions),
        alert_threshold=values.get("alert", DEFAULT_ALERT_THRESHOLD),
        connection=values.get("connection"),
        page=values.get("page"),
    )
