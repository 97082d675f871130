"""The one interface the app uses to talk to a review platform, and the facts that shape its UI.

Everything outside ``bot/providers/`` works with a :class:`Provider` and reads its
:class:`ProviderInfo`; nothing there names a platform. A third platform is a new package next
to ``gumado/`` and ``cloutly/`` that implements this protocol, plus one line in the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from bot.domain import (
    Campaign,
    InviteResult,
    Location,
    Organization,
    PlatformInfo,
    Review,
    Source,
)
from bot.providers.cursor import PollCursor

__all__ = [
    "BrowsePage",
    "BrowseQuery",
    "Changes",
    "InviteRequest",
    "PagePosition",
    "PayloadError",
    "Provider",
    "ProviderInfo",
    "QueryNotSupported",
    "TokenCheck",
    "WebhookChange",
    "WebhookFormat",
]


class PayloadError(ValueError):
    """A platform's answer or webhook payload is not what its document describes.

    Messages name fields and types, never values (they may be personal).
    """


@dataclass(frozen=True, slots=True)
class WebhookChange:
    """What one webhook event means for the app (exactly one field is set)."""

    review: Review | None = None
    review_created: bool = False
    """A new review (cards always), rather than an edit (cards only if the review is recent)."""
    organization: Organization | None = None
    location: Location | None = None
    deleted_organization_id: str | None = None
    deleted_location_id: str | None = None


class WebhookFormat(Protocol):
    """How a platform's webhook payloads read (ValueError, e.g. a PayloadError, when they don't)."""

    def event_type(self, payload: object) -> str:
        """The event's type as the platform names it (any string: new ones appear)."""
        ...

    def handles(self, event_type: str) -> bool:
        """Whether this version knows what ``event_type`` means (unknown ones are acknowledged)."""
        ...

    def object_id(self, payload: object) -> str:
        """The id of the object the event is about (part of the event's dedupe key)."""
        ...

    def change(self, event_type: str, payload: object) -> WebhookChange:
        """The event, normalized."""
        ...


@dataclass(frozen=True, slots=True)
class ProviderInfo(PlatformInfo):
    """A platform's static facts (:class:`~bot.domain.PlatformInfo`) and how its webhooks read."""

    webhooks: WebhookFormat | None = None
    """How its webhook payloads read (``POST /webhooks/{name}/{key}``); None: no webhooks."""


@dataclass(frozen=True)
class TokenCheck:
    """What a live check learned about a token.

    A scope is ``missing`` only when the platform answered 403 for it; one the check could not
    reach (a timeout, a 5xx, nothing to probe with) is ``unverified``, never missing.
    """

    account: str | None
    organizations: list[Organization]
    granted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Changes:
    """What a poll read: the reviews, and how many the platform sent that could not be read."""

    reviews: list[Review]
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class InviteRequest:
    """A validated invite, platform-neutral (contact values already normalized)."""

    organization_id: str
    campaign_id: str
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    send_after_hours: int | None
    """None: the campaign's default."""


@dataclass(frozen=True, slots=True)
class PagePosition:
    """Where a browse page starts: its number and, for merged lists, each part's offset."""

    page: int
    starts: tuple[int, ...] | None = None
    """Offsets at the top of this page (page forwards from here)."""
    history: tuple[tuple[int, ...], ...] = ()
    """Offsets at the top of the pages before, the nearest last (as many as were kept)."""


@dataclass(frozen=True, slots=True)
class BrowseQuery:
    """A ``/reviews list`` question, with platform ids resolved by the caller."""

    organization_id: str | None
    location_id: str | None
    sources: tuple[str, ...]
    rating_min: int
    rating_max: int
    matches: Callable[[Review], bool]
    """The whole filter, for platforms that answer everything and are filtered here."""
    sort: Literal["desc", "asc"] | None = None
    widget: bool | None = None
    filtered_here: bool = False
    """``matches`` narrows beyond what any platform filters (words, language, replies): a
    platform that pages itself must read its list and let the app filter and cut the pages."""


@dataclass(frozen=True, slots=True)
class BrowsePage:
    """One page of a listing and the positions of its neighbours."""

    reviews: tuple[Review, ...]
    page: int
    page_count: int
    total: int
    prev: PagePosition | None
    next: PagePosition | None
    notes: tuple[str, ...] = ()


class QueryNotSupported(Exception):
    """The platform cannot answer this listing as asked; the message says what to type."""


class Provider(Protocol):
    """What the app needs from a review platform, for one connection's credential."""

    info: ProviderInfo

    @property
    def platform(self) -> str: ...

    @property
    def display_name(self) -> str: ...

    @property
    def pacing_delay(self) -> float:
        """Seconds a request made now would wait first (our pacing or the platform's)."""
        ...

    @property
    def headroom(self) -> int: ...

    @property
    def rate_limit(self) -> int: ...

    async def aclose(self) -> None: ...

    async def check_token(self, *, probe_scopes: bool = True) -> TokenCheck:
        """Check the credential live (AuthError when refused) and what it may do."""
        ...

    async def organizations(self) -> list[Organization] | None:
        """Every organization; None when the credential may not list them."""
        ...

    async def sources(self) -> list[Source]:
        """The review sites this account can have reviews from (names for filters)."""
        ...

    async def changes(self, cursor: PollCursor) -> Changes:
        """New and changed reviews since ``cursor`` (the newest reviews for a first poll)."""
        ...

    async def recent(self, organization_id: str | None, since: datetime) -> list[Review]:
        """Every review published since ``since`` (one organization, or all of them)."""
        ...

    async def browse(self, query: BrowseQuery, position: PagePosition) -> BrowsePage:
        """One page of a listing; QueryNotSupported when the platform cannot filter so."""
        ...

    async def campaigns(self, organization_id: str, search: str | None = None) -> list[Campaign]:
        """The organization's review-request campaigns (empty when the platform lists none)."""
        ...

    async def send_invite(self, invite: InviteRequest) -> InviteResult:
        """Send one review invite."""
        ...
