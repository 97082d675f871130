"""Backfill on subscribe: the recent past a new subscription asks for, queued as cards once.

The reviews are read from the platforms, kept when the new subscription matches them, and the
newest ``count`` within the period are queued oldest first as deliveries of the channel with
``origin='backfill'``. Each review is upserted through the live flow's ``route_review`` first,
so a webhook or poll of it later knows it; the unique (team, channel, review) key of
``deliveries`` means a review already carded in the channel is skipped, and never carded twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.domain import Review
from bot.errors import ConfigError, ProviderError, RateLimited
from bot.filters import MAX_BACKFILL, Backfill, Filter
from bot.log import get_logger
from bot.pipeline.fanout import RouteContext, route_review
from bot.pipeline.records import with_language
from bot.providers.patience import patiently
from bot.providers.registry import platform_label
from bot.text import escape_mrkdwn
from storage.models import Connection
from storage.repositories import (
    get_review,
    insert_delivery_if_absent,
    list_connections,
    location_names,
    organization_names,
)
from storage.repositories.card_updates import deliveries_of_review

__all__ = ["Backfilled", "backfill", "backfill_message"]

log = get_logger(__name__)

LONGEST = timedelta(days=90)
"""How far back ``backfill:20`` (a count, no period) looks."""
IN_FLIGHT = timedelta(hours=1)
"""A review this new that we never saw may still be on its way by webhook: it is routed as a
live review (every matching channel gets its card), not as this channel's past."""
PATIENCE_SECONDS = 30.0
DEADLINE_SECONDS = 90.0


@dataclass(frozen=True)
class Backfilled:
    """What a backfill queued, and what stopped part of it."""

    request: Backfill
    coming: int
    """Cards that will be posted in the channel (oldest first)."""
    already: int = 0
    """Matching reviews that already have a card in the channel."""
    problems: list[str] = field(default_factory=list)
    """mrkdwn sentences, one per platform that could not be read."""
    rolled_up: bool = False
    """The subscription rolls some ratings up: those are not posted from the past."""


@dataclass(frozen=True)
class _Found:
    connection: Connection
    review: Review


def _period(request: Backfill) -> str:
    minutes = request.minutes or LONGEST.days * 1440
    units = ((1440, "day"), (60, "hour"), (1, "minute"))
    size, unit = next((size, unit) for size, unit in units if minutes % size == 0)
    count = minutes // size
    return f"the last {unit}" if count == 1 else f"the last {count} {unit}s"


def backfill_message(result: Backfilled) -> str:
    """The sentence the subscriber reads (mrkdwn)."""
    lines: list[str] = []
    if result.coming == 1:
        lines.append("Posting the most recent matching review here.")
    elif result.coming:
        lines.append(
            f"Posting the {result.coming} most recent matching reviews here, oldest first."
        )
    elif not result.already and not result.problems:
        lines.append(
            f"No review of {_period(result.request)} matches this subscription, so there is "
            "nothing from the past to post. New reviews arrive as they come."
        )
    if result.already:
        were = "was" if result.already == 1 else "were"
        lines.append(f"{result.already} matching {_reviews(result.already)} {were} already here.")
    if result.rolled_up:
        lines.append("Ratings that go into the roll-up are not posted from the past.")
    lines.extend(result.problems)
    return " ".join(lines)


def _reviews(count: int) -> str:
    return "review" if count == 1 else "reviews"


def _problem(exc: ProviderError | ConfigError, connection: Connection) -> str:
    name = platform_label(connection.platform)
    if isinstance(exc, RateLimited):
        why = f"{name} is rate-limiting us; try again in a few minutes"
    elif isinstance(exc, ConfigError):
        why = f"the {name} connection is not usable: {escape_mrkdwn(str(exc))}"
    else:
        why = f"{name} said: {escape_mrkdwn(exc.message)}"
    return (
        f"⚠️ I couldn't read the past reviews of `{escape_mrkdwn(connection.name)}` "
        f"({why}); the subscription is saved and new reviews will arrive."
    )


def _organization_id(wanted: Filter, organizations: dict[str, str]) -> str | None:
    """The platform id of the filter's organization when it is known (the platform narrows)."""
    if wanted.organization is None:
        return None
    if wanted.organization in organizations:
        return wanted.organization
    key = wanted.organization.strip().casefold()
    named = [pid for pid, name in organizations.items() if name.strip().casefold() == key]
    return named[0] if len(named) == 1 else None


