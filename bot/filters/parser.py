"""``parse(text) -> Filter``: the grammar of the filters people type.

``org:"Acme Dental" location:3 rating:<=3 source:Google,Yelp mention:@frontdesk alert:<=2``;
a word that cannot be understood raises :class:`FilterSyntaxError` naming it, with an example.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from bot.domain import LANGUAGES
from bot.filters.model import (
    DEFAULT_ALERT_THRESHOLD,
    MAX_BACKFILL,
    Backfill,
    Filter,
    Mention,
    Style,
)
from bot.filters.syntax import MAX_WORD_ECHO, FilterSyntaxError, Token, tokenize
from bot.filters.syntax import clean as _clean
from bot.text import format_minutes, search_words

__all__ = ["LIST_KEYS", "SUBSCRIBE_KEYS", "parse"]

SUBSCRIBE_KEYS = frozenset(
    {
        "org",
        "location",
        "rating",
        "source",
        "mention",
        "alert",
        "connection",
        "text",
        "language",
        "respond",
        "rollup",
        "every",
        "style",
        "backfill",
    }
)
LIST_KEYS = frozenset(
    {"org", "location", "rating", "source", "connection", "page", "text", "language", "replied"}
)
MAX_INPUT_CHARS = 1000
MAX_PAGE = 10_000
MAX_TEXT_ALTERNATIVES = 10
MAX_TEXT_CHARS = 100
# Durations in minutes: (shortest, longest) each word accepts.
RESPOND_RANGE = (5, 30 * 1440)
EVERY_RANGE = (5, 7 * 1440)
BACKFILL_RANGE = (60, 90 * 1440)
DEFAULT_ROLLUP_EVERY = 1440

_KEY_ORDER = (
    "org",
    "location",
    "rating",
    "source",
    "text",
    "language",
    "replied",
    "mention",
    "alert",
    "respond",
    "rollup",
    "every",
    "style",
    "backfill",
    "connection",
    "page",
)
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
    "text": "text",
    "words": "text",
    "language": "language",
    "lang": "language",
    "replied": "replied",
    "answered": "replied",
    "respond": "respond",
    "rollup": "rollup",
    "every": "every",
    "style": "style",
    "backfill": "backfill",
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
    "text": 'text:"parking"',
    "language": "language:es",
    "replied": "replied:no",
    "respond": "respond:24h",
    "rollup": "rollup:>=4 every:1h",
    "every": "rollup:>=4 every:1h",
    "style": "style:compact",
    "backfill": "backfill:7d",
}
_LIST_ONLY = frozenset({"page", "replied"})
_SUBSCRIBE_EXAMPLE = '/reviews subscribe org:"Acme Dental" rating:<=3 source:Google'
_LIST_EXAMPLE = '/reviews list org:"Acme Dental" rating:<=3 page:2'

_RATING = re.compile(
    r"(?:(?P<op><=|>=|=<|=>|≤|≥|<|>|=)?(?P<n>\d+)|(?P<lo>\d+)\s*[-–—]\s*(?P<hi>\d+))[★*]?"
)
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^<>]*))?>")
_GROUP = re.compile(r"<!subteam\^(S[A-Z0-9]+)(?:\|([^<>]*))?>")
_HANDLE = re.compile(r"@?(\w[\w.\-']{0,79})")
_BROADCASTS = frozenset({"here", "channel", "everyone", "group"})
_DURATION = re.compile(
    r"(?P<n>\d{1,6})\s*(?P<unit>m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|wk|weeks?)"
)
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}
_LANGUAGE_CODES = {name.casefold(): code for code, name in LANGUAGES.items()}
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})


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


def _duration(value: str, word: str, example: str, what: str, bounds: tuple[int, int]) -> int:
    """Minutes of ``30m``, ``24h`` or ``2d``, within ``bounds``."""
    match = _DURATION.fullmatch(value.replace(" ", "").casefold())
    low, high = bounds
    forms = f"write minutes, hours or days, like {format_minutes(low)}, 24h or 2d"
    if match is None:
        raise FilterSyntaxError(word, f"`{_clean(value)}` is not a {what}; {forms}", example)
    minutes = int(match.group("n")) * _UNIT_MINUTES[match.group("unit")[0]]
    if not low <= minutes <= high:
        span = f"from {format_minutes(low)} to {format_minutes(high)}"
        raise FilterSyntaxError(word, f"the {what} goes {span}", example)
    return minutes


def _backfill(value: str, word: str, example: str) -> Backfill:
    if value.isdecimal():
        count = int(value)
        if not 1 <= count <= MAX_BACKFILL:
            raise FilterSyntaxError(
                word, f"backfill posts from 1 to {MAX_BACKFILL} reviews, or a time like 7d", example
            )
        return Backfill(count=count)
    return Backfill(minutes=_duration(value, word, example, "backfill period", BACKFILL_RANGE))


def _languages(value: str, word: str, example: str) -> frozenset[str]:
    codes: set[str] = set()
    for item in (part.strip().casefold() for part in value.split(",")):
        if not item:
            continue
        code = item if item in LANGUAGES else _LANGUAGE_CODES.get(item)
        if code is None:
            raise FilterSyntaxError(
                word,
                f"`{_clean(item)}` is not a language I can tell; use a two-letter code "
                "such as es, fr or de",
                example,
            )
        codes.add(code)
    if not codes:
        raise FilterSyntaxError(word, "`language:` needs a value", example)
    return frozenset(codes)


def _text(value: str, word: str, example: str) -> tuple[str, ...]:
    phrases = [" ".join(part.split()) for part in value.split(",")]
    phrases = [p for p in dict.fromkeys(phrases) if p]
    if not phrases or any(not search_words(p) for p in phrases):
        raise FilterSyntaxError(word, "`text:` needs words to look for", example)
    if len(phrases) > MAX_TEXT_ALTERNATIVES or any(len(p) > MAX_TEXT_CHARS for p in phrases):
        raise FilterSyntaxError(
            word,
            f"look for at most {MAX_TEXT_ALTERNATIVES} phrases of {MAX_TEXT_CHARS} characters",
            example,
        )
    return tuple(phrases)


def _yes_no(value: str, word: str, example: str) -> bool:
    folded = value.casefold()
    if folded in _YES or folded in _NO:
        return folded in _YES
    raise FilterSyntaxError(word, "`replied:` is yes or no", example)


def _style(value: str, word: str, example: str) -> Style:
    folded = value.casefold()
    if folded == "compact":
        return "compact"
    if folded == "full":
        return "full"
    raise FilterSyntaxError(word, "`style:` is compact or full", example)


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
    tokens = tokenize(text, example)
    if not tokens:
        if allow_empty:
            return Filter()
        raise FilterSyntaxError(
            "", "Tell me which reviews: `all`, or filters such as " + _key_list(allow), example
        )

    values: dict[str, Any] = {}
    mentions: list[Mention] = []
    saw_all: Token | None = None
    for token in tokens:
        if not token.quoted and token.text.casefold() == "all":
            saw_all = token
            continue
        if not token.quoted and token.text.casefold() == "unanswered" and "replied" in allow:
            token = Token(word=token.word, text="replied:no", quoted=False)
        key, value = _key_and_value(token, allow, values, command, example)
        key_example = f"{command} {_KEY_EXAMPLES[key]}"
        values[key] = _value(key, value, token.word, key_example, mentions)

    if saw_all is not None:
        if len(tokens) > 1:
            raise FilterSyntaxError(
                saw_all.word,
                "`all` means every review, so it cannot be combined with filters",
                example,
            )
        return Filter()
    _check_combinations(values, tokens, mentions, example)
    rating_min, rating_max = values.get("rating", (1, 5))
    rollup = values.get("rollup")
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
        text=values.get("text", ()),
        languages=values.get("language", frozenset()),
        replied=values.get("replied"),
        respond_minutes=values.get("respond"),
        rollup=rollup,
        rollup_every_minutes=values.get("every", DEFAULT_ROLLUP_EVERY) if rollup else None,
        style=values.get("style", "full"),
        backfill=values.get("backfill"),
    )


def _check_combinations(
    values: dict[str, Any], tokens: list[Token], mentions: list[Mention], example: str
) -> None:
    """Words that make sense only together, or that would cancel each other."""

    def word_of(key: str) -> str:
        return next(
            (t.word for t in tokens if _ALIASES.get(t.text.partition(":")[0].casefold()) == key),
            "",
        )

    if "every" in values and "rollup" not in values:
        raise FilterSyntaxError(
            word_of("every"),
            "`every:` says how often a roll-up is posted; add which ratings, like rollup:>=4",
            f"/reviews subscribe {_KEY_EXAMPLES['rollup']}",
        )
    rollup = values.get("rollup")
    alert = values.get("alert", DEFAULT_ALERT_THRESHOLD)
    if rollup is not None and (mentions or "respond" in values) and rollup[0] <= alert:
        raise FilterSyntaxError(
            word_of("rollup"),
            f"the roll-up would swallow the ratings at or below {alert}★ that mention: and "
            f"respond: are for; roll up only higher ones, like rollup:>={alert + 1}",
            example,
        )


def _key_and_value(
    token: Token, allow: frozenset[str], values: dict[str, Any], command: str, example: str
) -> tuple[str, str]:
    """The token's key (aliases resolved, allowed here, not given twice) and its value."""
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
        where = "/reviews list" if key in _LIST_ONLY else "/reviews subscribe"
        raise FilterSyntaxError(token.word, f"`{key}:` only works with {where}", example)
    if key in values and key != "mention":
        raise FilterSyntaxError(token.word, f"`{key}:` is given twice; use it once", key_example)
    value = value.strip()
    if not value:
        raise FilterSyntaxError(
            token.word, f"`{key}:` needs a value right after the colon", key_example
        )
    return key, value


