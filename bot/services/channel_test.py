"""``/reviews test``: a sample review, and which of this channel's subscriptions it would match.

Nothing is queued and nobody is mentioned: the handler posts the sample card itself, with the
mentions named as plain text.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

from bot.deps import Deps
from bot.domain import Review
from bot.errors import UserError
from bot.filters import Filter
from bot.pipeline.records import review_from_row
from bot.results import RoutingCheck, RoutingMatch
from bot.services.actor import Actor
from bot.services.subscriptions import Catalog, describe_subscription, load_catalog
from storage.models import Connection, Subscription
from storage.repositories import location_names, newest_reviews, organization_names
from storage.repositories.subscriptions import channel_subscriptions

__all__ = ["SAMPLE_TEXT", "channel_test", "sample_rating"]

SAMPLE_TEXT = (
    "The front desk was friendly but I waited 40 minutes past my appointment and nobody "
    "told me why. Parking was hard to find."
)
CANDIDATES = 50
"""Stored reviews looked at for one the channel's subscriptions would match."""
_RATING = re.compile(r"(?:rating|stars)\s*:\s*([1-5])(?:\s*[★*])?", re.IGNORECASE)
USAGE = "Use `/reviews test`, or `/reviews test rating:1` to try a 1★ review."


def sample_rating(text: str) -> int | None:
    """The ``rating:N`` of ``/reviews test rating:N`` (None for no words); UserError otherwise."""
    words = text.strip()
    if not words:
        return None
    found = _RATING.fullmatch(words)
    if found is None:
        raise UserError(f"I didn't understand that. {USAGE}")
    return int(found.group(1))


def _sample(deps: Deps, rating: int | None) -> Review:
    return Review(
        id="sample",
        platform="sample",
        source="Google",
        rating=2 if rating is None else rating,
        author="Sample Reviewer",
        title=None,
        text=SAMPLE_TEXT,
        published_at=deps.clock() - timedelta(minutes=5),
        language="en",
    )


def _connection_of(catalog: Catalog, connection_id: int) -> Connection | None:
    return next((c for c in catalog.connections if c.id == connection_id), None)


def _covers(row: Subscription, wanted: Filter, connection: Connection) -> bool:
    if row.connection_id is not None:
        return row.connection_id == connection.id
    if wanted.connection is None:
        return True
    return wanted.connection.casefold() in (connection.name.casefold(), str(connection.id))


def _match(
    catalog: Catalog,
    row: Subscription,
    review: Review,
    connection: Connection | None,
    names: tuple[str | None, str | None],
) -> RoutingMatch | None:
    try:
        wanted = Filter.from_json(row.filter or {})
    except (ValueError, TypeError, AttributeError):
        return None
    if connection is not None and not _covers(row, wanted, connection):
        return None
    if not wanted.matches(review, organization_name=names[0], location_name=names[1]):
        return None
    pings = tuple(m.display() for m in wanted.mentions) if wanted.wants_mentions(review) else ()
    description = describe_subscription(catalog, wanted, row.connection_id)
    return RoutingMatch(
        row.id,
        description,
        pings,
        wanted.rolls_up(review),
        compact=wanted.style == "compact",
        language=row.language,
    )


async def channel_test(deps: Deps, actor: Actor, *, text: str) -> RoutingCheck:
    """The channel's newest matching real review (else a sample), with its would-be routing.

    ``text`` may set the rating (``rating:1``); UserError for other words.
    """
    assert actor.channel_id is not None
    rating = sample_rating(text)
    catalog = await load_catalog(deps, actor.team_id)
    async with deps.sessions() as session:
        rows = await channel_subscriptions(
            session, team_id=actor.team_id, channel_id=actor.channel_id
        )
        covered = {row.connection_id for row in rows}
        ids = [c.id for c in catalog.connections if None in covered or c.id in covered]
        stored = await newest_reviews(session, connection_ids=ids, limit=CANDIDATES)
        names = {
            c.id: (
                await organization_names(session, connection_id=c.id),
                await location_names(session, connection_id=c.id),
            )
            for c in catalog.connections
            if c.id in ids
        }
    best: tuple[Review, Connection | None, tuple[str | None, str | None]] | None = None
    for row in stored:
        connection = _connection_of(catalog, row.connection_id)
        if connection is None:
            continue
        review = review_from_row(row, connection.platform)
        if rating is not None:
            review = dataclasses.replace(review, rating=rating)
        orgs, locations = names[connection.id]
        place = (orgs.get(review.organization_id or ""), locations.get(review.location_id or ""))
        candidate = (review, connection, place)
        best = best or candidate
        if any(_match(catalog, sub, review, connection, place) for sub in rows):
            best = candidate
            break
    real = best is not None
    review, connection, place = best or (_sample(deps, rating), None, (None, None))
    matches = [m for sub in rows if (m := _match(catalog, sub, review, connection, place))]
    return RoutingCheck(review, place[0], place[1], real, len(rows), matches)
