"""What services return and block builders show: plain values, no Slack and no I/O.

A leaf below both ``bot/services`` (which fills these) and ``bot/blocks`` (which renders them),
so a service never imports a Block Kit builder. It imports only ``bot.domain`` and the stdlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain import InviteFormInfo, PlatformInfo, Review

__all__ = [
    "HOME_SUBSCRIPTIONS_SHOWN",
    "CampaignOption",
    "ConnectValues",
    "Connected",
    "ConnectionStatus",
    "FailedDelivery",
    "HomeCard",
    "HomeConnection",
    "HomeInvite",
    "HomeReport",
    "HomeSubscription",
    "InviteFormView",
    "InviteReceipt",
    "InviteValues",
    "ListedReview",
    "ListingPage",
    "OrgChoice",
    "RoutingCheck",
    "RoutingMatch",
    "StatusReport",
    "SubscriptionLine",
]


# /reviews connect (bot/blocks/connect_modal.py)


@dataclass(frozen=True, slots=True)
class ConnectValues:
    """What the connect form was submitted with (the token stays out of ``repr``)."""

    platform: str | None
    name: str
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Connected:
    """What a successful connect tells the admin (never the token)."""

    name: str
    info: PlatformInfo
    """The platform connected to."""
    rotated: bool
    account: str | None
    organizations: int
    webhook_url: str | None
    poll_interval_seconds: int
    missing: Sequence[tuple[str, str]] = ()
    """(scope, what will not work without it)."""
    unverified: Sequence[str] = ()
    """Scopes the check could not confirm either way."""


# /reviews subscriptions (bot/blocks/subscriptions.py)


@dataclass(frozen=True, slots=True)
class SubscriptionLine:
    """One subscription as people read it; ``description`` is mrkdwn that is already safe."""

    id: int
    description: str
    created_by: str
    created_at: datetime


# /reviews list (bot/blocks/listing.py)


@dataclass(frozen=True, slots=True)
class ListedReview:
    """A review with the cached names of its organization and location."""

    review: Review
    organization_name: str | None = None
    location_name: str | None = None


@dataclass(frozen=True, slots=True)
class ListingPage:
    """Everything one page of a listing shows; button values are ready-made state."""

    platform_label: str
    """E.g. ``Gumado (gumado)``: the platform and the connection's name."""
    description: str
    """The filter in words, already escaped mrkdwn (``Filter.describe(mrkdwn=True)``)."""
    reviews: Sequence[ListedReview]
    page: int
    page_count: int
    total: int
    prev_value: str | None = None
    next_value: str | None = None
    notes: Sequence[str] = field(default_factory=tuple)
    """Extra mrkdwn lines (other connections, a page past the end…)."""
    narrowed: bool = True
    """False when the filter covers every review (the empty message then says so)."""


# /reviews status (bot/blocks/status.py)


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    """One connection as status shows it; ``webhook_url`` only when the viewer is an admin."""

    name: str
    platform: str
    platform_label: str
    """The platform's display name (``bot.providers.registry.platform_label``)."""
    healthy: bool
    last_webhook_at: datetime | None
    last_poll_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    webhook_url: str | None = None
    has_webhook: bool = False
    subscriptions: int | None = None
    """Subscriptions covering it (its own and the workspace-wide ones)."""
    headroom: tuple[int, int] | None = None
    """(requests left, per minute) of our pacing, once the app has called the platform."""
    missing_scopes: Sequence[str] = ()
    skipped_reviews: int = 0
    """Reviews the last poll could not read (skipped; the log names their ids)."""
    webhook_hint: str | None = None
    """Where the webhook URL goes in the platform, in one line (``PlatformInfo.webhook_hint``)."""


@dataclass(frozen=True, slots=True)
class FailedDelivery:
    """A review card that could not be posted."""

    channel_id: str
    reason: str
    when: datetime
    delivery_id: int | None = None


@dataclass(frozen=True)
class StatusReport:
    """Everything ``/reviews status`` shows, as plain values."""

    channel_id: str
    connections: Sequence[ConnectionStatus]
    channel_subscriptions: int
    workspace_subscriptions: int
    failed: Sequence[FailedDelivery]
    poll_interval_seconds: int
    viewer_is_admin: bool


# The App Home tab (bot/blocks/home.py).

HOME_SUBSCRIPTIONS_SHOWN = 60
"""How many subscriptions the Home tab lists (the service loads no more)."""

