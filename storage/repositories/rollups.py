"""Roll-ups: one message per channel and period collecting the reviews a subscription rolls up.

Fanout joins a review to its channel's roll-up of a period (``join_rollup``); once the period
has ended the roll-up poster (``bot/pipeline/rollups.py``) claims it under a lease (owner and
expiry in the row, as deliveries have: ``storage/repositories/deliveries.py``) and posts it.
Every write after a Slack call checks the owner. ``unsure_from``/``unsure_to`` keep where a
post of unknown outcome may have landed, so the channel's history is read before posting again.

``update_pending``: the message no longer shows every review of the roll-up (one joined late, or
changed): a posted roll-up is then edited. A join always writes the roll-up row, so on
PostgreSQL it waits for (or holds off) a claim of the same row: the claim clears the flag and
the message is built after it, so a join is either in the message or flags it again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, Review, Rollup, RollupItem
from storage.repositories._dialect import dialect_insert, is_postgresql
from storage.repositories.leases import (
    ERROR_LIMIT,
    KEEP,
    LEASE_FREE,
    lease_expired,
    open_window,
    window_values,
)

__all__ = [
    "KEEP",
    "RollupContents",
    "channel_has_card",
    "claim_rollups",
    "defer_rollup_edit",
    "drop_empty_rollup",
    "due_rollup_edits",
    "due_rollups",
    "finish_rollup_edit",
    "in_channel_rollup",
    "join_rollup",
    "leave_channel_rollups",
    "mark_rollup_sent",
    "mark_rollups_of_review_changed",
    "next_rollup_due",
    "recover_expired_rollups",
    "rollup_contents",
    "take_rollup_edit",
]


# --- fanout ----------------------------------------------------------------------------------


async def channel_has_card(
    session: AsyncSession, *, team_id: str, channel_id: str, review_id: int
) -> bool:
    """True when the channel has (or has queued) a card of the review."""
    found = await session.scalar(
        select(Delivery.id).where(
            Delivery.team_id == team_id,
            Delivery.channel_id == channel_id,
            Delivery.review_id == review_id,
        )
    )
    return found is not None


async def in_channel_rollup(
    session: AsyncSession, *, team_id: str, channel_id: str, review_id: int
) -> bool:
    """True when the review is in a roll-up of the channel already (of any period)."""
    found = await session.scalar(
        select(RollupItem.id)
        .join(Rollup, Rollup.id == RollupItem.rollup_id)
        .where(
            RollupItem.review_id == review_id,
            Rollup.team_id == team_id,
            Rollup.channel_id == channel_id,
        )
        .limit(1)
    )
    return found is not None


async def join_rollup(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    period_minutes: int,
    period_start: datetime,
    period_end: datetime,
    subscription_id: int | None,
    review_id: int,
    now: datetime,
) -> bool:
    """Add a review to the channel's roll-up of a period (made if absent); True if it joined.

    Joining a roll-up already posted (or being posted) flags it for an edit, due at once.
    """
    await session.execute(
        dialect_insert(session, Rollup)
        .values(
            team_id=team_id,
            channel_id=channel_id,
            period_minutes=period_minutes,
            period_start=period_start,
            period_end=period_end,
            subscription_id=subscription_id,
            status="pending",
            attempts=0,
            next_attempt_at=period_end,
            update_pending=False,
            created_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=["team_id", "channel_id", "period_minutes", "period_start"]
        )
    )
    rollup_id = await session.scalar(
        select(Rollup.id).where(
            Rollup.team_id == team_id,
            Rollup.channel_id == channel_id,
            Rollup.period_minutes == period_minutes,
            Rollup.period_start == period_start,
        )
    )
    if rollup_id is None:  # pragma: no cover - inserted or found just above
        return False
    joined = await session.execute(
        dialect_insert(session, RollupItem)
        .values(rollup_id=rollup_id, review_id=review_id, added_at=now)
        .on_conflict_do_nothing(index_elements=["rollup_id", "review_id"])
        .returning(RollupItem.id)
    )
    if joined.scalar_one_or_none() is None:
        return False
    await _flag(session, [rollup_id], now)
    return True


async def _flag(session: AsyncSession, rollup_ids: Sequence[int], now: datetime) -> None:
    """The message misses something: edit a posted roll-up now (a pending one posts it all)."""
    await session.execute(
        update(Rollup)
        .where(Rollup.id.in_(list(rollup_ids)))
        .values(
            update_pending=True,
            next_attempt_at=case((Rollup.status == "sent", now), else_=Rollup.next_attempt_at),
        )
    )


async def mark_rollups_of_review_changed(
    session: AsyncSession, *, review_id: int, now: datetime
) -> int:
    """Flag the posted roll-ups showing a review that changed; returns how many roll-ups hold
    it (posted or not)."""
    held = (
        await session.execute(
            select(Rollup.id, Rollup.status)
            .join(RollupItem, RollupItem.rollup_id == Rollup.id)
            .where(RollupItem.review_id == review_id)
        )
    ).all()
    posted = [rollup_id for rollup_id, status in held if status in ("sending", "sent")]
    if posted:
        await _flag(session, posted, now)
    return len(held)


async def leave_channel_rollups(
    session: AsyncSession, *, team_id: str, channel_id: str, review_id: int, now: datetime
) -> int:
    """Take a review out of the channel's roll-ups (it gets a card there now); returns how many.

    A posted roll-up it leaves is flagged for an edit.
    """
    ids = list(
        (
            await session.scalars(
                select(RollupItem.rollup_id)
                .join(Rollup, Rollup.id == RollupItem.rollup_id)
                .where(
                    RollupItem.review_id == review_id,
                    Rollup.team_id == team_id,
                    Rollup.channel_id == channel_id,
                )
            )
        ).all()
    )
    if ids:
        await session.execute(
            delete(RollupItem).where(
                RollupItem.review_id == review_id, RollupItem.rollup_id.in_(ids)
            )
        )
        await _flag(session, ids, now)
    return len(ids)


# --- the poster's queue ----------------------------------------------------------------------


async def due_rollups(
    session: AsyncSession, *, now: datetime, limit: int, skip_channels: Collection[str] = ()
) -> list[Rollup]:
    """Pending roll-ups whose period is over and which are due, oldest period first.

    PostgreSQL locks them (SKIP LOCKED): a join holding one is passed over until it commits.
    """
    query = (
        select(Rollup)
        .where(
            Rollup.status == "pending",
            Rollup.period_end <= now,
            or_(Rollup.next_attempt_at.is_(None), Rollup.next_attempt_at <= now),
        )
        .order_by(Rollup.period_end, Rollup.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if skip_channels:
        query = query.where(Rollup.channel_id.not_in(list(skip_channels)))
    if is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    return list((await session.execute(query)).scalars())


async def claim_rollups(
    session: AsyncSession,
    *,
    rollup_ids: Sequence[int],
    owner: str,
    until: datetime,
    started: float,
) -> list[int]:
    """Take pending roll-ups for posting under ``owner``'s lease; returns those taken.

    The message is built after this: it shows every review joined so far (the flag clears).
    ``started``: from then on the message may be in the channel.
    """
    if not rollup_ids:
        return []
    result = await session.execute(
        update(Rollup)
        .where(Rollup.id.in_(list(rollup_ids)), Rollup.status == "pending")
        .values(
            status="sending",
            attempts=Rollup.attempts + 1,
            update_pending=False,
            lease_owner=owner,
            lease_until=until,
            **open_window(started, Rollup),
        )
        .returning(Rollup.id)
    )
    return sorted(result.scalars())


async def mark_rollup_sent(
    session: AsyncSession,
    *,
    rollup_id: int,
    owner: str,
    message_ts: str,
    now: datetime,
    stale: bool = False,
) -> bool:
    """Record the posted message's ``ts``; False if ``owner`` no longer holds the roll-up.

    ``stale``: the message found may predate reviews that joined since: edit it.
    """
    values: dict[str, object] = {
        "status": "sent",
        "message_ts": message_ts,
        "sent_at": now,
        "next_attempt_at": now,
        "last_error": None,
        **LEASE_FREE,
        **window_values(None),
    }
    if stale:
        values["update_pending"] = True
    result = await session.execute(
        update(Rollup)
        .where(Rollup.id == rollup_id, Rollup.status == "sending", Rollup.lease_owner == owner)
        .values(**values)
        .returning(Rollup.id)
    )
    return result.scalar_one_or_none() is not None


async def drop_empty_rollup(session: AsyncSession, *, rollup_id: int, owner: str) -> bool:
    """Delete a claimed roll-up whose reviews are all gone (a later join makes it anew)."""
    result = await session.execute(
        delete(Rollup)
        .where(
            Rollup.id == rollup_id,
            Rollup.lease_owner == owner,
            ~select(RollupItem.id).where(RollupItem.rollup_id == rollup_id).exists(),
        )
        .returning(Rollup.id)
    )
    return result.scalar_one_or_none() is not None


async def recover_expired_rollups(session: AsyncSession, *, now: datetime) -> int:
    """Requeue roll-ups whose holder died: a post (window kept) or an edit (flagged again)."""
    posts = await session.execute(
        update(Rollup)
        .where(Rollup.status == "sending", lease_expired(now, Rollup))
        .values(status="pending", next_attempt_at=now, **LEASE_FREE)
        .returning(Rollup.id)
    )
    edits = await session.execute(
        update(Rollup)
        .where(
            Rollup.status == "sent",
            Rollup.lease_owner.is_not(None),
            Rollup.lease_until <= now,
        )
        .values(update_pending=True, next_attempt_at=now, **LEASE_FREE)
        .returning(Rollup.id)
    )
    return len(list(posts.scalars())) + len(list(edits.scalars()))


async def next_rollup_due(session: AsyncSession) -> datetime | None:
    """The earliest moment a roll-up is to be posted or edited, or a lease of one expires."""
    due = await session.scalar(
        select(func.min(Rollup.next_attempt_at)).where(
            or_(
                Rollup.status == "pending",
                (Rollup.status == "sent") & Rollup.update_pending.is_(True),
            )
        )
    )
    lease = await session.scalar(
        select(func.min(Rollup.lease_until)).where(Rollup.lease_owner.is_not(None))
    )
    moments = [m for m in (due, lease) if m is not None]
    return min(moments) if moments else None


# --- editing a posted roll-up ----------------------------------------------------------------


async def due_rollup_edits(session: AsyncSession, *, now: datetime, limit: int) -> list[Rollup]:
    """Posted roll-ups to edit by ``now`` that nobody holds."""
    result = await session.execute(
        select(Rollup)
        .where(
            Rollup.status == "sent",
            Rollup.update_pending.is_(True),
            or_(Rollup.next_attempt_at.is_(None), Rollup.next_attempt_at <= now),
            lease_expired(now, Rollup),
        )
        .order_by(Rollup.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


async def take_rollup_edit(
    session: AsyncSession, *, rollup_id: int, owner: str, now: datetime, until: datetime
) -> bool:
    """Lease a posted roll-up for its edit (the flag clears: a later join sets it again)."""
    result = await session.execute(
        update(Rollup)
        .where(
            Rollup.id == rollup_id,
            Rollup.status == "sent",
            Rollup.update_pending.is_(True),
            lease_expired(now, Rollup),
        )
        .values(update_pending=False, lease_owner=owner, lease_until=until)
        .returning(Rollup.id)
    )
    return result.scalar_one_or_none() is not None


async def finish_rollup_edit(
    session: AsyncSession, *, rollup_id: int, owner: str, error: str | None = None
) -> bool:
    """Let go of an edit's lease (``error``: why it was given up); False if ``owner`` lost it."""
    values: dict[str, object] = {**LEASE_FREE}
    if error is not None:
        values["last_error"] = error[:ERROR_LIMIT]
    result = await session.execute(
        update(Rollup)
        .where(Rollup.id == rollup_id, Rollup.lease_owner == owner)
        .values(**values)
        .returning(Rollup.id)
    )
    return result.scalar_one_or_none() is not None


