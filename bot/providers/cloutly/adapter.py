"""Cloutly as a :class:`~bot.providers.protocol.Provider`: what the app asks, in Cloutly's terms.

Cloutly answers every review in one list and has no webhooks, no campaign list and no
locations (a business is what the app calls an organization), so the app polls, filters and
pages here, and the invite form takes a typed campaign id.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain import (
    Campaign,
    InviteFormInfo,
    InviteResult,
    Organization,
    Review,
    Source,
    source_display_name,
    source_key,
)
from bot.providers.cloutly.client import CloutlyClient
from bot.providers.cursor import PollCursor
from bot.providers.merge import cut_page
from bot.providers.paced import ClientProvider
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

__all__ = ["BASELINE_LIMIT", "INFO", "CloutlyProvider"]

BASELINE_LIMIT = 50
"""A first poll stores this many of the newest reviews (without cards)."""

INFO = ProviderInfo(
    name="cloutly",
    display_name="Cloutly",
    credential_label="API key",
    credential_help="Cloutly: Developers → Public API (your account's API key)",
    env_variable="CLOUTLY_API_KEY",
    env_setting="cloutly_api_key",
    has_webhooks=False,
    organization_noun=("business", "businesses"),
    list_extras=("sort", "widget"),
    invite=InviteFormInfo(
        organization_label="Business",
        campaign_search=False,
        campaign_label="Cloutly campaign id",
        campaign_hint="Cloutly has no campaign list: open the campaign in Cloutly and copy the "
        "id from its address (…/campaigns/<id>).",
        campaign_placeholder="e.g. 2c07094a-ed58-4cf2-9595-cf1b1d303d9d",
        first_name_required=True,  # "firstName": "John", // required
        send_after_hours=False,
        how_it_is_sent="Cloutly adds the customer to the campaign, which sends the invite.",
        when_sent="as the Cloutly campaign is set up",
        receipt_id_label="contact id",
        duplicate_window=None,
        opt_out_note=None,
        unknown_campaign="this business or campaign",
        # The document names no duplicate window: a lost answer may have added the contact.
        outcome_unknown_on_timeout=True,
    ),
)


class CloutlyProvider(ClientProvider):
    """One Cloutly API key, as the app uses it."""

    info = INFO

    def __init__(self, client: CloutlyClient) -> None:
        super().__init__(client)
        self.client = client

    async def check_token(self, *, probe_scopes: bool = True) -> TokenCheck:
        # GET /businesses is the cheapest call; Cloutly keys carry no scopes.
        return TokenCheck(None, await self.client.list_businesses())

    async def organizations(self) -> list[Organization] | None:
        return await self.client.list_businesses()

    async def sources(self) -> list[Source]:
        # "The source can be found from the sources property when calling GET /businesses".
        names: dict[str, Source] = {}
        for business in await self.client.list_businesses():
            for source in business.sources:
                names.setdefault(
                    source_key(source), Source(id=source, name=source_display_name(source))
                )
        return sorted(names.values(), key=lambda s: s.name.casefold())

    async def _everything(self) -> Changes:
        page = await self.client.list_reviews(sort="desc")
        # The document says desc is newest first; sorted here all the same (cheap, and safe).
        reviews = sorted(page.items, key=lambda r: r.published_at, reverse=True)
        return Changes(reviews, int(page.extra.get("skipped", 0)))

    async def changes(self, cursor: PollCursor) -> Changes:
        everything = await self._everything()
        if cursor.horizon is None:
            return Changes(everything.reviews[:BASELINE_LIMIT], everything.skipped)
        changed = [review for review in everything.reviews if cursor.changed_since(review)]
        return Changes(changed, everything.skipped)

    async def recent(self, organization_id: str | None, since: datetime) -> list[Review]:
        return [
            r
            for r in (await self._everything()).reviews
            if r.published_at >= since and organization_id in (None, r.organization_id)
        ]

    async def browse(self, query: BrowseQuery, position: PagePosition) -> BrowsePage:
        if query.location_id is not None:
            raise QueryNotSupported(
                "Cloutly has no locations: each Cloutly business is an organization. "
                'Use `org:"Business name"` instead.'
            )
        single = query.sources[0] if len(query.sources) == 1 else None
        server_source = (
            single if single is not None and single.isascii() and single.isalnum() else None
        )
        answer = await self.client.list_reviews(
            source=server_source, show_on_widget=query.widget, sort=query.sort
        )
        matching = [review for review in answer.items if query.matches(review)]
        matching.sort(key=lambda review: review.published_at, reverse=query.sort != "asc")
        return cut_page(matching, position)

    async def campaigns(self, organization_id: str, search: str | None = None) -> list[Campaign]:
        return []  # Cloutly has no campaign list: the id is typed (INFO.invite)

    async def send_invite(self, invite: InviteRequest) -> InviteResult:
        return await self.client.send_invite(
            invite.organization_id,
            invite.campaign_id,
            invite.first_name or "",
            email=invite.email,
            phone=invite.phone,
            last_name=invite.last_name,
            source="slack",
        )
