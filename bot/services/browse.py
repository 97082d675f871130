"""``/reviews list``: which connection, which filters, which page; the answer as a ListingPage.

Which connection, when ``connection:`` is not given: the one whose cached organizations hold
the ``org:`` named, else the workspace's first connection (the oldest); the page then names
the others (``connection:cloutly``) so a person can switch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.deps import Deps
from bot.domain import Review
from bot.errors import (
    ConfigError,
    ProviderError,
    RateLimited,
    Unavailable,
    UserError,
)
from bot.filters import LIST_KEYS, Filter, parse
from bot.language import detect_language
from bot.providers.patience import patiently
from bot.providers.protocol import BrowsePage, BrowseQuery, PagePosition, QueryNotSupported
from bot.providers.registry import platform_label
from bot.results import ListedReview, ListingPage
from bot.services.browse_state import ListExtras, ListingState, split_extras
from bot.text import escape_mrkdwn
from storage.models import Connection
from storage.repositories import list_connections, location_names, organization_names

__all__ = ["list_from_button", "list_from_text"]

SHOWN_NAMES = 8
PATIENCE_SECONDS = 5.0
"""A person waits this long on a platform's Retry-After; longer and they are told when to retry."""
DEADLINE_SECONDS = 25.0


@dataclass(frozen=True, slots=True)
class _Catalog:
    connection: Connection
    others: list[Connection]
    organizations: dict[str, str]
    locations: dict[str, str]


def _parse(text: str) -> tuple[Filter, ListExtras]:
    rest, extras, problem = split_extras(text)
    if problem:
        raise UserError(f"I didn't understand that: {problem}.")
    return parse(rest, allow=LIST_KEYS, allow_empty=True), extras


def _same(wanted: str, platform_id: str, name: str) -> bool:
    return wanted == platform_id or wanted.strip().casefold() == name.strip().casefold()


def _names(values: list[str]) -> str:
    shown = ", ".join(f"`{escape_mrkdwn(v)}`" for v in values[:SHOWN_NAMES])
    return shown + (f" and {len(values) - SHOWN_NAMES} more" if len(values) > SHOWN_NAMES else "")


async def _catalog(deps: Deps, team_id: str, wanted: Filter, connection_id: int | None) -> _Catalog:
    async with deps.sessions() as session:
        connections = sorted(await list_connections(session, team_id), key=lambda c: c.id)
        if not connections:
            raise UserError(
                "No review account is connected to this workspace yet, so there is "
                "nothing to list. An admin connects one (see `/reviews status`)."
            )
        orgs = {c.id: await organization_names(session, connection_id=c.id) for c in connections}
        chosen = _choose(connections, orgs, wanted, connection_id)
        locations = await location_names(session, connection_id=chosen.id)
    others = [c for c in connections if c.id != chosen.id]
    return _Catalog(chosen, others, orgs[chosen.id], locations)


def _choose(
    connections: list[Connection],
    orgs: dict[int, dict[str, str]],
    wanted: Filter,
    connection_id: int | None,
) -> Connection:
    if connection_id is not None:
        for connection in connections:
            if connection.id == connection_id:
                return connection
        raise UserError(
            "That list belongs to a connection that no longer exists. Run `/reviews list` again."
        )
    if wanted.connection is not None:
        name = wanted.connection.strip().casefold()
        by_name = [c for c in connections if c.name.casefold() == name]
        by_platform = [c for c in connections if c.platform == name]
        if by_name or len(by_platform) == 1:
            return (by_name or by_platform)[0]
        raise UserError(
            f"There is no connection called `{escape_mrkdwn(wanted.connection)}`. "
            f"Connections: {_names([c.name for c in connections])}."
        )
    if wanted.organization is not None:
        org = wanted.organization
        for connection in connections:
            if any(_same(org, pid, name) for pid, name in orgs[connection.id].items()):
                return connection
    return connections[0]


def _organization_id(wanted: str, catalog: _Catalog) -> str:
    for platform_id, name in catalog.organizations.items():
        if _same(wanted, platform_id, name):
            return platform_id
    if wanted.isdecimal():
        return wanted
    known = sorted(catalog.organizations.values(), key=str.casefold)
    listed = f" Organizations: {_names(known)}." if known else ""
    raise UserError(
        f"I don't know an organization called `{escape_mrkdwn(wanted)}` on connection "
        f"`{escape_mrkdwn(catalog.connection.name)}`.{listed}"
    )


def _location_id(wanted: str, catalog: _Catalog) -> str:
    for platform_id, name in catalog.locations.items():
        if _same(wanted, platform_id, name):
            return platform_id
    if wanted.isdecimal():
        return wanted
    raise UserError(
        f"I don't know a location called `{escape_mrkdwn(wanted)}` yet (locations are named "
        "by the platform's webhooks). Use the location's id, e.g. `location:3`."
    )


def _problem(exc: ProviderError, connection: Connection) -> UserError:
    name = platform_label(connection.platform)
    if isinstance(exc, RateLimited):
        return UserError(f"⏳ {escape_mrkdwn(exc.message)}.")
    if isinstance(exc, Unavailable):
        return UserError(
            f"⚠️ {escape_mrkdwn(exc.message)}. {name} may be having trouble; try again in a minute."
        )
    return UserError(f"⚠️ {name} said no: {escape_mrkdwn(exc.message)}")