async def _read(
    deps: Deps, connection: Connection, wanted: Filter, since: datetime
) -> list[_Found]:
    async with deps.sessions() as session:
        organizations = await organization_names(session, connection_id=connection.id)
        locations = await location_names(session, connection_id=connection.id)
    provider = deps.providers.provider_for(connection)
    reviews = await patiently(
        provider,
        provider.recent(_organization_id(wanted, organizations), since),
        patience=PATIENCE_SECONDS,
        deadline=DEADLINE_SECONDS,
    )
    found = []
    for review in reviews:
        if review.published_at < since:
            continue
        told = with_language(review, None)
        if wanted.matches(
            told,
            organization_name=organizations.get(review.organization_id or ""),
            location_name=locations.get(review.location_id or ""),
        ) and not wanted.rolls_up(told):
            found.append(_Found(connection, review))
    return found


async def _connections(deps: Deps, team_id: str, connection_id: int | None) -> list[Connection]:
    async with deps.sessions() as session:
        connections = await list_connections(session, team_id)
    return [c for c in connections if connection_id in (None, c.id)]


async def backfill(
    deps: Deps,
    *,
    team_id: str,
    channel_id: str,
    subscription_id: int,
    wanted: Filter,
    connection_id: int | None,
    request: Backfill,
) -> Backfilled:
    """Queue the newest ``request.count`` matching reviews of the period, oldest first.

    A platform that cannot be read becomes a sentence in ``problems``; the others still count.
    """
    now = deps.clock()
    since = now - (timedelta(minutes=request.minutes) if request.minutes else LONGEST)
    found: list[_Found] = []
    problems: list[str] = []
    for connection in await _connections(deps, team_id, connection_id):
        try:
            found += await _read(deps, connection, wanted, since)
        except (ProviderError, ConfigError) as exc:
            log.warning("backfill_read_failed", connection=connection.name, error=str(exc))
            problems.append(_problem(exc, connection))
    found.sort(key=lambda f: f.review.published_at, reverse=True)
    chosen = list(reversed(found[: min(request.count, MAX_BACKFILL)]))
    coming, already = await _queue(deps, chosen, channel_id, subscription_id, now)
    if coming:
        deps.signals.outbound.set()
    log.info(
        "backfill_queued",
        subscription_id=subscription_id,
        channel_id=channel_id,
        coming=coming,
        already=already,
    )
    return Backfilled(request, coming, already, problems, wanted.rollup is not None)


async def _queue(
    deps: Deps, chosen: list[_Found], channel_id: str, subscription_id: int, now: datetime
) -> tuple[int, int]:
    """Upsert each review as the live flow does and queue its backfill card; (coming, already).

    Known and older reviews are written first in the poller's key order (connection, platform
    id), so the two cannot deadlock on PostgreSQL; then, oldest first (the sender posts by id),
    each gets its card, a review still in flight being routed live to every channel.
    """
    coming = already = 0
    async with deps.gate.hold(), deps.sessions() as session, session.begin():
        ctx = RouteContext.open(session, now, deps.names)
        review_ids: dict[tuple[int, str], int | None] = {}  # None: route it live, in order
        for item in sorted(chosen, key=lambda f: (f.connection.id, f.review.id)):
            connection, review = item.connection, item.review
            stored = await get_review(session, connection_id=connection.id, platform_id=review.id)
            if stored is not None and any(
                d.channel_id == channel_id
                for d in await deliveries_of_review(session, review_id=stored.id)
            ):
                already += 1
                continue
            if stored is None and review.published_at >= now - IN_FLIGHT:
                review_ids[(connection.id, review.id)] = None
                continue
            await route_review(ctx, connection, review, cards_if_new=False)
            review_ids[(connection.id, review.id)] = await _row_id(session, connection, review)
        for item in chosen:
            key = (item.connection.id, item.review.id)
            if key not in review_ids:
                continue
            review_id = review_ids[key]
            if review_id is None:
                await route_review(ctx, item.connection, item.review, cards_if_new=True)
                review_id = await _row_id(session, item.connection, item.review)
            # None when the live flow just queued it (in flight): it is coming all the same.
            await insert_delivery_if_absent(
                session,
                team_id=item.connection.team_id,
                channel_id=channel_id,
                review_id=review_id,
                subscription_id=subscription_id,
                mentions=(),  # the past is not an alert: nobody is pinged for it
                now=now,
                origin="backfill",
            )
            coming += 1
    return coming, already


async def _row_id(session: AsyncSession, connection: Connection, review: Review) -> int:
    row = await get_review(session, connection_id=connection.id, platform_id=review.id)
    assert row is not None  # just upserted in this transaction
    return row.id
