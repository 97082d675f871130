"""Deliveries: one review card per channel, queued for the sender, then kept current."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, Review
from storage.repositories._dialect import dialect_insert, is_postgresql

__all__ = [
    "NOTE_SEPARATOR",
    "combine_notes",
    "defer_update",
    "deliveries_of_review",
    "drop_update",
    "due_deliveries",
    "due_updates",
    "fail_delivery",
    "find_card",
    "finish_update",
    "insert_delivery_if_absent",
    "list_failed_deliveries",
    "mark_sending",
    "mark_sent",
    "mark_update_pending",
    "next_delivery_due",
    "request_card_refresh",
    "reschedule_delivery",
    "reset_sending",
    "sending_delivery_ids",
    "set_handled",
]

NOTE_SEPARATOR = " · "
NOTE_LIMIT = 1000
ERROR_LIMIT = 500


async def insert_delivery_if_absent(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    review_id: int,
    subscription_id: int | None,
    mentions: Sequence[str],
    now: datetime,
) -> int | None:
    """Queue a review's card for a channel; returns the new id, None if it has one already."""
    result = await session.execute(
        dialect_insert(session, Delivery)
        .values(
            team_id=team_id,
            channel_id=channel_id,
            review_id=review_id,
            subscription_id=subscription_id,
            mentions=list(mentions),
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


async def mark_sending(session: AsyncSession, *, delivery_ids: Sequence[int]) -> None:
    """Claim deliveries for posting: ``sending``, one more attempt counted."""
    if delivery_ids:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(list(delivery_ids)), Delivery.status == "pending")
            .values(status="sending", attempts=Delivery.attempts + 1)
        )


async def mark_sent(
    session: AsyncSession, *, delivery_id: int, message_ts: str, now: datetime
) -> bool:
    """Record the posted card's ``ts``; False if the delivery was no longer ``sending``."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == "sending")
        .values(status="sent", message_ts=message_ts, sent_at=now, last_error=None)
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none() is not None


async def reschedule_delivery(
    session: AsyncSession,
    *,
    delivery_id: int,
    at: datetime,
    error: str,
    undo_attempt: bool = False,
) -> None:
    """Put a claimed delivery back in the queue until ``at``.

    ``undo_attempt``: it was never tried (its channel got a 429 first), so no reconcile is needed.
    """
    values: dict[str, object] = {
        "status": "pending",
        "next_attempt_at": at,
        "last_error": error[:ERROR_LIMIT],
    }
    if undo_attempt:
        values["attempts"] = Delivery.attempts - 1
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == "sending")
        .values(**values)
    )


async def fail_delivery(session: AsyncSession, *, delivery_id: int, error: str) -> None:
    """Give up on a delivery; ``last_error`` says why (``/reviews status`` shows it)."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status.in_(("pending", "sending")))
        .values(status="failed", last_error=error[:ERROR_LIMIT])
    )


async def sending_delivery_ids(session: AsyncSession, *, limit: int = 500) -> list[int]:
    """Ids of deliveries marked ``sending`` (some may belong to a process that died)."""
    result = await session.execute(
        select(Delivery.id).where(Delivery.status == "sending").order_by(Delivery.id).limit(limit)
    )
    return list(result.scalars())


async def reset_sending(session: AsyncSession, *, delivery_id: int, now: datetime) -> bool:
    """Put an orphaned ``sending`` delivery back in the queue (its attempts say: reconcile)."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == "sending")
        .values(status="pending", next_attempt_at=now)
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none() is not None


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


# --- card updates --------------------------------------------------------------------------


def combine_notes(queued: str | None, note: str | None) -> str | None:
    """Join a queued update note with a newer one, each change said once."""
    parts: list[str] = []
    for text in (queued, note):
        for part in (text or "").split(NOTE_SEPARATOR):
            if part and part not in parts:
                parts.append(part)
    combined = NOTE_SEPARATOR.join(parts)
    if len(combined) > NOTE_LIMIT:
        combined = combined[: NOTE_LIMIT - 1] + "…"
    return combined or None


async def deliveries_of_review(session: AsyncSession, *, review_id: int) -> list[Delivery]:
    """Every delivery (card) of one review."""
    result = await session.execute(
        select(Delivery)
        .where(Delivery.review_id == review_id)
        .order_by(Delivery.id)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


async def mark_update_pending(
    session: AsyncSession, *, review_id: int, note: str | None, now: datetime
) -> int:
    """Queue ``chat.update`` (and the note) for every posted card of a review; returns how many."""
    marked = 0
    for delivery in await deliveries_of_review(session, review_id=review_id):
        if delivery.status not in ("sent", "sending"):
            continue  # a card not posted yet is built from the current review when it is
        queued = delivery.update_note if delivery.update_pending else None
        values: dict[str, object] = {
            "update_pending": True,
            "update_note": combine_notes(queued, note),
        }
        if delivery.status == "sent":
            values["next_attempt_at"] = now
        await session.execute(update(Delivery).where(Delivery.id == delivery.id).values(**values))
        marked += 1
    return marked


async def request_card_refresh(session: AsyncSession, *, delivery_id: int, now: datetime) -> None:
    """Queue a redraw of one posted card without a thread note."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == "sent")
        .values(update_pending=True, next_attempt_at=now)
    )


async def due_updates(session: AsyncSession, *, now: datetime, limit: int) -> list[Delivery]:
    """Posted cards whose update is due by ``now``, oldest first."""
    result = await session.execute(
        select(Delivery)
        .where(
            Delivery.status == "sent",
            Delivery.update_pending.is_(True),
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        )
        .order_by(Delivery.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


async def finish_update(
    session: AsyncSession,
    *,
    delivery_id: int,
    seen_note: str | None,
    seen_handled_by: str | None,
    review_hash: str,
) -> bool:
    """Clear the update flag, unless the note, handler or review changed meanwhile (then False)."""
    current_review = select(Review.id).where(
        Review.id == Delivery.review_id, Review.content_hash == review_hash
    )
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.update_note.is_not_distinct_from(seen_note),
            Delivery.handled_by.is_not_distinct_from(seen_handled_by),
            current_review.exists(),
        )
        .values(update_pending=False, update_note=None)
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none() is not None


async def defer_update(
    session: AsyncSession, *, delivery_id: int, at: datetime, error: str
) -> None:
    """Try a card update again at ``at``."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(next_attempt_at=at, last_error=error[:ERROR_LIMIT])
    )


async def drop_update(session: AsyncSession, *, delivery_id: int, error: str) -> None:
    """Give up on a card update (the message is gone, the channel archived…)."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(update_pending=False, update_note=None, last_error=error[:ERROR_LIMIT])
    )


# --- lookups -------------------------------------------------------------------------------


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
