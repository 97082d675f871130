"""The invite modal's round trip before the submission: open at once, fill, redraw, typeahead.

``views.open`` goes first, with the cached organizations, because the trigger id dies 3 s
after the click; the platform is asked afterwards (Gumado's campaigns, Cloutly's businesses)
and ``views.update`` (with the view's hash, so a person's newer change wins) shows the result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from bot.deps import Deps
from bot.domain import Campaign
from bot.errors import ConfigError, ProviderError, ScopeError, SlackRefused
from bot.log import get_logger
from bot.providers.patience import patiently
from bot.providers.protocol import Provider
from bot.providers.registry import PLATFORMS, platform_info
from bot.results import CampaignOption, InviteFormView, InviteValues, OrgChoice
from bot.services.actor import Actor
from bot.services.contacts import region_from_locale
from bot.services.invite_access import InviteAccess, refusal
from bot.services.invite_context import InviteContext, Origin
from bot.text import escape_mrkdwn
from storage.models import Connection
from storage.repositories import list_connections, organization_names, upsert_organizations

__all__ = [
    "NO_ORGANIZATIONS",
    "CampaignCache",
    "InviteOpening",
    "campaign_options",
    "change_organization",
    "fill_invite_form",
    "form_with_problem",
    "load_org_choices",
    "start_invite_form",
]

log = get_logger(__name__)

CAMPAIGNS_TTL_SECONDS = 120.0
OPTIONS_BUDGET_SECONDS = 2.0
"""The typeahead's answer is the ack itself (3 s): the platform gets this long."""
FILL_DEADLINE_SECONDS = 20.0
MANY_CAMPAIGNS = 50
"""A provider answers at most this many campaigns at once (the typeahead searches the rest)."""
WHAT = "browse reviews and send review invites"


Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]


class CampaignCache:
    """An organization's campaigns per search text for two minutes (the typeahead asks often).

    One fetch per (organization, search) at a time; it runs as tracked background work, so a
    typeahead that stops waiting (Slack gives it 3 s) still leaves the answer here for the
    next keystroke. The platform searches (Gumado's ``search`` parameter): nothing loads every
    campaign.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[tuple[int, str, str], tuple[float, list[Campaign]]] = {}
        self._pending: dict[tuple[int, str, str], asyncio.Task[Any]] = {}

    def fresh(
        self, connection_id: int, organization_id: str, search: str = ""
    ) -> list[Campaign] | None:
        """The cached campaigns, or None when unknown or stale."""
        entry = self._entries.get((connection_id, organization_id, search))
        return entry[1] if entry is not None and entry[0] > self._clock() else None

    async def _fetch(
        self, provider: Provider, key: tuple[int, str, str]
    ) -> list[Campaign] | ProviderError:
        try:
            call = provider.campaigns(key[1], key[2] or None)
            found = await patiently(provider, call, patience=3.0, deadline=FILL_DEADLINE_SECONDS)
        except ProviderError as exc:
            return exc  # handed to whoever waits; not a background failure worth a log line
        finally:
            self._pending.pop(key, None)
        self._entries[key] = (self._clock() + CAMPAIGNS_TTL_SECONDS, found)
        return found

    async def campaigns(
        self,
        provider: Provider,
        connection_id: int,
        organization_id: str,
        *,
        search: str = "",
        spawn: Spawn,
    ) -> list[Campaign]:
        """The organization's campaigns whose name holds ``search``, cached."""
        key = (connection_id, organization_id, search.strip().casefold())
        cached = self.fresh(*key)
        if cached is not None:
            return cached
        task = self._pending.get(key)
        if task is None:
            task = spawn(self._fetch(provider, key))
            self._pending[key] = task
        result = await asyncio.shield(task)
        if isinstance(result, ProviderError):
            raise result
        return cast(list[Campaign], result)


@dataclass(frozen=True, slots=True)
class _Fill:
    note: str | None = None
    problem: str | None = None
    values: InviteValues = field(default_factory=InviteValues)


