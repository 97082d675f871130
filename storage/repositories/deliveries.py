"""Deliveries: one review card per channel, queued for the sender, then kept current.

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
from typing import Literal

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, Review
from storage.repositories._dialect import dialect_insert, is_postgresql

__all__ = [
    "KEEP",
    "NOTE_SEPARATOR",
    "Window",
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
    "recover_expired",
    "release_lease",
    "renew_leases",
    "request_card_refresh",
    "reschedule_delivery",
    "set_handled",
    "take_update",
]

Window = tuple[float, float | None]
"""Slack times between which an earlier attempt may have posted (end None: up to now)."""
KEEP: Literal["keep"] = "keep"
"""For ``reschedule_delivery``/``defer_update``: leave the row's window as it is."""

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


_LEASE_FREE = {"lease_owner": None, "lease_until": None}


def _lease_expired(now: datetime) -> ColumnElement[bool]:
    return or_(Delivery.lease_until.is_(None), Delivery.lease_until <= now)


def _window_values(unsure: Window | Literal["keep"] | None) -> dict[str, object]:
    if unsure == KEEP:
        return {}
    if unsure is None:
        return {"unsure_from": None, "unsure_to": None}
    return {"unsure_from": unsure[0], "unsure_to": unsure[1]}


def _open_window(started: float) -> dict[str, object]:
    """From now on an attempt may post: the window opens (or widens) at ``started``."""
    return {"unsure_from": func.coalesce(Delivery.unsure_from, started), "unsure_to": None}


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
            **_open_window(started),
        )
        .returning(Delivery.id)
    )
    return sorted(result.scalars())


async def renew_leases(
    session: AsyncSession, *, delivery_ids: Sequence[int], owner: str, until: datetime
) -> list[int]:
    """Extend ``owner``'s leases to ``until``; returns the ids still held (the rest were lost)."""
    if not delivery_ids:
        return []
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(list(delivery_ids)), Delivery.lease_owner == owner)
        .values(lease_until=until)
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
            **_LEASE_FREE,
            **_window_values(None),
        )
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none() is not None


async def reschedule_delivery(
    session: AsyncSession,
    *,
    delivery_id: int,
    owner: str,
    at: datetime,
    error: str,
    unsure: Window | Literal["keep"] | None,
    undo_attempt: bool = False,
) -> bool:
    """Put a claimed delivery back in the queue until ``at``; False if ``owner`` lost it.

    ``unsure``: where this or an earlier attempt may have posted (None: nowhere; ``KEEP``: as
    the row says). ``undo_attempt``: it was never tried (its channel got a 429 first).
    """
    values: dict[str, object] = {
        "status": "pending",
        "next_attempt_at": at,
        "last_error": error[:ERROR_LIMIT],
        **_LEASE_FREE,
        **_window_values(unsure),
    }
    if undo_attempt:
        values["attempts"] = Delivery.attempts - 1
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == "sending",
            Delivery.lease_owner == owner,
        )
        .values(**values)
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none() is not None


async def fail_delivery(session: AsyncSession, *, delivery_id: int, owner: str, error: str) -> bool:
    """Give up on a claimed delivery (``/reviews status`` shows why); False if ``owner`` lost it."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == "sending",
            Delivery.lease_owner == owner,
        )
        .values(
            status="failed", last_error=error[:ERROR_LIMIT], **_LEASE_FREE, **_window_values(None)
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
        .where(Delivery.status == "sending", _lease_expired(now))
        .values(status="pending", next_attempt_at=now, **_LEASE_FREE)
        .returning(Delivery.id)
    )
    return sorted(result.scalars())


async def release_lease(
    session: AsyncSession, *, delivery_id: int, owner: str, settled: bool = False
) -> bool:
    """Let go of ``owner``'s lease on a delivery (``settled``: nothing of it is in doubt)."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.lease_owner == owner)
        .values(**_LEASE_FREE, **(_window_values(None) if settled else {}))
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
            _lease_expired(now),
        )
        .values(lease_owner=owner, lease_until=until, **_open_window(started))
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

    Either way ``owner``'s lease ends; nothing is written if ``owner`` lost it.
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
        .values(update_pending=False, update_note=None, **_LEASE_FREE, **_window_values(None))
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

    ``unsure``: where its note may already be in the thread (as in ``reschedule_delivery``).
    """
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.lease_owner == owner)
        .values(
            next_attempt_at=at,
            last_error=error[:ERROR_LIMIT],
            **_LEASE_FREE,
            **_window_values(unsure),
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
            last_error=error[:ERROR_LIMIT],
            **_LEASE_FREE,
            **_window_values(None),
        )
        .returning(Delivery.id)
    )
    return result.scalar_one_or_none() is not None


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
