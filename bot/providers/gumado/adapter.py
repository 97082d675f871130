"""Gumado as a :class:`~bot.providers.protocol.Provider`: what the app asks, in Gumado's terms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

from bot.domain import Campaign, InviteFormInfo, InviteResult, Organization, Page, Review, Source
from bot.errors import Invalid, ProviderError, ScopeError
from bot.log import get_logger
from bot.providers.cursor import PollCursor
from bot.providers.gumado.client import UNSET, GumadoClient
from bot.providers.gumado.parse import WEBHOOK_EVENTS
from bot.providers.gumado.webhooks import GumadoWebhooks
from bot.providers.merge import RatingStream, filtered_page, merged_page, single_page
from bot.providers.paced import ClientProvider
from bot.providers.patience import patiently
from bot.providers.protocol import (
    BrowsePage,
    BrowseQuery,
    Changes,
    InviteRequest,
    PagePosition,
    ProviderInfo,
    QueryNotSupported,
    TokenCheck,
)
from bot.providers.walk import read_since

__all__ = ["INFO", "GumadoProvider"]

log = get_logger(__name__)

SCOPES: dict[str, str] = {
    "reviews:read": "polling, `/reviews list` and the catch-up before digests will not work "
    "(webhook cards still arrive).",
    "organizations:read": "organization names will not load, so cards, forms and filters "
    "know organizations only by id until a webhook names them.",
    "request:read": "the invite form cannot list campaigns, so review invites will not work.",
    "request:create": "review invites (`/reviews invite`, *Request a review…*) will not work.",
}
"""The scopes the app needs (document, "Token Permissions") and what each enables."""


INFO = ProviderInfo(
    name="gumado",
    display_name="Gumado",
    credential_label="API token",
    credential_help="Gumado: Settings → API & Webhooks (give it reviews:read, "
    "organizations:read, request:read and request:create)",
    env_variable="GUMADO_API_TOKEN",
    env_setting="gumado_api_token",
    webhook_key_setting="gumado_webhook_key",
    has_webhooks=True,
    organization_noun=("organization", "organizations"),
    scopes=SCOPES,
    has_locations=True,
    webhook_steps=(
        "Open *Settings → API & Webhooks* and add a webhook.",
        "Paste the URL above as its endpoint URL.",
        "Tick the events {events}.",
        "Save. New and edited reviews then arrive at once.",
    ),
    webhook_events=WEBHOOK_EVENTS,
    webhooks=GumadoWebhooks(),
    webhook_hint="Settings → API & Webhooks; tick review-created, review-updated, "
    "organization-* and location-*",
    invite=InviteFormInfo(
        organization_label="Organization",
        campaign_search=True,
        campaign_label="Gumado campaign",
        campaign_hint="The review-request campaigns of the organization above.",
        campaign_placeholder=None,
        first_name_required=False,
        send_after_hours=True,
        how_it_is_sent="Gumado sends the invite by email, SMS or WhatsApp, as the campaign is "
        "set up.",
        when_sent=None,
        receipt_id_label="invite id",
        # The document: "within the campaign's duplicate protection window (default: 14 days)".
        duplicate_window="Gumado skips a repeat within the campaign's duplicate window (by "
        "default 14 days), so this one may not be sent again.",
        opt_out_note="If this contact has unsubscribed from your invites, Gumado accepts the "
        "request but sends nothing: their opt-out always wins.",
        unknown_campaign="this campaign",
        # A repeat within the duplicate window is "silently accepted" (Send Review Invite).
        outcome_unknown_on_timeout=False,
        scope_help="it needs the *request:create* permission (and request:read for the "
        "campaign list). An admin can add them under Settings → API & Webhooks in Gumado.",
    ),
)

MAX_POLL_PAGES = 10
MAX_RECENT_PAGES = 30
MAX_SEARCH_PAGES = 10
"""Pages a listing filtered here (words, language, replies) reads at most: a sixth of a
minute's requests (60), so a search never starves the poller."""
MAX_CAMPAIGN_PAGES = 5
"""A typeahead shows at most 50 campaigns: typing more narrows the document's ``search``."""
# A person waits on each scope probe: give up on a platform asking us to wait longer.
PROBE_PATIENCE = 5.0
PROBE_DEADLINE = 20.0