async def load_org_choices(deps: Deps, team_id: str) -> list[OrgChoice]:
    """Every cached organization of the team's connections (oldest connection first)."""
    async with deps.sessions() as session:
        connections = sorted(await list_connections(session, team_id), key=lambda c: c.id)
        choices: list[OrgChoice] = []
        for connection in connections:
            names = await organization_names(session, connection_id=connection.id)
            if connection.platform not in PLATFORMS:
                continue
            info = platform_info(connection.platform)
            label = f"{info.display_name} ({connection.name})"
            choices.extend(
                OrgChoice(connection.id, label, connection.platform, pid, name, info.invite)
                for pid, name in sorted(names.items(), key=lambda item: item[1].casefold())
            )
    return choices


def _pick(
    choices: Sequence[OrgChoice], platform: str | None, organization_id: str | None
) -> OrgChoice | None:
    for choice in choices:
        if (
            choice.platform == (platform or choice.platform)
            and choice.platform_id == organization_id
        ):
            return choice
    return choices[0] if choices else None


async def _user_region(actor: Actor, default: str) -> str:
    try:
        response = await actor.client.users_info(user=actor.user_id, include_locale=True)
    except SlackRefused:
        return default
    return region_from_locale((response.get("user") or {}).get("locale")) or default


async def _connection(deps: Deps, connection_id: int) -> Connection | None:
    async with deps.sessions() as session:
        return await session.get(Connection, connection_id)


async def _fill(deps: Deps, cache: CampaignCache, selected: OrgChoice) -> _Fill:
    """What the platform says about the chosen organization, as a note for the form."""
    connection = await _connection(deps, selected.connection_id)
    if connection is None:
        return _Fill(problem="That connection is gone; choose another organization.")
    info = platform_info(connection.platform)
    name = info.display_name
    try:
        provider = deps.providers.provider_for(connection)
        if info.invite.campaign_search:
            campaigns = await cache.campaigns(
                provider, connection.id, selected.platform_id, spawn=deps.spawn
            )
            if not campaigns:
                return _Fill(
                    problem=f"{name} has no review-request campaign for "
                    f"{escape_mrkdwn(selected.name)}; create one in {name} first."
                )
            if len(campaigns) == 1:
                only = campaigns[0]
                values = InviteValues(campaign_id=only.id, campaign_label=only.name)
                return _Fill(
                    note="This organization has one campaign; it is chosen.", values=values
                )
            count = f"{len(campaigns)}" if len(campaigns) < MANY_CAMPAIGNS else "Many"
            return _Fill(note=f"{count} campaigns: type in the campaign field to search.")
        call = provider.organizations()
        found = await patiently(provider, call, patience=3.0, deadline=FILL_DEADLINE_SECONDS)
        businesses = found or []
        async with deps.sessions() as session, session.begin():
            await upsert_organizations(
                session, connection_id=connection.id, organizations=businesses, now=deps.clock()
            )
        return _Fill(note=f"{info.organizations(len(businesses))} in {name}.")
    except ScopeError:
        return _Fill(
            problem=f"This {name} token can't read campaigns: "
            + (info.invite.scope_help or "it lacks the permission to.")
        )
    except ProviderError as exc:
        return _Fill(note=f"{name} didn't answer ({escape_mrkdwn(exc.message)}); the form works.")
    except ConfigError as exc:
        return _Fill(problem=escape_mrkdwn(str(exc)))


NO_ORGANIZATIONS = (
    "No organization of a connected review account is known yet, so there is nothing "
    "to invite to. An admin connects an account first (see `/reviews status`)."
)


@dataclass(frozen=True)
class InviteOpening:
    """What the modal opens with at once: the cached organizations, the chosen one, the context."""

    choices: list[OrgChoice]
    selected: OrgChoice | None
    """None: nothing to invite to (:data:`NO_ORGANIZATIONS`)."""
    context: InviteContext

    def loading(self) -> InviteFormView:
        """The form while the platform is asked (only with ``selected``)."""
        assert self.selected is not None
        checking = f"Checking {platform_info(self.selected.platform).display_name}…"
        return InviteFormView(
            self.choices,
            self.selected,
            self.context.dump(),
            note=checking,
            region=self.context.region,
        )


