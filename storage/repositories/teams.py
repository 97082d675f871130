"""A whole workspace's data at once: what goes when the app is uninstalled from it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Connection, Delivery, Subscription

__all__ = ["ForgottenTeam", "forget_team_data"]


@dataclass(frozen=True)
class ForgottenTeam:
    """How many rows of each kind were removed."""

    connections: int
    subscriptions: int
    deliveries: int


async def forget_team_data(session: AsyncSession, *, team_id: str) -> ForgottenTeam:
    """Delete the team's subscriptions, cards queued or sent, and connections.

    A connection's organizations, locations, reviews and inbound events cascade with it, and
    its encrypted platform token goes too; invites stay as the record of what was sent (their
    connection becomes NULL, the contact was only ever a hash).
    """
    deliveries = await session.execute(
        delete(Delivery).where(Delivery.team_id == team_id).returning(Delivery.id)
    )
    subscriptions = await session.execute(
        delete(Subscription).where(Subscription.team_id == team_id).returning(Subscription.id)
    )
    connections = await session.execute(
        delete(Connection).where(Connection.team_id == team_id).returning(Connection.id)
    )
    return ForgottenTeam(
        connections=len(connections.all()),
        subscriptions=len(subscriptions.all()),
        deliveries=len(deliveries.all()),
    )
