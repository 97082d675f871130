"""Subscriptions of a channel, and the catalog names a subscription form offers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Connection, Location, Organization, Subscription

__all__ = [
    "CatalogEntry",
    "channel_subscriptions",
    "count_subscriptions",
    "delete_channel_subscriptions",
    "delete_subscription",
    "find_same_subscription",
    "insert_subscription",
    "team_locations",
    "team_organizations",
]


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """An organization or location as a form shows it, with its connection."""

    connection_id: int
    connection_name: str
    platform_id: str
    name: str
    organization_platform_id: str | None = None


async def insert_subscription(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    connection_id: int | None,
    filter_text: str,
    filter_json: dict[str, Any],
    mentions: Sequence[str],
    alert_threshold: int,
    created_by: str,
    digest_timezone: str,
    now: datetime,
    language: str | None = None,
) -> Subscription:
    """Add a subscription (flushed, so its id is known)."""
    row = Subscription(
        team_id=team_id,
        channel_id=channel_id,
        connection_id=connection_id,
        filter_text=filter_text,
        filter=filter_json,
        mentions=list(mentions),
        alert_threshold=alert_threshold,
        created_by=created_by,
        digest_timezone=digest_timezone,
        language=language,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def find_same_subscription(
    session: AsyncSession,
    *,
    team_id: str,
    channel_id: str,
    connection_id: int | None,
    filter_text: str,
) -> Subscription | None:
    """The channel's subscription with exactly this filter and connection, if any."""
    connection = (
        Subscription.connection_id.is_(None)
        if connection_id is None
        else Subscription.connection_id == connection_id
    )
    result = await session.execute(
        select(Subscription)
        .where(
            Subscription.team_id == team_id,
            Subscription.channel_id == channel_id,
            Subscription.filter_text == filter_text,
            connection,
        )
        .order_by(Subscription.id)
        .limit(1)
    )
    return result.scalar_one_or_none()


async def channel_subscriptions(
    session: AsyncSession, *, team_id: str, channel_id: str
) -> list[Subscription]:
    """The channel's subscriptions, oldest first."""
    result = await session.execute(
        select(Subscription)
        .where(Subscription.team_id == team_id, Subscription.channel_id == channel_id)
        .order_by(Subscription.id)
    )
    return list(result.scalars())


async def count_subscriptions(
    session: AsyncSession, *, team_id: str, channel_id: str | None = None
) -> int:
    """How many subscriptions the team (or one of its channels) has."""
    query = select(func.count(Subscription.id)).where(Subscription.team_id == team_id)
    if channel_id is not None:
        query = query.where(Subscription.channel_id == channel_id)
    return int(await session.scalar(query) or 0)


async def delete_subscription(
    session: AsyncSession, *, team_id: str, channel_id: str, subscription_id: int
) -> Subscription | None:
    """Remove one subscription of this team and channel; returns it, or None if not there."""
    row = await session.scalar(
        select(Subscription).where(
            Subscription.id == subscription_id,
            Subscription.team_id == team_id,
            Subscription.channel_id == channel_id,
        )
    )
    if row is not None:
        await session.delete(row)
        await session.flush()
    return row


async def delete_channel_subscriptions(
    session: AsyncSession, *, team_id: str, channel_id: str
) -> int:
    """Remove every subscription of the channel; returns how many there were."""
    result = await session.execute(
        delete(Subscription)
        .where(Subscription.team_id == team_id, Subscription.channel_id == channel_id)
        .returning(Subscription.id)
    )
    return len(result.all())


async def team_organizations(session: AsyncSession, *, team_id: str) -> list[CatalogEntry]:
    """The cached organizations of every connection of the team (not deleted), by name."""
    result = await session.execute(
        select(Connection.id, Connection.name, Organization.platform_id, Organization.name)
        .join(Organization, Organization.connection_id == Connection.id)
        .where(Connection.team_id == team_id, Organization.deleted.is_(False))
        .order_by(Connection.name, Organization.name, Organization.platform_id)
    )
    return [CatalogEntry(cid, cname, pid, name) for cid, cname, pid, name in result]


async def team_locations(session: AsyncSession, *, team_id: str) -> list[CatalogEntry]:
    """The cached locations of every connection of the team (not deleted), by name."""
    result = await session.execute(
        select(
            Connection.id,
            Connection.name,
            Location.platform_id,
            Location.name,
            Location.organization_platform_id,
        )
        .join(Location, Location.connection_id == Connection.id)
        .where(Connection.team_id == team_id, Location.deleted.is_(False))
        .order_by(Connection.name, Location.name, Location.platform_id)
    )
    return [CatalogEntry(cid, cname, pid, name, org) for cid, cname, pid, name, org in result]