# One connection as the Home tab shows it: the same figures as /reviews status.
HomeConnection = ConnectionStatus


@dataclass(frozen=True, slots=True)
class HomeSubscription:
    """One subscription of the workspace; ``description`` is mrkdwn made safe by its maker."""

    id: int
    channel_id: str
    description: str
    digest_enabled: bool
    digest_day: int
    digest_hour: int
    digest_timezone: str


@dataclass(frozen=True, slots=True)
class HomeCard:
    """A review card the app posted."""

    channel_id: str
    rating: int | None
    source: str
    author: str | None
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class HomeInvite:
    """A review invite the viewer sent."""

    created_at: datetime
    status: str
    platform_label: str | None
    """The platform's display name; None when the invite's connection is gone."""
    invite_id: str | None


@dataclass(frozen=True)
class HomeReport:
    """Everything the Home tab shows, for one viewer."""

    viewer_is_admin: bool
    connections: Sequence[HomeConnection]
    subscriptions: Sequence[HomeSubscription]
    subscriptions_total: int
    cards: Sequence[HomeCard] = ()
    invites: Sequence[HomeInvite] = ()
    poll_interval_seconds: int = 300
    notes: Sequence[str] = field(default_factory=tuple)


# Review invites (bot/blocks/invite_modal.py, bot/blocks/invite_messages.py)


@dataclass(frozen=True, slots=True)
class OrgChoice:
    """An organization (a Cloutly business) someone can invite to, with its connection."""

    connection_id: int
    connection_label: str
    platform: str
    platform_id: str
    name: str
    form: InviteFormInfo
    """How the platform of this organization takes invites (campaign list or typed id …)."""

    @property
    def value(self) -> str:
        """The option value: ``<connection id>:<platform id>``."""
        return f"{self.connection_id}:{self.platform_id}"


@dataclass(frozen=True, slots=True)
class InviteValues:
    """What the form holds (typed or chosen), as Slack reports it in ``view.state``."""

    organization: str | None = None
    campaign_id: str | None = None
    campaign_label: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    send_after_hours: str | None = None


@dataclass(frozen=True, slots=True)
class InviteFormView:
    """Everything the modal shows."""

    organizations: Sequence[OrgChoice]
    selected: OrgChoice | None
    private_metadata: str
    values: InviteValues = field(default_factory=InviteValues)
    note: str | None = None
    """A context line under the intro (mrkdwn, escaped): what was found, what is loading."""
    problem: str | None = None
    """A warning above the fields (mrkdwn, escaped): why the last try did not go through."""
    region: str = "US"


@dataclass(frozen=True, slots=True)
class CampaignOption:
    """One line of the campaign typeahead: a campaign (its id is the value) or a note."""

    value: str
    label: str


@dataclass(frozen=True, slots=True)
class InviteReceipt:
    """An accepted invite, in words people may see."""

    form: InviteFormInfo
    """The platform's invite facts (what its id is, its duplicate and opt-out rules)."""
    platform_label: str
    """E.g. ``Gumado``."""
    organization_name: str | None
    campaign_label: str
    contact: str
    """Already masked, e.g. ``s•••@e•••.com · +1 •••••••23``."""
    customer_name: str | None
    invite_id: str | None
    send_after_hours: int | None
    accepted_at: datetime
    earlier_by: str | None = None
    """Slack user id of whoever invited the same contact to this campaign recently."""
    earlier_at: datetime | None = None
    sms_left: int | None = None


# /reviews test (bot/blocks/test_card.py)


@dataclass(frozen=True, slots=True)
class RoutingMatch:
    """One of the channel's subscriptions the sample would match."""

    subscription_id: int
    description: str
    """mrkdwn, names escaped, mentions as plain names."""
    pings: Sequence[str] = ()
    """Plain names (``@frontdesk``) it would mention; never Slack mention tokens."""
    rolled_up: bool = False
    """The rating goes into the subscription's roll-up rather than a card of its own."""
    compact: bool = False
    """The subscription asks for ``style:compact`` cards."""
    language: str | None = None
    """The subscriber's language (a card names the review's language when it differs)."""


@dataclass(frozen=True, slots=True)
class RoutingCheck:
    """What ``/reviews test`` shows: a sample review and how the channel would route it."""

    review: Review
    organization_name: str | None
    location_name: str | None
    real: bool
    """A stored review of the channel's organizations (else a made-up sample)."""
    subscriptions: int
    """How many subscriptions the channel has."""
    matches: Sequence[RoutingMatch] = ()
