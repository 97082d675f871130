"""Deliveries: one review card per channel, queued for the sender and posted under a lease.

Keeping a posted card current is ``storage/repositories/card_updates.py``.

A delivery being posted (or a posted card being updated) carries a lease: ``lease_owner``
(the process) and ``lease_until``. Every write after a Slack call checks the owner, so a
process whose lease lapsed and was taken over writes nothing; only an expired lease is
recovered.

``unsure_from`` / ``unsure_to`` (Slack times) say where an attempt of unknown outcome may have
posted: a claim opens the window at its start, a known outcome closes it, and a process that
dies leaves it open, so whoever recovers the row reads only that stretch of history.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery
from storage.repositories._dialect import dialect_insert, is_postgresql
from storage.repositories.leases import (
    KEEP,
    LEASE_FREE,
    Window,
    lease_expired,
    open_window,
    window_values,
)

__all__ = [
    "KEEP",
    "Window",
    "due_deliveries",
    "find_card",
    "insert_delivery_if_absent",
    "list_failed_deliveries",
    "mark_sending",
    "mark_sent",
    "next_delivery_due",
    "recover_expired",
    "request_card_refresh",
    "set_handled",
]


async def insert_delivery_if_absent(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    review_id: int,
    subscription_id: int | None,
    mentions: Sequence[str],
    now: datetime,
    origin: str = "live",
) -> int | None:
    """Queue a review's card for a channel; returns the new id, None if it has one already.

    ``origin``: live (webhook or poll) or backfill (the recent past of a new subscription).
    """
    result = await session.execute(
        dialect_insert(session, Delivery)
        .values(
            team_id=team_id,
            channel_id=channel_id,
            review_id=review_id,
            subscription_id=subscription_id,
            mentions=list(mentions),
            origin=origin,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["team_id", "channel_id", "review_id"])
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none()


# --- the sender's queue ----------------------------------------------------------------------


async def due_deliveries(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    skip_channels: Collection[str] = (),
) -> list[Delivery]:
    """Pending deliveries due by ``now``, oldest first; PostgreSQL locks them (SKIP LOCKED)."""
    query = (
        select(Delivery)
        .where(
            Delivery.status == "pending",
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        )
        .order_by(Delivery.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if skip_channels:
        query = query.where(Delivery.channel_id.not_in(list(skip_channels)))
    if is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    return list((await session.execute(query)).scalars())


async def mark_sending(
    session: AsyncSession,
    *,
    delivery_ids: Sequence[int],
    owner: str,
    until: datetime,
    started: float,
) -> list[int]:
    """Claim pending deliveries for posting under ``owner``'s lease; returns those claimed.

    ``started`` (Slack time, a little before now): if the process dies holding the lease, a
    card may be in the channel from then on.
    """
    if not delivery_ids:
        return []
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(list(delivery_ids)), Delivery.status == "pending")
        .values(
            status="sending",
            attempts=Delivery.attempts + 1,
            lease_owner=owner,
            lease_until=until,
            **open_window(started),
        )
        .returning(Delivery.id)
    )
    return sorted(result.scalars())


async def mark_sent(
    session: AsyncSession, *, delivery_id: int, owner: str, message_ts: str, now: datetime
) -> bool:
    """Record the posted card's ``ts``; False if ``owner`` no longer holds the delivery."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == "sending",
            Delivery.lease_owner == owner,
        )
        .values(
            status="sent",
            message_ts=message_ts,
            sent_at=now,
            last_error=None,
            **LEASE_FREE,
            **window_values(None),
        )
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none() is not None


async def recover_expired(session: AsyncSession, *, now: datetime) -> list[int]:
    """Requeue ``sending`` deliveries whose lease expired (their process died or lost touch).

    Their window stays open from their claim: the next claimer looks for the card there first.
    """
    result = await session.execute(
        update(Delivery)
        .where(Delivery.status == "sending", lease_expired(now))
        .values(status="pending", next_attempt_at=now, **LEASE_FREE)
        .returning(Delivery.id)
    )
    return sorted(result.scalars())


async def next_delivery_due(session: AsyncSession) -> datetime | None:
    """The earliest moment a queued post or card update is due, if any."""
    result = await session.execute(
        select(func.min(Delivery.next_attempt_at)).where(
            or_(
                Delivery.status == "pending",
                (Delivery.status == "sent") & Delivery.update_pending.is_(True),
            )
        )
    )
    return result.scalar_one_or_none()


# --- the card buttons -----------------------------------------------------------------------


async def request_card_refresh(session: AsyncSession, *, delivery_id: int, now: datetime) -> None:
    """Queue a redraw of one posted card without a thread note."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == "sent")
        .values(update_pending=True, next_attempt_at=now)
    )


async def find_card(
    session: AsyncSession,
    *,
    delivery_id: int,
    team_id: str,
    channel_id: str,
    message_ts: str,
) -> Delivery | None:
    """The delivery behind a posted card, only if it is that team's, channel's and message's."""
    result = await session.execute(
        select(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.team_id == team_id,
            Delivery.channel_id == channel_id,
            Delivery.message_ts == message_ts,
        )
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def set_handled(
    session: AsyncSession, *, delivery_id: int, user_id: str, now: datetime
) -> bool:
    """Record who handled a card; False if it was already handled."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.handled_by.is_(None))
        .values(handled_by=user_id, handled_at=now)
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none() is not None


async def list_failed_deliveries(
    session: AsyncSession, *, team_id: str, channel_id: str | None = None, limit: int = 20
) -> list[Delivery]:
    """The team's (or one channel's) failed deliveries, newest first."""
    query = select(Delivery).where(Delivery.team_id == team_id, Delivery.status == "failed")
    if channel_id is not None:
        query = query.where(Delivery.channel_id == channel_id)
    result = await session.execute(query.order_by(Delivery.id.desc()).limit(limit))
    return list(result.scalars())
