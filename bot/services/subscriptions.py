"""Subscriptions (PRODUCT.md C3): parse, resolve, check the channel, store, list and remove."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.deps import Deps
from bot.domain import source_key
from bot.errors import ConfigError, ProviderError, SlackRefused, UserError
from bot.filters import SUBSCRIBE_KEYS, Filter, FilterSyntaxError, Mention, parse
from bot.log import get_logger
from bot.results import SubscriptionLine
from bot.services.actor import Actor
from bot.services.channels import ensure_channel
from bot.services.permissions import is_config_admin, refusal_text
from bot.text import escape_mrkdwn
from storage.models import Connection, Subscription
from storage.repositories import list_connections
from storage.repositories.subscriptions import (
    CatalogEntry,
    channel_subscriptions,
    delete_channel_subscriptions,
    delete_subscription,
    find_same_subscription,
    insert_subscription,
    team_locations,
    team_organizations,
)

__all__ = [
    "Catalog",
    "CatalogEntry",
    "Subscribed",
    "describe_subscription",
    "known_source_names",
    "list_channel_subscriptions",
    "load_catalog",
    "parse_subscribe_text",
    "require_admin",
    "subscribe",
    "unsubscribe",
]

log = get_logger(__name__)

SOURCES_WAIT = 3.0

CHANGE_WHAT = "change this channel's subscriptions"


@dataclass(frozen=True)
class Catalog:
    """The team's connections and cached organization and location names."""

    connections: tuple[Connection, ...]
    organizations: tuple[CatalogEntry, ...]
    locations: tuple[CatalogEntry, ...]


@dataclass(frozen=True)
class Subscribed:
    """What subscribing did: the row, its description, and notes for the admin."""

    subscription_id: int
    description: str
    """mrkdwn, names already escaped."""
    created: bool
    """False when the channel already had exactly this subscription."""
    notes: list[str] = field(default_factory=list)
    stored: Filter = field(default_factory=Filter)
    """The filter as stored (names resolved, no backfill)."""
    connection_id: int | None = None


async def load_catalog(deps: Deps, team_id: str) -> Catalog:
    """The team's connections, organizations and locations (one short read)."""
    async with deps.sessions() as session:
        connections = await list_connections(session, team_id)
        organizations = await team_organizations(session, team_id=team_id)
        locations = await team_locations(session, team_id=team_id)
    return Catalog(tuple(connections), tuple(organizations), tuple(locations))


async def require_admin(deps: Deps, actor: Actor, *, what: str = CHANGE_WHAT) -> None:
    """UserError with who may ``what``, unless the actor may change subscriptions."""
    try:
        allowed = await is_config_admin(deps.settings, actor)
    except SlackRefused as exc:
        log.warning("admin_check_failed", error=exc.error)
        raise UserError(
            "I couldn't ask Slack whether you are an admin; try again in a minute."
        ) from None
    if not allowed:
        raise UserError(refusal_text(deps.settings, what))


def parse_subscribe_text(text: str) -> Filter:
    """``all``, or the filter grammar; ``all`` may carry the words that say how reviews are
    delivered rather than which (``mention:``, ``alert:``, ``respond:``, ``rollup:``/``every:``,
    ``style:``, ``backfill:``).

    FilterSyntaxError names the word that was wrong.
    """
    first, _, rest = text.strip().partition(" ")
    if first.casefold() != "all" or not rest.strip():
        return parse(text, allow=SUBSCRIBE_KEYS)
    chosen = parse(rest, allow=SUBSCRIBE_KEYS)
    default = Filter()
    narrowing = dataclasses.replace(
        chosen,
        mentions=(),
        alert_threshold=default.alert_threshold,
        respond_minutes=None,
        rollup=None,
        rollup_every_minutes=None,
        style=default.style,
        backfill=None,
    )
    if not narrowing.is_all:
        raise FilterSyntaxError(
            "all",
            "`all` means every review, so it cannot be combined with filters such as org: "
            "or rating:; leave out `all`",
            '/reviews subscribe org:"Acme Dental" rating:<=3',
        )
    return chosen


def _find_connection(connections: Sequence[Connection], wanted: str) -> Connection | None:
    wanted_key = wanted.strip().casefold()
    for connection in connections:
        if wanted_key in (connection.name.casefold(), str(connection.id)):
            return connection
    return None


def _resolve_connection(
    catalog: Catalog, chosen: Filter, connection_id: int | None
) -> tuple[Filter, int | None]:
    if connection_id is not None:
        connection = next((c for c in catalog.connections if c.id == connection_id), None)
        if connection is None:
            raise UserError("That connection no longer exists; open the form again.")
        return dataclasses.replace(chosen, connection=connection.name), connection.id
    if chosen.connection is None:
        return chosen, None
    connection = _find_connection(catalog.connections, chosen.connection)
    if connection is None:
        names = ", ".join(f"`{escape_mrkdwn(c.name)}`" for c in catalog.connections)
        known = f"This workspace's connections: {names}." if names else "There are none yet."
        raise UserError(
            f"There is no connection called `{escape_mrkdwn(chosen.connection)}`. {known}"
        )
    return dataclasses.replace(chosen, connection=connection.name), connection.id


