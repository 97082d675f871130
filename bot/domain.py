"""The app's plain values: what providers, blocks, services, the pipeline and storage share.

A leaf: this module imports nothing of the app's, so anything may import it. Every platform
client returns these frozen values and never a raw dict, so the rest of the app does not care
which platform a review came from. Platform ids are strings everywhere (Gumado uses integers for
reviews/organizations and UUIDs for campaigns; Cloutly uses UUIDs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar

__all__ = [
    "LANGUAGES",
    "LOW_RATING",
    "Campaign",
    "Country",
    "DigestReview",
    "DigestStats",
    "InviteFormInfo",
    "InviteResult",
    "Location",
    "Me",
    "Organization",
    "Page",
    "Platform",
    "PlatformInfo",
    "Review",
    "Source",
    "SourceFigures",
    "WeekFigures",
    "is_answered",
    "language_name",
    "source_display_name",
    "source_key",
]

Platform = str
"""A platform's key (``connections.platform``): see ``bot.providers.registry.PLATFORMS``."""
T = TypeVar("T")

LANGUAGES: dict[str, str] = {
    "ar": "Arabic",
    "bg": "Bulgarian",
    "ca": "Catalan",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hr": "Croatian",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "ms": "Malay",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sv": "Swedish",
    "th": "Thai",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "zh": "Chinese",
}
"""The languages told apart (ISO 639-1 code → English name)."""


def is_answered(replied: bool | None, reply: str | None) -> bool:
    """A review the business replied to: flagged so, or with reply text (``Review.answered``)."""
    return bool(replied) or bool((reply or "").strip())


def language_name(code: str) -> str:
    """``Spanish`` for ``es``; the code itself when it is not one we tell apart."""
    return LANGUAGES.get(code.lower(), code)


LOW_RATING = 3
"""A digest lists unreplied reviews at this rating or below."""


# Reviews and what they belong to.


@dataclass(frozen=True, slots=True)
class Review:
    """One review as the app sees it, whatever platform it came from.

    The review-state fields (``hidden`` … ``archived``) are None when the platform's answer
    does not say (Gumado's ``GET /reviews`` carries none of them; its webhooks carry them all).
    """

    platform: Platform
    id: str
    rating: int | None
    """1–5 stars, or None: a review may have none (Cloutly: "Most fields a nullable")."""
    source: str
    """Display name of the review site, e.g. ``Google`` (webhooks say ``google``: normalized)."""
    published_at: datetime
    organization_id: str | None = None
    location_id: str | None = None
    author: str | None = None
    avatar_url: str | None = None
    title: str | None = None
    text: str | None = None
    url: str | None = None
    source_logo_url: str | None = None
    reply: str | None = None
    reply_at: datetime | None = None
    reply_on: date | None = None
    """The reply's day when the platform gives a date without a time (Cloutly ``2021-02-04``)."""
    updated_at: datetime | None = None
    hidden: bool | None = None
    """Hidden on the business's review widget (Gumado ``hidden``); the review still counts."""
    verified: bool | None = None
    original_rating: int | None = None
    """The rating first given, before the reviewer edited it (Gumado ``original_rating``)."""
    edited_at: datetime | None = None
    """When the reviewer edited the review (Gumado ``review_updated_on``)."""
    replied: bool | None = None
    """The business replied (Gumado ``replied``; Cloutly ``status`` "Responded")."""
    reply_url: str | None = None
    archived: bool | None = None
    """Archived in the platform's inbox (Cloutly ``isArchived``)."""
    language: str | None = None
    """ISO 639-1 code told from the title and text (``bot/language.py``); None when unsure."""

    @property
    def answered(self) -> bool:
        """The business has replied on the platform (with or without text we were given)."""
        return is_answered(self.replied, self.reply)

    @property
    def edited_by_reviewer(self) -> bool:
        """True when the reviewer changed the review after writing it."""
        changed_rating = (
            self.original_rating is not None
            and self.rating is not None
            and self.original_rating != self.rating
        )
        # A source may stamp review_updated_on at publication too: that is not an edit.
        edited_later = self.edited_at is not None and self.edited_at > self.published_at
        return edited_later or changed_rating


@dataclass(frozen=True, slots=True)
class Organization:
    """A Gumado organization or a Cloutly business (location)."""

    platform: Platform
    id: str
    name: str
    sources: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Location:
    """A Gumado location of an organization (known from webhooks only: the API has no list)."""

    platform: Platform
    id: str
    organization_id: str | None
    name: str


@dataclass(frozen=True, slots=True)
class Campaign:
    """A review-request campaign."""

    platform: Platform
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class InviteResult:
    """What the platform said when it accepted an invite (Gumado 202, Cloutly 200/201)."""

    platform: Platform
    id: str
    message: str | None = None
    contact_id: str | None = None
    sms_limits_left: int | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """A review site the platform can collect from."""

    id: str
    name: str
    url: str | None = None
    logo_url: str | None = None
    available: bool = True


@dataclass(frozen=True, slots=True)
class Country:
    """A country with its ISO 3166-1 alpha-2 code."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Me:
    """The account a Gumado token belongs to."""

    id: str
    name: str
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a paginated list, with the numbers needed to page forwards and back."""

    items: tuple[T, ...]
    page: int = 1
    last_page: int = 1
    per_page: int = 10
    total: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def has_next(self) -> bool:
        return self.page < self.last_page

    @property
    def has_prev(self) -> bool:
        return self.page > 1


# Review sites.

# Gumado webhooks name the source in lower case ("source_name": "google"), its API by display
# name ("source": "Google"); Cloutly uses lower-case ids ("trustpilot"). Sites are compared by
# their key (lower case, letters and digits only), so "booking.com", "Booking.com" and
# "booking_com" are one site. Which sites exist comes from the platforms (Gumado GET /sources,
# Cloutly GET /businesses), never from a table here.


