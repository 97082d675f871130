"""The filter itself: which reviews a subscription or a listing covers, and whom it mentions.

A :class:`Filter` matches reviews, round-trips through JSON (stored with the subscription) and
through its canonical command text, and describes itself in a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bot.domain import Review, language_name, source_key
from bot.filters.syntax import quote as _quote
from bot.text import escape_mrkdwn, format_minutes, search_words

__all__ = ["DEFAULT_ALERT_THRESHOLD", "Backfill", "Filter", "Mention", "Style"]

DEFAULT_ALERT_THRESHOLD = 2
MAX_BACKFILL = 50
"""At most this many recent reviews are posted when a subscription asks for the past."""

Style = Literal["full", "compact"]


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
class Backfill:
    """What a new subscription asks of the recent past: the last ``days`` and/or ``count``."""

    count: int = MAX_BACKFILL
    minutes: int | None = None

    def word(self) -> str:
        """The filter word: ``backfill:7d`` or ``backfill:20``."""
        if self.minutes is not None:
            return f"backfill:{format_minutes(self.minutes)}"
        return f"backfill:{self.count}"


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
    text: tuple[str, ...] = ()
    """Alternatives (``text:parking,wait``): a review matches one when it has all its words."""
    languages: frozenset[str] = field(default_factory=frozenset)
    replied: bool | None = None
    """``replied:no`` keeps the reviews nobody has answered on the platform yet."""
    respond_minutes: int | None = None
    """``respond:24h``: remind in the card's thread when a low rating is unanswered by then."""
    rollup: tuple[int, int] | None = None
    """``rollup:>=4``: these ratings collect into one roll-up message per period."""
    rollup_every_minutes: int | None = None
    style: Style = "full"
    backfill: Backfill | None = None
    """A one-off request of a new subscription; never stored with it."""

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
            and not self.text
            and not self.languages
            and self.replied is None
            and self.respond_minutes is None
            and self.rollup is None
            and self.style == "full"
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
        if self.location is not None and not _same_thing(
            self.location, review.location_id, location_name
        ):
            return False
        if self.replied is not None and review.answered != self.replied:
            return False
        if self.languages and review.language not in self.languages:
            return False
        return not self.text or self.matches_text(review)

    def matches_text(self, review: Review) -> bool:
        """True when the title or text has every word of one of the ``text:`` alternatives.

        Whole words, case and accents ignored: ``text:cafe`` finds "Café", not "cafeteria".
        """
        have = set(search_words(review.title)) | set(search_words(review.text))
        return any(set(search_words(phrase)) <= have for phrase in self.text)

    def rolls_up(self, review: Review) -> bool:
        """True when this review goes into the subscription's roll-up instead of a card."""
        if self.rollup is None or review.rating is None:
            return False
        low, high = self.rollup
        return low <= review.rating <= high

    def stored(self) -> Filter:
        """The filter as a subscription keeps it: without the one-off backfill or a page."""
        return replace(self, backfill=None, page=None)

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
        base: dict[str, Any] = {
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
        # The words of issue 15 are written only when used: older rows stay as they were.
        extra: dict[str, Any] = {
            "text": list(self.text),
            "languages": sorted(self.languages),
            "replied": self.replied,
            "respond_minutes": self.respond_minutes,
            "rollup": list(self.rollup) if self.rollup else None,
            "rollup_every_minutes": self.rollup_every_minutes,
            "style": self.style if self.style != "full" else None,
        }
        return base | {key: value for key, value in extra.items() if value not in (None, [])}

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
        rollup = data.get("rollup")
        style: Style = "compact" if data.get("style") == "compact" else "full"
        replied = data.get("replied")
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
            text=tuple(str(t) for t in data.get("text") or ()),
            languages=frozenset(str(c).lower() for c in data.get("languages") or ()),
            replied=None if replied is None else bool(replied),
            respond_minutes=_opt_int(data.get("respond_minutes")),
            rollup=(int(rollup[0]), int(rollup[1])) if rollup else None,
            rollup_every_minutes=_opt_int(data.get("rollup_every_minutes")),
            style=style,
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
        if self.text:
            words.append(f"text:{_quote(','.join(self.text), allow=',')}")
        if self.languages:
            words.append(f"language:{','.join(sorted(self.languages))}")
        if self.replied is not None:
            words.append(f"replied:{'yes' if self.replied else 'no'}")
        if self.respond_minutes is not None:
            words.append(f"respond:{format_minutes(self.respond_minutes)}")
        if self.rollup is not None:
            low, high = self.rollup
            words.append(f"rollup:{_range_word(low, high)}")
            if self.rollup_every_minutes is not None:
                words.append(f"every:{format_minutes(self.rollup_every_minutes)}")
        if self.style != "full":
            words.append(f"style:{self.style}")
        if self.backfill is not None:
            words.append(self.backfill.word())
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
        if self.text:
            text += " mentioning " + " or ".join(f"“{esc(t)}”" for t in self.text)
        if self.languages:
            text += " in " + ", ".join(_language_label(c) for c in sorted(self.languages))
        if self.replied is not None:
            text += ", answered" if self.replied else ", not answered yet"
        if self.connection is not None:
            text += f" (connection {esc(self.connection)})"
        if self.mentions:
            people = ", ".join(m.slack_mrkdwn() if mrkdwn else m.display() for m in self.mentions)
            text += f"; mentions {people} at ≤{self.alert_threshold}★"
        if self.respond_minutes is not None:
            text += f"; reply within {_duration_words(self.respond_minutes)}"
        if self.rollup is not None:
            every = _duration_words(self.rollup_every_minutes or 0)
            text += f"; {_range_stars(*self.rollup)} in a roll-up every {every}"
        if self.style != "full":
            text += f"; {self.style} cards"
        if self.page is not None:
            text += f"; page {self.page}"
        return text


def _identity(text: str) -> str:
    return text


def _opt_int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def _range_word(low: int, high: int) -> str:
    if low == high:
        return str(low)
    if high == 5:
        return f">={low}"
    if low == 1:
        return f"<={high}"
    return f"{low}-{high}"


def _range_stars(low: int, high: int) -> str:
    return f"{low}★" if low == high else f"{low}–{high}★"


def _duration_words(minutes: int) -> str:
    for size, unit in ((1440, "day"), (60, "hour"), (1, "minute")):
        if minutes % size == 0 and (size != 1440 or minutes >= 2880):
            count = minutes // size
            return f"{count} {unit}" + ("s" if count != 1 else "")
    return f"{minutes} minutes"  # pragma: no cover - size 1 always divides


def _language_label(code: str) -> str:
    return f"{language_name(code)} ({code})"


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _same_thing(wanted: str, platform_id: str | None, name: str | None) -> bool:
    if platform_id is not None and platform_id == wanted:
        return True
    return name is not None and name.strip().casefold() == wanted.strip().casefold()


def _source_label(source: str) -> str:
    return source.title() if source.islower() else source
