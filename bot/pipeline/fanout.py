"""From a normalized review to stored state and queued cards: the step webhooks and polls share.

``route_review`` upserts the review, queues one delivery per matching channel for a new one,
and for a changed one queues ``chat.update`` of every posted card plus the thread note. A
channel whose every matching subscription rolls the review up (``rollup:``) collects it into its
roll-up of the period instead of a card (``storage/repositories/rollups.py``), unless the
channel has a card of it already.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.card_update import build_update_note
from bot.domain import Review
from bot.filters import Filter
from bot.log import get_logger
from bot.pipeline.records import CardNames, NameCache, fill_gaps, review_from_row, with_language
from bot.pipeline.rollup_periods import DEFAULT_EVERY_MINUTES, period_for_review
from storage.models import Connection, Subscription
from storage.repositories import get_review, insert_delivery_if_absent, upsert_review
from storage.repositories.card_updates import deliveries_of_review, mark_update_pending
from storage.repositories.matching import subscriptions_for_connection
from storage.repositories.reminders import set_deadline
from storage.repositories.rollups import (
    channel_has_card,
    in_channel_rollup,
    join_rollup,
    leave_channel_rollups,
    mark_rollups_of_review_changed,
)

__all__ = [
    "RECENT",
    "ChannelMatch",
    "RollupChoice",
    "RouteContext",
    "RouteResult",
    "match_channels",
    "respond_by",
    "rollup_channels",
    "route_review",
    "stored_filter",
]

log = get_logger(__name__)

# A review first seen through an update (or changed into matching a channel) gets a card only
# if it is this recent: a reply to a two-year-old review is not news.
RECENT = timedelta(days=7)


class ChannelMatch(NamedTuple):
    """What one channel gets for one review: the first matching subscription and the mentions."""

    subscription_id: int
    mentions: tuple[str, ...]
    respond_minutes: int | None = None
    """The shortest reply deadline of the matching subscriptions this rating alerts."""


class RollupChoice(NamedTuple):
    """The roll-up a channel collects a review into: its (first) subscription and period."""

    subscription_id: int
    every_minutes: int


class RouteResult(NamedTuple):
    """What routing one review did."""

    created: bool
    changed: bool
    queued: int
    """New deliveries plus card updates queued."""


@dataclass
class RouteContext:
    """One unit of routing work: its session, clock reading and per-transaction caches."""

    session: AsyncSession
    now: datetime
    names: CardNames
    queued: int = 0
    rollups: int = 0
    """Roll-ups joined or flagged for an edit (the roll-up poster is woken for them)."""
    _subscriptions: dict[int, list[Subscription]] = field(default_factory=dict)
    _connections: dict[int, Connection | None] = field(default_factory=dict)

    @classmethod
    def open(
        cls, session: AsyncSession, now: datetime, names: NameCache | None = None
    ) -> RouteContext:
        """A context on ``session`` (``names``: a cache shared across contexts)."""
        return cls(session=session, now=now, names=CardNames(session, names))

    async def connection(self, connection_id: int) -> Connection | None:
        """A connection row (loaded once per context)."""
        if connection_id not in self._connections:
            self._connections[connection_id] = await self.session.get(Connection, connection_id)
        return self._connections[connection_id]

    async def subscriptions(self, connection: Connection) -> list[Subscription]:
        """The subscriptions covering ``connection`` (loaded once per context)."""
        if connection.id not in self._subscriptions:
            self._subscriptions[connection.id] = await subscriptions_for_connection(
                self.session, team_id=connection.team_id, connection_id=connection.id
            )
        return self._subscriptions[connection.id]


def stored_filter(subscription: Subscription) -> Filter | None:
    """The subscription's filter, or None (logged) when the stored JSON cannot be read."""
    try:
        return Filter.from_json(subscription.filter or {})
    except (ValueError, TypeError, AttributeError):
        log.warning("subscription_filter_unreadable", subscription_id=subscription.id)
        return None


def _passing(
    subscriptions: Iterable[Subscription],
    connection: Connection,
    review: Review,
    organization_name: str | None,
    location_name: str | None,
) -> Iterator[tuple[Subscription, Filter]]:
    """Each subscription of ``connection`` the review passes, with its filter."""
    for subscription in subscriptions:
        if subscription.connection_id not in (None, connection.id):
            continue
        wanted = stored_filter(subscription)
        if wanted is None:
            continue
        if (
            subscription.connection_id is None
            and wanted.connection is not None
            and wanted.connection.casefold() not in (connection.name.casefold(), str(connection.id))
        ):
            continue
        if wanted.matches(review, organization_name=organization_name, location_name=location_name):
            yield subscription, wanted


def match_channels(
    subscriptions: Iterable[Subscription],
    connection: Connection,
    review: Review,
    *,
    organization_name: str | None,
    location_name: str | None,
) -> dict[str, ChannelMatch]:
    """Channel → match for every subscription the review passes.

    Several subscriptions of one channel make one card; it mentions the union of the people of
    those whose alert threshold the rating is at or below.
    """
    matches: dict[str, ChannelMatch] = {}
    for subscription, wanted in _passing(
        subscriptions, connection, review, organization_name, location_name
    ):
        first = matches.get(subscription.channel_id)
        mentions = list(first.mentions) if first else []
        if wanted.wants_mentions(review):
            mentions += [m for m in subscription.mentions or () if m not in mentions]
        deadlines = [first.respond_minutes] if first else []
        if _alerts(wanted, review):
            deadlines.append(wanted.respond_minutes)
        matches[subscription.channel_id] = ChannelMatch(
            first.subscription_id if first else subscription.id,
            tuple(mentions),
            min((d for d in deadlines if d is not None), default=None),
        )
    return matches


