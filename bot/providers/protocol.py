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

from bot.providers.base import Campaign, InviteResult, Location, Organization, Review, Source
from bot.providers.cursor import PollCursor

__all__ = [
    "BrowsePage",
    "BrowseQuery",
    "Changes",
    "InviteFormInfo",
    "InviteRequest",
    "PagePosition",
    "Provider",
    "ProviderInfo",
    "QueryNotSupported",
    "TokenCheck",
    "WebhookChange",
    "WebhookFormat",
]


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
class ProviderInfo:
    """Static facts about a platform: names, capabilities and the words the UI uses."""

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
    webhooks: WebhookFormat | None = None
    """How its webhook payloads read (``POST /webhooks/{name}/{key}``); None: no webhooks."""

    @property
    def scope_settings(self) -> str:
        """Where the platform's token permissions are edited (platforms with scopes)."""
        return self.credential_help.split(":", 1)[-1].split("(")[0].strip()

    def organizations(self, count: int) -> str:
        """``1 organization`` / ``3 businesses``."""
        singular, plural = self.organization_noun
        return f"{count} {singular if count == 1 else plural}"


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
