"""Reply deadlines: a low rating's card waits for an answer, then one reminder in its thread.

``deliveries.remind_state`` goes NULL (no deadline) → ``waiting`` (``respond_by`` set when
the card is queued) → ``queued`` (the deadline passed unanswered: the card updater edits the
card to "Overdue" and posts the reminder) → ``sent``; or → ``skipped`` when the review was
answered on the platform or the card marked handled first. Each step is a conditional UPDATE
on the state it leaves, so of several replicas exactly one takes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Delivery, Review

__all__ = [
    "QUEUED",
    "SENT",
    "SKIPPED",
    "WAITING",
    "any_due",
    "next_deadline",
    "queue_due_reminders",
    "set_deadline",
    "settle_reminder",
    "skip_settled_reminders",
]

WAITING, QUEUED, SENT, SKIPPED = "waiting", "queued", "sent", "skipped"


def review_answered() -> ColumnElement[bool]:
    """The delivery's review has an answer on the platform (a text, or its flag)."""
    return exists(
        select(Review.id).where(
            Review.id == Delivery.review_id,
            or_(
                Review.replied.is_(True),
                and_(Review.reply.is_not(None), func.trim(Review.reply) != ""),
            ),
        )
    )


async def set_deadline(session: AsyncSession, *, delivery_id: int, respond_by: datetime) -> None:
    """Give a newly queued live card its reply deadline (a backfilled or test card has none)."""
    await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.remind_state.is_(None),
            Delivery.origin == "live",
        )
        .values(respond_by=respond_by, remind_state=WAITING)
    )


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(Delivery.remind_state == WAITING, Delivery.respond_by <= now)


async def any_due(session: AsyncSession, *, now: datetime) -> bool:
    """Whether a deadline has passed on a card still waiting (a read: no write lock taken)."""
    found = await session.scalar(select(Delivery.id).where(_due(now)).limit(1))
    return found is not None


async def skip_settled_reminders(session: AsyncSession, *, now: datetime) -> list[int]:
    """Deadlines passed on cards answered, handled, never posted or of a subscription since
    removed: no reminder (their ids)."""
    result = await session.execute(
        update(Delivery)
        .where(
            _due(now),
            or_(
                Delivery.status == "failed",
                Delivery.subscription_id.is_(None),
                and_(
                    Delivery.status == "sent",
                    or_(Delivery.handled_by.is_not(None), review_answered()),
                ),
            ),
        )
        .values(remind_state=SKIPPED)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


async def queue_due_reminders(session: AsyncSession, *, now: datetime) -> list[int]:
    """Posted cards whose deadline passed unanswered: queue their reminder (their ids).

    The card update that posts it is queued too; a card already waiting for an update keeps
    that update's time (it may be deferred by Slack's rate limit).
    """
    result = await session.execute(
        update(Delivery)
        .where(_due(now), Delivery.status == "sent")
        .values(
            remind_state=QUEUED,
            update_pending=True,
            next_attempt_at=case(
                (Delivery.update_pending.is_(True), Delivery.next_attempt_at), else_=now
            ),
        )
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


async def next_deadline(session: AsyncSession) -> datetime | None:
    """The earliest deadline still waiting on a posted card."""
    result = await session.scalar(
        select(func.min(Delivery.respond_by)).where(
            Delivery.remind_state == WAITING, Delivery.status == "sent"
        )
    )
    return result


async def settle_reminder(
    session: AsyncSession, *, delivery_id: int, owner: str, state: Literal["sent", "skipped"]
) -> bool:
    """Record a queued reminder as posted or skipped; False if ``owner`` lost the card's lease."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.lease_owner == owner,
            Delivery.remind_state == QUEUED,
        )
        .values(remind_state=state)
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none() is not None
