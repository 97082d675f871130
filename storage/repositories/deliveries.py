"""Deliveries: one review card per channel, queued for the sender."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery
from storage.repositories._dialect import dialect_insert

__all__ = ["insert_delivery_if_absent"]


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
