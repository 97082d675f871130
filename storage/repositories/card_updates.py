"""Card updates: keeping a posted card current (``chat.update`` plus a thread note per change).

A change of a review marks each of its posted cards ``update_pending`` with the note to post;
the card updater (``bot/pipeline/card_updates.py``) takes one under a lease, and the writes
after its Slack calls check the owner, like a delivery's (``storage/repositories/leases.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, Review
from storage.repositories.leases import (
    ERROR_LIMIT,
    LEASE_FREE,
    Window,
    lease_expired,
    open_window,
    window_values,
)

__all__ = [
    "NOTE_SEPARATOR",
    "combine_notes",
    "defer_update",
    "deliveries_of_review",
    "drop_update",
    "due_updates",
    "finish_update",
    "mark_update_pending",
    "release_lease",
    "take_update",
]

NOTE_SEPARATOR = " · "
NOTE_LIMIT = 1000

# A reminder queued meanwhile (``storage/repositories/reminders.py``) keeps the card's update
# pending: the next pass posts it. A dropped update drops its reminder too.
_PENDING_AFTER = case((Delivery.remind_state == "queued", True), else_=False)
_REMINDER_DROPPED = case(
    (Delivery.remind_state == "queued", "skipped"), else_=Delivery.remind_state
)


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


async def take_update(
    session: AsyncSession,
    *,
    delivery_id: int,
    owner: str,
    now: datetime,
    until: datetime,
    started: float,
) -> bool:
    """Lease a posted card for its update; False if it is not due or someone holds it.

    The window opens at ``started``: until the update is settled its note may be in the thread.
    """
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == "sent",
            Delivery.update_pending.is_(True),
            lease_expired(now),
        )
        .values(lease_owner=owner, lease_until=until, **open_window(started))
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none() is not None


async def finish_update(
    session: AsyncSession,
    *,
    delivery_id: int,
    owner: str,
    seen_note: str | None,
    seen_handled_by: str | None,
    review_hash: str,
) -> bool:
    """Clear the update flag, unless the note, handler or review changed meanwhile (then False).

    A queued reminder keeps the flag (the next pass posts it). Either way ``owner``'s lease
    ends; nothing is written if ``owner`` lost it.
    """
    current_review = select(Review.id).where(
        Review.id == Delivery.review_id, Review.content_hash == review_hash
    )
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.lease_owner == owner,
            Delivery.update_note.is_not_distinct_from(seen_note),
            Delivery.handled_by.is_not_distinct_from(seen_handled_by),
            current_review.exists(),
        )
        .values(
            update_pending=_PENDING_AFTER, update_note=None, **LEASE_FREE, **window_values(None)
        )
        .returning(Delivery.id)
    )
    if result.scalar_one_or_none() is not None:
        return True
    await release_lease(session, delivery_id=delivery_id, owner=owner, settled=True)
    return False


async def defer_update(
    session: AsyncSession,
    *,
    delivery_id: int,
    owner: str,
    at: datetime,
    error: str,
    unsure: Window | Literal["keep"] | None,
) -> bool:
    """Try a card update again at ``at``; False if ``owner`` lost the card's lease.

    ``unsure``: where its note may already be in the thread (as in ``leases.reschedule_held``).
    """
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.lease_owner == owner)
        .values(
            next_attempt_at=at,
            last_error=error[:ERROR_LIMIT],
            **LEASE_FREE,
            **window_values(unsure),
        )
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none() is not None


async def drop_update(session: AsyncSession, *, delivery_id: int, owner: str, error: str) -> bool:
    """Give up on a card update (the message is gone, the channel archived…)."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.lease_owner == owner)
        .values(
            update_pending=False,
            update_note=None,
            remind_state=_REMINDER_DROPPED,
            last_error=error[:ERROR_LIMIT],
            **LEASE_FREE,
            **window_values(None),
        )
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none() is not None


async def release_lease(
    session: AsyncSession, *, delivery_id: int, owner: str, settled: bool = False
) -> bool:
    """Let go of ``owner``'s lease on a delivery (``settled``: nothing of it is in doubt)."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.lease_owner == owner)
        .values(**LEASE_FREE, **(window_values(None) if settled else {}))
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none() is not None