async def known_source_names(deps: Deps, connections: Sequence[Connection]) -> list[str]:
    """The review sites a subscription can pick: what each connected platform lists.

    A platform that does not answer in a few seconds is left out (the form still works, and
    ``source:`` words are typed freely).
    """

    async def one(connection: Connection) -> list[str]:
        try:
            sources = await asyncio.wait_for(deps.providers.sources(connection), SOURCES_WAIT)
        except (TimeoutError, ProviderError, ConfigError) as exc:
            log.info("sources_unavailable", connection=connection.name, error=type(exc).__name__)
            return []
        return [source.name for source in sources if source.available]

    names: dict[str, str] = {}
    for found in await asyncio.gather(*(one(c) for c in connections)):
        for name in found:
            names.setdefault(source_key(name), name)
    return sorted(names.values(), key=str.casefold)


def _resolve_sources(chosen: Filter, known: Sequence[str]) -> tuple[Filter, list[str]]:
    """The typed sites as the platforms name them ("booking" → "booking.com"), and notes."""
    by_key = {source_key(name): name for name in known}
    resolved: set[str] = set()
    notes: list[str] = []
    for typed in sorted(chosen.sources):
        key = source_key(typed)
        starting = [name for k, name in by_key.items() if k.startswith(key)] if key else []
        if key in by_key:
            resolved.add(by_key[key].casefold())
        elif len(starting) == 1:
            resolved.add(starting[0].casefold())
        else:
            resolved.add(typed.strip().casefold())
            if known:
                notes.append(
                    f"No connected account lists a review site called "
                    f"`{escape_mrkdwn(typed)}`; the filter keeps it as typed. "
                    f"Known: {', '.join(escape_mrkdwn(n) for n in list(known)[:12])}."
                )
    return dataclasses.replace(chosen, sources=frozenset(resolved)), notes


def _matching(
    entries: Sequence[CatalogEntry], wanted: str, connection_id: int | None
) -> list[CatalogEntry]:
    key = wanted.strip().casefold()
    return [
        entry
        for entry in entries
        if connection_id in (None, entry.connection_id)
        and (entry.platform_id == wanted or entry.name.strip().casefold() == key)
    ]


def _unknown_name_notes(catalog: Catalog, chosen: Filter, connection_id: int | None) -> list[str]:
    notes = []
    if chosen.organization and not _matching(
        catalog.organizations, chosen.organization, connection_id
    ):
        notes.append(
            f"⚠️ There's no organization called “{escape_mrkdwn(chosen.organization)}” "
            "yet — the subscription will match once it appears."
        )
    if chosen.location and not _matching(catalog.locations, chosen.location, connection_id):
        notes.append(
            f"⚠️ There's no location called “{escape_mrkdwn(chosen.location)}” yet — "
            "the subscription will match once it appears."
        )
    return notes


def describe_subscription(catalog: Catalog, chosen: Filter, connection_id: int | None) -> str:
    """The filter in words (mrkdwn), with cached names in place of platform ids."""
    shown = chosen
    if chosen.organization:
        found = _matching(catalog.organizations, chosen.organization, connection_id)
        if found and found[0].platform_id == chosen.organization:
            shown = dataclasses.replace(shown, organization=found[0].name)
    if chosen.location:
        found = _matching(catalog.locations, chosen.location, connection_id)
        if found and found[0].platform_id == chosen.location:
            shown = dataclasses.replace(shown, location=found[0].name)
    # Names, not live mentions: an announcement in the channel must not ping the groups.
    quiet = tuple(Mention("handle", m.label or m.value) for m in shown.mentions)
    return dataclasses.replace(shown, mentions=quiet).describe(mrkdwn=True)


async def _digest_timezone(actor: Actor) -> str:
    """The admin's own IANA timezone (digests default to it), else UTC."""
    try:
        tz = (await actor.directory.user(actor.client, actor.team_id, actor.user_id)).tz
    except SlackRefused:
        return "UTC"
    if not tz:
        return "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return tz


async def _slack_language(actor: Actor) -> str | None:
    """The subscriber's Slack language ("es-ES" → "es"); None when Slack does not say."""
    try:
        answer = await actor.client.users_info(user=actor.user_id, include_locale=True)
    except Exception as exc:  # a nicety: no Slack answer must stop a subscription
        log.info("locale_unavailable", error=type(exc).__name__)
        return None
    locale = str((answer.get("user") or {}).get("locale") or "")
    code = locale.replace("_", "-").partition("-")[0].strip().lower()
    return code if code.isalpha() and 2 <= len(code) <= 3 else None


async def _resolve_mentions(actor: Actor, chosen: Filter) -> Filter:
    try:
        mentions = await actor.directory.resolve_mentions(
            actor.client, actor.team_id, chosen.mentions
        )
    except SlackRefused as exc:
        if exc.error == "missing_scope":
            raise UserError(
                "I can't look up @handles: the app lacks the usergroups:read or users:read "
                "scope. Reinstall it from manifest.yml, or pick people from Slack's @ list."
            ) from None
        raise
    return dataclasses.replace(chosen, mentions=mentions)