async def defer_rollup_edit(
    session: AsyncSession, *, rollup_id: int, owner: str, at: datetime, error: str
) -> bool:
    """Try an edit again at ``at``; False if ``owner`` lost the lease."""
    result = await session.execute(
        update(Rollup)
        .where(Rollup.id == rollup_id, Rollup.lease_owner == owner)
        .values(
            update_pending=True, next_attempt_at=at, last_error=error[:ERROR_LIMIT], **LEASE_FREE
        )
        .returning(Rollup.id)
    )
    return result.scalar_one_or_none() is not None


# --- what a roll-up shows --------------------------------------------------------------------


class RollupContents:
    """A roll-up's reviews: how many, their average and range of ratings, the first few rows."""

    def __init__(
        self,
        total: int,
        average: float | None,
        ratings: tuple[int, int] | None,
        first: list[Review],
    ) -> None:
        self.total = total
        self.average = average
        self.ratings = ratings
        self.first = first


async def rollup_contents(session: AsyncSession, *, rollup_id: int, limit: int) -> RollupContents:
    """The count, average and lowest/highest rating of a roll-up's reviews, and the first
    ``limit`` of them (oldest first)."""
    total, average, low, high = (
        await session.execute(
            select(
                func.count(RollupItem.id),
                func.avg(Review.rating),
                func.min(Review.rating),
                func.max(Review.rating),
            )
            .join(Review, Review.id == RollupItem.review_id)
            .where(RollupItem.rollup_id == rollup_id)
        )
    ).one()
    first = await session.scalars(
        select(Review)
        .join(RollupItem, RollupItem.review_id == Review.id)
        .where(RollupItem.rollup_id == rollup_id)
        .order_by(Review.published_at, Review.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return RollupContents(
        int(total or 0),
        float(average) if average is not None else None,
        (int(low), int(high)) if low is not None and high is not None else None,
        list(first.all()),
    )
