"""What the router matches a review against: the subscriptions of a connection's team."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Subscription

__all__ = ["subscriptions_for_connection"]


async def subscriptions_for_connection(
    session: AsyncSession, *, team_id: str, connection_id: int
) -> list[Subscription]:
    """The team's subscriptions that cover this connection (their own or every one), by id."""
    result = await session.execute(
        select(Subscription)
        .where(
            Subscription.team_id == team_id,
            or_(
                Subscription.connection_id.is_(None),
                Subscription.connection_id == connection_id,
            ),
        )
        .order_by(Subscription.id)
    )
    return list(result.scalars())