async def subscribe(
    deps: Deps, actor: Actor, *, chosen: Filter, connection_id: int | None = None
) -> Subscribed:
    """Resolve connection and mentions, make sure cards can reach the channel, and store it.

    UserError says what to fix (unknown connection or handle, unusable channel).
    """
    assert actor.channel_id is not None
    team_id, channel_id = actor.team_id, actor.channel_id
    catalog = await load_catalog(deps, team_id)
    chosen, connection_id = _resolve_connection(catalog, chosen, connection_id)
    # The one-off backfill is the caller's to run; it is never part of the subscription.
    chosen = chosen.stored()
    source_notes: list[str] = []
    if chosen.sources:
        known = await known_source_names(deps, catalog.connections)
        chosen, source_notes = _resolve_sources(chosen, known)
    chosen = await _resolve_mentions(actor, chosen)
    access = await ensure_channel(actor.client, channel_id)
    notes = [note for note in (access.note(),) if note]
    notes += _unknown_name_notes(catalog, chosen, connection_id) + source_notes
    description = describe_subscription(catalog, chosen, connection_id)
    filter_text = chosen.canonical_text()
    timezone = await _digest_timezone(actor)
    language = await _slack_language(actor)
    async with deps.sessions() as session, session.begin():
        existing = await find_same_subscription(
            session,
            team_id=team_id,
            channel_id=channel_id,
            connection_id=connection_id,
            filter_text=filter_text,
        )
        if existing is not None:
            already = (
                f"<#{channel_id}> already has this subscription (#{existing.id}): {description}"
            )
            return Subscribed(
                existing.id, description, False, [already, *notes], chosen, connection_id
            )
        row = await insert_subscription(
            session,
            team_id=team_id,
            channel_id=channel_id,
            connection_id=connection_id,
            filter_text=filter_text,
            filter_json=chosen.to_json(),
            mentions=[m.value for m in chosen.mentions],
            alert_threshold=chosen.alert_threshold,
            created_by=actor.user_id,
            digest_timezone=timezone,
            now=deps.clock(),
            language=language,
        )
    deps.signals.schedules_changed()  # its digest job
    log.info(
        "subscription_created",
        subscription_id=row.id,
        team_id=team_id,
        channel_id=channel_id,
        connection_id=connection_id,
    )
    return Subscribed(row.id, description, True, notes, chosen, connection_id)


def stored_description(catalog: Catalog, row: Subscription) -> str:
    """A stored subscription in words (its typed text when the stored filter is unreadable)."""
    try:
        chosen = Filter.from_json(row.filter or {})
    except (ValueError, TypeError, AttributeError):
        return escape_mrkdwn(row.filter_text)
    return describe_subscription(catalog, chosen, row.connection_id)


async def list_channel_subscriptions(
    deps: Deps, *, team_id: str, channel_id: str
) -> list[SubscriptionLine]:
    """The channel's subscriptions, described in words."""
    catalog = await load_catalog(deps, team_id)
    async with deps.sessions() as session:
        rows = await channel_subscriptions(session, team_id=team_id, channel_id=channel_id)
    return [
        SubscriptionLine(row.id, stored_description(catalog, row), row.created_by, row.created_at)
        for row in rows
    ]


async def unsubscribe(
    deps: Deps, *, team_id: str, channel_id: str, target: str
) -> list[tuple[int, str]]:
    """Remove subscription ``target`` (an id, ``#id``, or ``all``) of this channel.

    Returns (id, description) of each removed; UserError for an id of another
    channel or none at all.
    """
    removed = await _remove(deps, team_id=team_id, channel_id=channel_id, target=target)
    deps.signals.schedules_changed()  # their digest jobs
    return removed


async def _remove(
    deps: Deps, *, team_id: str, channel_id: str, target: str
) -> list[tuple[int, str]]:
    wanted = target.strip().removeprefix("#")
    usage = "Use `/reviews unsubscribe <id>` or `/reviews unsubscribe all`; `/reviews subscriptions` lists the ids."
    if not wanted:
        raise UserError(f"Which subscription? {usage}")
    catalog = await load_catalog(deps, team_id)
    async with deps.sessions() as session, session.begin():
        if wanted.casefold() == "all":
            rows = await channel_subscriptions(session, team_id=team_id, channel_id=channel_id)
            if not rows:
                raise UserError(f"<#{channel_id}> has no subscriptions to remove.")
            removed = [(row.id, stored_description(catalog, row)) for row in rows]
            await delete_channel_subscriptions(session, team_id=team_id, channel_id=channel_id)
            return removed
        if not wanted.isdecimal() or len(wanted) > 12:
            shown = escape_mrkdwn(wanted[:40].replace("`", ""))
            raise UserError(f"`{shown}` is not a subscription id. {usage}")
        row = await delete_subscription(
            session, team_id=team_id, channel_id=channel_id, subscription_id=int(wanted)
        )
        if row is None:
            raise UserError(f"<#{channel_id}> has no subscription #{int(wanted)}. {usage}")
        return [(row.id, stored_description(catalog, row))]