def _alerts(wanted: Filter, review: Review) -> bool:
    """A deadline applies: the rating is at or below the subscription's alert threshold."""
    return review.rating is not None and review.rating <= wanted.alert_threshold


def respond_by(review: Review, minutes: int, now: datetime) -> datetime:
    """When a card's review must be answered: a review first seen late is due at once."""
    return max(review.published_at + timedelta(minutes=minutes), now)


def rollup_channels(
    subscriptions: Iterable[Subscription],
    connection: Connection,
    review: Review,
    *,
    organization_name: str | None,
    location_name: str | None,
) -> dict[str, RollupChoice]:
    """Channel → roll-up, for the channels where every subscription the review passes rolls it
    up (one that does not means a card, as without roll-ups)."""
    choices: dict[str, RollupChoice | None] = {}
    for subscription, wanted in _passing(
        subscriptions, connection, review, organization_name, location_name
    ):
        channel = subscription.channel_id
        if not wanted.rolls_up(review):
            choices[channel] = None
        elif channel not in choices:
            every = wanted.rollup_every_minutes or DEFAULT_EVERY_MINUTES
            choices[channel] = RollupChoice(subscription.id, every)
    return {channel: choice for channel, choice in choices.items() if choice is not None}


async def _queue_cards(
    ctx: RouteContext, connection: Connection, review_id: int, review: Review, *, new: bool
) -> int:
    organization, location = await ctx.names.of(connection.id, review)
    subscriptions = await ctx.subscriptions(connection)
    matches = match_channels(
        subscriptions,
        connection,
        review,
        organization_name=organization,
        location_name=location,
    )
    rolled = (
        rollup_channels(
            subscriptions,
            connection,
            review,
            organization_name=organization,
            location_name=location,
        )
        if any((s.filter or {}).get("rollup") for s in subscriptions)
        else {}
    )
    queued = 0
    for channel_id, match in matches.items():
        choice = rolled.get(channel_id)
        if choice is not None and not await channel_has_card(
            ctx.session, team_id=connection.team_id, channel_id=channel_id, review_id=review_id
        ):
            await _join_rollup(ctx, connection.team_id, channel_id, choice, review_id, review)
            continue
        delivery_id = await insert_delivery_if_absent(
            ctx.session,
            team_id=connection.team_id,
            channel_id=channel_id,
            review_id=review_id,
            subscription_id=match.subscription_id,
            mentions=match.mentions,
            now=ctx.now,
        )
        if delivery_id is None:
            continue
        queued += 1
        if match.respond_minutes is not None and not review.answered:
            deadline = respond_by(review, match.respond_minutes, ctx.now)
            await set_deadline(ctx.session, delivery_id=delivery_id, respond_by=deadline)
        if not new:
            # A rolled-up review out of the range now (its rating changed): a card, not both.
            ctx.rollups += await leave_channel_rollups(
                ctx.session,
                team_id=connection.team_id,
                channel_id=channel_id,
                review_id=review_id,
                now=ctx.now,
            )
    return queued


async def _join_rollup(
    ctx: RouteContext,
    team_id: str,
    channel_id: str,
    choice: RollupChoice,
    review_id: int,
    review: Review,
) -> None:
    """Collect the review into the channel's roll-up of its period (once per channel)."""
    if await in_channel_rollup(
        ctx.session, team_id=team_id, channel_id=channel_id, review_id=review_id
    ):
        return
    start, end = period_for_review(review.published_at, ctx.now, choice.every_minutes)
    ctx.rollups += await join_rollup(
        ctx.session,
        team_id=team_id,
        channel_id=channel_id,
        period_minutes=choice.every_minutes,
        period_start=start,
        period_end=end,
        subscription_id=choice.subscription_id,
        review_id=review_id,
        now=ctx.now,
    )


async def route_review(
    ctx: RouteContext, connection: Connection, incoming: Review, *, cards_if_new: bool
) -> RouteResult:
    """Store a review's newest state and queue what Slack should show of it.

    ``cards_if_new``: a review we did not know gets cards (False for a poll baseline).
    """
    stored = await get_review(ctx.session, connection_id=connection.id, platform_id=incoming.id)
    before = review_from_row(stored, connection.platform) if stored is not None else None
    upsert = await upsert_review(
        ctx.session,
        connection_id=connection.id,
        review=with_language(fill_gaps(incoming, stored), stored),
        now=ctx.now,
    )
    row = upsert.review
    after = review_from_row(row, connection.platform)
    queued = 0
    if upsert.created:
        if cards_if_new:
            queued += await _queue_cards(ctx, connection, row.id, after, new=True)
    elif upsert.changed and before is not None:
        note = build_update_note(before, after)
        queued += await mark_update_pending(ctx.session, review_id=row.id, note=note, now=ctx.now)
        rolled_up = await mark_rollups_of_review_changed(ctx.session, review_id=row.id, now=ctx.now)
        ctx.rollups += rolled_up
        # Shown already (a card, or a roll-up line): its changes are news, however old it is.
        shown = rolled_up or await deliveries_of_review(ctx.session, review_id=row.id)
        if shown or after.published_at >= ctx.now - RECENT:
            # A changed review may now pass a channel's filter (e.g. its rating dropped).
            queued += await _queue_cards(ctx, connection, row.id, after, new=False)
    ctx.queued += queued
    return RouteResult(upsert.created, upsert.changed, queued)