def _query(wanted: Filter, extras: ListExtras, catalog: _Catalog) -> BrowseQuery:
    organization_id = (
        _organization_id(wanted.organization, catalog) if wanted.organization is not None else None
    )
    location_id = _location_id(wanted.location, catalog) if wanted.location is not None else None

    def matches(review: Review) -> bool:
        name = catalog.organizations.get(review.organization_id or "")
        if wanted.languages:
            review = replace(review, language=detect_language(review.title, review.text))
        return wanted.matches(review, organization_name=name)

    return BrowseQuery(
        organization_id=organization_id,
        location_id=location_id,
        sources=tuple(sorted(wanted.sources)),
        rating_min=wanted.rating_min,
        rating_max=wanted.rating_max,
        matches=matches,
        sort="asc" if extras.sort == "asc" else "desc" if extras.sort == "desc" else None,
        widget=extras.widget,
        filtered_here=bool(wanted.text or wanted.languages or wanted.replied is not None),
    )


def _state(page: PagePosition | None, state: ListingState) -> ListingState | None:
    if page is None:
        return None
    return ListingState(
        state.connection_id, state.filter_text, page.page, page.starts, page.history
    )


async def _fetch(
    deps: Deps, catalog: _Catalog, wanted: Filter, extras: ListExtras, state: ListingState
) -> BrowsePage:
    connection = catalog.connection
    try:
        provider = deps.providers.provider_for(connection)
    except ConfigError as exc:
        raise UserError(f"⚠️ {escape_mrkdwn(str(exc))}") from None
    query = _query(wanted, extras, catalog)
    position = PagePosition(state.page, state.starts, state.history)
    try:
        return await patiently(
            provider,
            provider.browse(query, position),
            patience=PATIENCE_SECONDS,
            deadline=DEADLINE_SECONDS,
        )
    except QueryNotSupported as exc:
        raise UserError(str(exc)) from None
    except ProviderError as exc:
        raise _problem(exc, connection) from None


def _describe(wanted: Filter, extras: ListExtras, catalog: _Catalog) -> str:
    # Names as the platform spells them, not as typed ("ACME" → "Acme Dental").
    org = wanted.organization
    if org is not None:
        org = next((n for p, n in catalog.organizations.items() if _same(org, p, n)), org)
    location = wanted.location
    if location is not None:
        location = next(
            (n for p, n in catalog.locations.items() if _same(location, p, n)), location
        )
    text = replace(wanted, organization=org, location=location).describe(mrkdwn=True)
    if extras.sort == "asc":
        text += ", oldest first"
    if extras.widget is not None:
        text += ", shown on the widget" if extras.widget else ", not shown on the widget"
    return text


async def _listing(
    deps: Deps, team_id: str, text: str, page: int | None, previous: ListingState | None
) -> ListingPage:
    wanted, extras = _parse(text)
    catalog = await _catalog(deps, team_id, wanted, previous.connection_id if previous else None)
    plain_filter = replace(wanted, connection=None, page=None)
    filter_text = " ".join(w for w in (plain_filter.canonical_text(), extras.text()) if w)
    state = previous or ListingState(catalog.connection.id, filter_text, page or 1)
    fetched = await _fetch(deps, catalog, plain_filter, extras, state)
    notes = list(fetched.notes)
    if catalog.others:
        switch = ", ".join(f"`connection:{escape_mrkdwn(c.name)}`" for c in catalog.others[:5])
        notes.append(f"Also connected: {switch}")
    connection = catalog.connection
    return ListingPage(
        platform_label=f"{platform_label(connection.platform)} ({connection.name})",
        description=_describe(plain_filter, extras, catalog),
        reviews=[
            ListedReview(
                review,
                catalog.organizations.get(review.organization_id or ""),
                catalog.locations.get(review.location_id or ""),
            )
            for review in fetched.reviews
        ],
        page=fetched.page,
        page_count=fetched.page_count,
        total=fetched.total,
        prev_value=_encode(_state(fetched.prev, state)),
        next_value=_encode(_state(fetched.next, state)),
        notes=notes,
        narrowed=not plain_filter.is_all or extras.widget is not None,
    )


def _encode(state: ListingState | None) -> str | None:
    return state.encode() if state is not None else None


async def list_from_text(deps: Deps, *, team_id: str, text: str) -> ListingPage:
    """The page ``/reviews list <text>`` asks for (UserError with a sentence when it can't)."""
    wanted, _ = _parse(text)
    return await _listing(deps, team_id, text, wanted.page, None)


async def list_from_button(deps: Deps, *, team_id: str, value: str) -> ListingPage:
    """The page a *‹ Prev* / *Next ›* button names."""
    state = ListingState.decode(value)
    if state is None:
        raise UserError(
            "That button is from an older version of this list. Run `/reviews list` again."
        )
    return await _listing(deps, team_id, state.filter_text, state.page, state)