def source_key(name: str) -> str:
    """The comparison key of a source name: ``Booking.com`` → ``bookingcom``."""
    return re.sub(r"[^a-z0-9]", "", name.strip().lower())


def source_display_name(name: str) -> str:
    """Display name of a review source: ``google`` → ``Google``, ``booking.com`` → ``Booking.com``."""
    cleaned = name.strip()
    if any(char.isupper() for char in cleaned):
        return cleaned  # already a display name the platform chose, e.g. "MyLocalGuide"
    return " ".join(part.capitalize() for part in re.split(r"[\s_\-]+", cleaned) if part)


# What the UI says about a platform.


@dataclass(frozen=True, slots=True)
class InviteFormInfo:
    """How the invite form looks and what the confirmation explains, for one platform."""

    organization_label: str
    """The select's label: "Organization" or "Business"."""
    campaign_search: bool
    """True: campaigns come from the platform (typeahead); False: the id is typed."""
    campaign_label: str
    campaign_hint: str
    campaign_placeholder: str | None
    first_name_required: bool
    send_after_hours: bool
    """Whether the platform takes a per-invite delay."""
    how_it_is_sent: str
    when_sent: str | None
    """A fixed "when" line, or None when it follows ``send_after_hours``."""
    receipt_id_label: str
    """What the platform's answer id is: "invite id", "contact id"."""
    duplicate_window: str | None
    """The platform's duplicate-contact rule, when it has one (shown after a repeat invite)."""
    opt_out_note: str | None
    unknown_campaign: str
    """What a 404 means: "this campaign" or "this business or campaign"."""
    outcome_unknown_on_timeout: bool
    """A lost answer may still have added the contact (no retry-safe duplicate window)."""
    scope_help: str | None = None
    """What to do when the token may not send invites (platforms with scopes)."""


@dataclass(frozen=True, slots=True)
class PlatformInfo:
    """Static facts about a platform: names, capabilities and the words the UI uses.

    Plain data, so blocks can be given it; a provider's ``info`` is a
    :class:`~bot.providers.protocol.ProviderInfo`, which adds how its webhooks read.
    """

    name: str
    """The stored platform key, e.g. the value of ``connections.platform``."""
    display_name: str
    credential_label: str
    """What the connect form calls the secret: "API token", "API key"."""
    credential_help: str
    """Where the admin finds it, as one sentence."""
    env_variable: str
    """The variable that creates the single-workspace connection at start-up."""
    env_setting: str
    """The :class:`~bot.config.Settings` field of ``env_variable``."""
    has_webhooks: bool
    organization_noun: tuple[str, str]
    """Singular and plural: ("organization", "organizations")."""
    invite: InviteFormInfo
    scopes: dict[str, str] = field(default_factory=dict)
    """Permission scopes the app needs → what does not work without it (empty: no scopes)."""
    has_locations: bool = False
    list_extras: tuple[str, ...] = ()
    """``/reviews list`` words beyond the shared grammar that the platform supports."""
    list_order_note: str = "newest first"
    webhook_steps: tuple[str, ...] = ()
    """How to register the webhook URL, step by step (``{events}`` is the event list)."""
    webhook_hint: str | None = None
    """The same in one line, for status displays."""
    webhook_events: tuple[str, ...] = ()
    webhook_key_setting: str | None = None
    """The Settings field that fixes the env connection's webhook key, if the platform has one."""

    @property
    def scope_settings(self) -> str:
        """Where the platform's token permissions are edited (platforms with scopes)."""
        return self.credential_help.split(":", 1)[-1].split("(")[0].strip()

    def organizations(self, count: int) -> str:
        """``1 organization`` / ``3 businesses``."""
        singular, plural = self.organization_noun
        return f"{count} {singular if count == 1 else plural}"


# A digest's figures (computed in bot/digest/stats.py, laid out in bot/blocks/digest.py).


@dataclass(frozen=True)
class WeekFigures:
    """Count and average rating of one 168-hour window [start, end)."""

    start: datetime
    end: datetime
    count: int
    average: float | None
    """Over the rated reviews; None when none was rated."""


@dataclass(frozen=True)
class SourceFigures:
    """One review source (Google, Yelp…) in the digest's week."""

    source: str
    count: int
    average: float | None
    """Over the rated reviews; None when none was rated."""


@dataclass(frozen=True)
class DigestReview:
    """A review a digest links to: an unreplied low rating or the highlight."""

    platform_id: str
    source: str
    rating: int
    author: str | None
    text: str | None
    url: str | None
    published_at: datetime


@dataclass(frozen=True)
class DigestStats:
    """Every figure of one organization's digest at ``now``."""

    connection_id: int
    organization_platform_id: str
    now: datetime
    current: WeekFigures
    previous: WeekFigures
    average_change: float | None
    count_change: int
    distribution: tuple[int, int, int, int, int]  # reviews with 1★ … 5★ this week
    sources: tuple[SourceFigures, ...]  # most reviews first
    replied: int
    reply_rate: float | None
    unreplied_low: tuple[DigestReview, ...]  # newest first
    highlight: DigestReview | None
    trend: tuple[WeekFigures, ...]  # TREND_WEEKS weeks, oldest first; the last is ``current``
    running_count: int
    running_average: float | None
    median_reply: timedelta | None = None
    """Median of reply time − publication over the week's replied reviews whose reply has a
    time; a reply known only by its day (Cloutly) or not at all is left out."""
    unreplied_low_count: int = 0
    """The week's unanswered reviews at ``LOW_RATING`` or below (``unreplied_low`` lists the
    newest few)."""

    @property
    def empty(self) -> bool:
        """True when no review was published in the digest's week."""
        return self.current.count == 0
