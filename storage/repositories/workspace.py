"""Workspace administration queries: connections by name, removal, retries, Home tab activity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Connection, Delivery, Invite, Review, Subscription

__all__ = [
    "count_own_subscriptions",
    "delete_connection",
    "find_connection_named",
    "recent_cards",
    "recent_invites_by",
    "requeue_failed_delivery",
    "subscriptions_covering",
    "team_subscriptions",
]


async def find_connection_named(
    session: AsyncSession, *, team_id: str, name: str
) -> Connection | None:
    """The team's connection called ``name``, compared without regard to case."""
    result = await session.execute(
        select(Connection)
        .where(Connection.team_id == team_id, func.lower(Connection.name) == name.lower())
        .order_by(Connection.id)
        .limit(1)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def delete_connection(session: AsyncSession, *, team_id: str, connection_id: int) -> bool:
    """Remove one of the team's connections (its reviews, events and own subscriptions cascade)."""
    result = await session.execute(
        delete(Connection)
        .where(Connection.id == connection_id, Connection.team_id == team_id)
        .returning(Connection.id)
    )
    return result.scalar_one_or_none() is not None


async def count_own_subscriptions(
    session: AsyncSession, *, team_id: str, connection_id: int
) -> int:
    """How many subscriptions name this connection alone (they go when it goes)."""
    query = select(func.count(Subscription.id)).where(
        Subscription.team_id == team_id, Subscription.connection_id == connection_id
    )
    return int(await session.scalar(query) or 0)


async def subscriptions_covering(session: AsyncSession, *, team_id: str) -> dict[int, int]:
    """How many of the team's subscriptions cover each of its connections.

    A subscription without a connection covers every one of them.
    """
    connection_ids = list(
        (await session.execute(select(Connection.id).where(Connection.team_id == team_id)))
        .scalars()
        .all()
    )
    rows = await session.execute(
        select(Subscription.connection_id, func.count(Subscription.id))
        .where(Subscription.team_id == team_id)
        .group_by(Subscription.connection_id)
    )
    counts: dict[int | None, int] = {key: int(count) for key, count in rows.all()}
    every = counts.get(None, 0)
    return {cid: counts.get(cid, 0) + every for cid in connection_ids}


async def requeue_failed_delivery(
    session: AsyncSession, *, team_id: str, delivery_id: int, now: datetime
) -> bool:
    """Put one of the team's failed deliveries back in the sender's queue; False if not failed.

    ``attempts`` drops to at most 1: the sender then gets its full run of retries again, and an
    attempt number above 1 still makes it look for a card an earlier attempt may have posted.
    """
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.team_id == team_id,
            Delivery.status == "failed",
        )
        .values(
            status="pending",
            next_attempt_at=now,
            attempts=case((Delivery.attempts > 1, 1), else_=Delivery.attempts),
        )
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none() is not None


async def team_subscriptions(
    session: AsyncSession, *, team_id: str, limit: int
) -> tuple[list[Subscription], int]:
    """The team's subscriptions by channel then id (at most ``limit``) and how many there are."""
    total = int(
        await session.scalar(
            select(func.count(Subscription.id)).where(Subscription.team_id == team_id)
        )
        or 0
    )
    result = await session.execute(
        select(Subscription)
        .where(Subscription.team_id == team_id)
        .order_by(Subscription.channel_id, Subscription.id)
        .limit(limit)
    )
    return list(result.scalars()), total


async def recent_cards(
    session: AsyncSession, *, team_id: str, limit: int
) -> list[tuple[Delivery, Review]]:
    """The team's last cards posted (deliveries sent), newest first, with their reviews."""
    result = await session.execute(
        select(Delivery, Review)
        .join(Review, Review.id == Delivery.review_id)
        .where(
            Delivery.team_id == team_id,
            Delivery.status == "sent",
            Delivery.sent_at.is_not(None),
        )
        .order_by(Delivery.sent_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
    return [(delivery, review) for delivery, review in result.all()]


async def recent_invites_by(
    session: AsyncSession, *, team_id: str, user_id: str, limit: int
) -> list[Invite]:
    """The last invites this person sent from Slack, newest first."""
    result = await session.execute(
        select(Invite)
        .where(Invite.team_id == team_id, Invite.user_id == user_id)
        .order_by(Invite.created_at.desc(), Invite.id.desc())
        .limit(limit)
    )
    return list(result.scalars())