async def start_invite_form(
    deps: Deps,
    actor: Actor,
    origin: Origin,
    prefill: tuple[str | None, str | None] = (None, None),
) -> InviteOpening:
    """The cached organizations (the prefilled one chosen) for opening the modal at once."""
    region = deps.settings.default_phone_region
    choices = await load_org_choices(deps, actor.team_id)
    selected = _pick(choices, *prefill)
    platform = selected.platform if selected else ""
    return InviteOpening(
        choices, selected, InviteContext(actor.channel_id, origin, region, platform)
    )


async def fill_invite_form(
    deps: Deps, access: InviteAccess, cache: CampaignCache, actor: Actor, opening: InviteOpening
) -> InviteFormView | str:
    """The form filled from the platform, or the refusal for someone not allowed to invite."""
    assert opening.selected is not None
    if not await access.allows(deps.settings, actor):
        return refusal(deps.settings, WHAT)
    region, filled = await asyncio.gather(
        _user_region(actor, opening.context.region), _fill(deps, cache, opening.selected)
    )
    context = replace(opening.context, region=region)
    return InviteFormView(
        opening.choices,
        opening.selected,
        context.dump(),
        values=filled.values,
        note=filled.note,
        problem=filled.problem,
        region=region,
    )


async def change_organization(
    deps: Deps,
    cache: CampaignCache,
    *,
    team_id: str,
    private_metadata: str | None,
    values: InviteValues,
) -> InviteFormView | None:
    """The form redrawn for the organization just chosen (its platform's campaign field)."""
    context = InviteContext.load(
        private_metadata, default_region=deps.settings.default_phone_region
    )
    choices = await load_org_choices(deps, team_id)
    selected = next((c for c in choices if c.value == values.organization), None)
    if selected is None:
        return None
    filled = await _fill(deps, cache, selected)
    kept = replace(
        values, campaign_id=filled.values.campaign_id, campaign_label=filled.values.campaign_label
    )
    context = replace(context, platform=selected.platform)
    return InviteFormView(
        choices,
        selected,
        context.dump(),
        values=kept,
        note=filled.note,
        problem=filled.problem,
        region=context.region,
    )


async def form_with_problem(
    deps: Deps,
    *,
    team_id: str,
    context: InviteContext,
    values: InviteValues,
    problem: str,
) -> InviteFormView | None:
    """The form again, as submitted, with ``problem`` above the fields (None: no organization)."""
    choices = await load_org_choices(deps, team_id)
    selected = next((c for c in choices if c.value == values.organization), None)
    selected = selected or (choices[0] if choices else None)
    if selected is None:
        return None
    context = replace(context, platform=selected.platform)
    return InviteFormView(
        choices, selected, context.dump(), values=values, problem=problem, region=context.region
    )


def _info(text: str) -> CampaignOption:
    # Not a campaign: a Gumado campaign id is a UUID, which this value can never be.
    return CampaignOption("none", text)


async def campaign_options(
    deps: Deps, cache: CampaignCache, *, team_id: str, organization: str | None, query: str
) -> list[CampaignOption]:
    """The typeahead's lines: the organization's campaigns whose name holds ``query``."""
    connection_id, _, organization_id = (organization or "").partition(":")
    if not connection_id.isdecimal() or not organization_id:
        return [_info("Choose the organization first")]
    connection = await _connection(deps, int(connection_id))
    if connection is None or connection.team_id != team_id:
        return [_info("Choose the organization again")]
    info = platform_info(connection.platform) if connection.platform in PLATFORMS else None
    if info is None or not info.invite.campaign_search:
        return [_info("This platform's campaigns are typed as ids")]
    try:
        provider = deps.providers.provider_for(connection)
    except ConfigError:
        return [_info("This connection's token cannot be read")]
    name = info.display_name
    try:
        campaigns = await asyncio.wait_for(
            cache.campaigns(
                provider, connection.id, organization_id, search=query, spawn=deps.spawn
            ),
            OPTIONS_BUDGET_SECONDS,
        )
    except TimeoutError:
        return [_info(f"{name} is slow to answer; type again")]
    except ScopeError:
        return [_info(f"The {name} token lacks permission to list campaigns")]
    except ProviderError:
        return [_info(f"{name} didn't answer; type again")]
    # The platform searched by name (its own rules); what it found is shown as it is.
    if not campaigns:
        return [_info(f"No campaign matches “{query.strip()[:40]}”")]
    return [CampaignOption(c.id, c.name) for c in campaigns[:100]]