def _value(key: str, value: str, word: str, key_example: str, mentions: list[Mention]) -> Any:
    """The parsed value of one ``key:value`` word (mentions are added to ``mentions``)."""
    if key == "rating":
        return _rating_range(value, word, key_example)
    if key == "alert":
        return _alert_threshold(value, word, key_example)
    if key == "source":
        names = frozenset(s.strip().casefold() for s in value.split(",") if s.strip())
        if not names:
            raise FilterSyntaxError(word, "`source:` needs a value", key_example)
        return names
    if key == "mention":
        items = list(_split_mentions(value))
        if not items:
            raise FilterSyntaxError(word, "`mention:` needs a value", key_example)
        for item in items:
            mention = _mention(item, word, key_example)
            if not any((m.kind, m.value) == (mention.kind, mention.value) for m in mentions):
                mentions.append(mention)
        return True
    if key == "page":
        if not value.isdecimal() or not 1 <= int(value) <= MAX_PAGE:
            raise FilterSyntaxError(word, f"the page is a number from 1 to {MAX_PAGE}", key_example)
        return int(value)
    if key == "rollup":
        return _rating_range(value, word, key_example)
    if key == "respond":
        return _duration(value, word, key_example, "reply deadline", RESPOND_RANGE)
    if key == "every":
        return _duration(value, word, key_example, "roll-up period", EVERY_RANGE)
    if key == "backfill":
        return _backfill(value, word, key_example)
    if key == "language":
        return _languages(value, word, key_example)
    if key == "text":
        return _text(value, word, key_example)
    if key == "replied":
        return _yes_no(value, word, key_example)
    if key == "style":
        return _style(value, word, key_example)
    return value