class GumadoProvider(ClientProvider):
    """One Gumado token, as the app uses it."""

    info = INFO

    def __init__(self, client: GumadoClient) -> None:
        super().__init__(client)
        self.client = client

    # ------------------------------------------------------------ token and names

    async def _probe(self, call: Callable[[], Coroutine[Any, Any, Any]]) -> str:
        """``granted``, ``missing`` (the platform answered 403) or ``unknown``."""
        try:
            await patiently(self, call(), patience=PROBE_PATIENCE, deadline=PROBE_DEADLINE)
        except ScopeError:
            return "missing"
        except ProviderError as exc:
            log.info("gumado_scope_not_checked", error_type=type(exc).__name__)
            return "unknown"
        return "granted"

    async def _probe_invite(self, campaign_id: str) -> str:
        """request:create without sending anything: an invite with no contact at all.

        Gumado checks permissions first (403) and then the body, which needs an email or a
        phone (422, "The email field is required when phone is not present."), so no invite
        is created.
        """
        try:
            await patiently(
                self,
                self.client.send_invite(campaign_id),
                patience=PROBE_PATIENCE,
                deadline=PROBE_DEADLINE,
            )
        except ScopeError:
            return "missing"
        except Invalid:
            return "granted"
        except ProviderError as exc:
            log.info("gumado_scope_not_checked", error_type=type(exc).__name__)
            return "unknown"
        log.warning("gumado_invite_accepted_without_contact")
        return "granted"

    async def check_token(self, *, probe_scopes: bool = True) -> TokenCheck:
        me = await patiently(
            self, self.client.me(), patience=PROBE_PATIENCE, deadline=PROBE_DEADLINE
        )
        if not probe_scopes:
            try:
                organizations = await self.client.list_organizations()
            except ProviderError as exc:
                # /me passed: the token works, it may just lack organizations:read.
                log.warning("gumado_organizations_unavailable", error_type=type(exc).__name__)
                organizations = []
            return TokenCheck(me.name or None, organizations)
        results: dict[str, str] = {}
        results["reviews:read"] = await self._probe(lambda: self.client.list_reviews(page=1))
        organizations = []
        campaigns: list[Campaign] = []

        async def list_organizations() -> None:
            organizations.extend(await self.client.list_organizations())

        async def list_campaigns() -> None:
            campaigns.extend(await self.client.list_campaigns(max_pages=1))

        results["organizations:read"] = await self._probe(list_organizations)
        results["request:read"] = await self._probe(list_campaigns)
        if campaigns:
            results["request:create"] = await self._probe_invite(campaigns[0].id)
        else:
            results["request:create"] = "unknown"  # nothing to probe with: not known missing
        granted = [s for s in SCOPES if results[s] == "granted"]
        missing = [s for s in SCOPES if results[s] == "missing"]
        unverified = [s for s in SCOPES if results[s] == "unknown"]
        if "request:read" in missing and "request:create" in unverified:
            unverified.remove("request:create")  # invites are already known not to work
        return TokenCheck(me.name or None, organizations, granted, missing, unverified)

    async def organizations(self) -> list[Organization] | None:
        try:
            return await self.client.list_organizations()
        except ScopeError:
            return None  # a token without organizations:read: names come from webhooks only

    async def sources(self) -> list[Source]:
        return await self.client.list_sources()

    # ------------------------------------------------------------ reviews

    def _fetcher(
        self,
        *,
        rating: int | None = None,
        organization_id: str | None = None,
        location_id: str | None = None,
        sources: tuple[str, ...] = (),
    ) -> Callable[[int], Awaitable[Page[Review]]]:
        async def fetch(number: int) -> Page[Review]:
            return await self.client.list_reviews(
                rating=rating,
                organization_id=organization_id,
                location_id=location_id,
                source_names=list(sources) or None,
                page=number,
            )

        return fetch

    async def changes(self, cursor: PollCursor) -> Changes:
        # The list API has no "changed since": edits show up while the review is in the
        # cursor's late window (webhooks carry the rest).
        return await read_since(self._fetcher(), cursor.scan_from(), max_pages=MAX_POLL_PAGES)

    async def recent(self, organization_id: str | None, since: datetime) -> list[Review]:
        found = await read_since(
            self._fetcher(organization_id=organization_id), since, max_pages=MAX_RECENT_PAGES
        )
        return [r for r in found.reviews if r.published_at >= since]

    async def browse(self, query: BrowseQuery, position: PagePosition) -> BrowsePage:
        if query.sort is not None or query.widget is not None:
            raise QueryNotSupported(
                "`sort:` and `widget:` are Cloutly's filters; Gumado lists in its own order."
            )

        def fetcher(rating: int | None) -> Callable[[int], Awaitable[Page[Review]]]:
            return self._fetcher(
                rating=rating,
                organization_id=query.organization_id,
                location_id=query.location_id,
                sources=query.sources,
            )

        low, high = query.rating_min, query.rating_max
        if query.filtered_here:
            rating = low if low == high else None  # a range is left to ``matches``
            return await filtered_page(
                fetcher(rating), query.matches, position, max_pages=MAX_SEARCH_PAGES
            )
        if low == high or (low, high) == (1, 5):
            return await single_page(fetcher(low if low == high else None), position)
        # GET /reviews filters one exact rating: a range is merged from one list per rating.
        streams = [RatingStream(fetcher(rating)) for rating in range(low, high + 1)]
        return await merged_page(streams, position)

    # ------------------------------------------------------------ invites

    async def campaigns(self, organization_id: str, search: str | None = None) -> list[Campaign]:
        return await self.client.list_campaigns(
            organization_id=organization_id,
            search=search or None,
            max_pages=MAX_CAMPAIGN_PAGES,
        )

    async def send_invite(self, invite: InviteRequest) -> InviteResult:
        return await self.client.send_invite(
            invite.campaign_id,
            email=invite.email,
            phone=invite.phone,
            first_name=invite.first_name,
            last_name=invite.last_name,
            send_after_hours=UNSET if invite.send_after_hours is None else invite.send_after_hours,
        )
