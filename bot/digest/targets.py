"""Which organizations a digest covers: one digest per organization a subscription covers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import Filter
from bot.pipeline.fanout import stored_filter
from storage.models import Connection, Organization, Review, Subscription
from storage.repositories.digests import digest_organization_key

__all__ = [
    "DigestTarget",
    "organizations_of_team",
    "subscription_targets",
]


@dataclass(frozen=True)
class DigestTarget:
    """One organization's digest for one channel (``subscription_id`` None: made on demand)."""

    team_id: str
    channel_id: str
    subscription_id: int | None
    connection_id: int
    connection_name: str
    platform: str
    organization_platform_id: str
    organization_name: str

    @property
    def organization_key(self) -> str:
        """The ``digest_runs.organization_key`` of this organization."""
        return digest_organization_key(self.connection_id, self.organization_platform_id)


@dataclass(frozen=True)
class _Org:
    connection: Connection
    platform_id: str
    name: str


async def _team_orgs(
    session: AsyncSession,
    team_id: str,
    covers: Callable[[Connection], bool] = lambda connection: True,
) -> list[_Org]:
    """Every organization of the team's connections that ``covers`` accepts: the cached list,
    plus any that only appears in stored reviews (a Gumado token without
    ``organizations:read`` has no list)."""
    connections = {
        c.id: c
        for c in (
            await session.scalars(
                select(Connection).where(Connection.team_id == team_id).order_by(Connection.id)
            )
        ).all()
        if covers(c)  # before the scan of the reviews below, which reads every one of theirs
    }
    if not connections:
        return []
    found: dict[tuple[int, str], _Org] = {}
    rows = await session.execute(
        select(Organization.connection_id, Organization.platform_id, Organization.name)
        .where(Organization.connection_id.in_(connections), Organization.deleted.is_(False))
        .order_by(Organization.name, Organization.platform_id)
    )
    for connection_id, platform_id, name in rows:
        found[(connection_id, platform_id)] = _Org(connections[connection_id], platform_id, name)
    gone = await session.execute(
        select(Organization.connection_id, Organization.platform_id).where(
            Organization.connection_id.in_(connections), Organization.deleted.is_(True)
        )
    )
    deleted = {(connection_id, platform_id) for connection_id, platform_id in gone}
    seen_in_reviews = await session.execute(
        select(Review.connection_id, Review.organization_platform_id)
        .where(Review.connection_id.in_(connections), Review.organization_platform_id.is_not(None))
        .distinct()
    )
    for connection_id, review_org in seen_in_reviews:
        key = (connection_id, review_org or "")
        if review_org and key not in found and key not in deleted:
            found[key] = _Org(connections[connection_id], review_org, "")
    return sorted(
        found.values(),
        key=lambda o: (o.connection.name, (o.name or o.platform_id).casefold(), o.platform_id),
    )


def _covers_connection(subscription: Subscription, wanted: Filter, connection: Connection) -> bool:
    if subscription.connection_id is not None:
        return subscription.connection_id == connection.id
    if wanted.connection is None:
        return True
    return wanted.connection.casefold() in (connection.name.casefold(), str(connection.id))


def _target(org: _Org, channel_id: str, subscription_id: int | None) -> DigestTarget:
    return DigestTarget(
        team_id=org.connection.team_id,
        channel_id=channel_id,
        subscription_id=subscription_id,
        connection_id=org.connection.id,
        connection_name=org.connection.name,
        platform=org.connection.platform,
        organization_platform_id=org.platform_id,
        organization_name=org.name or f"Organization {org.platform_id}",
    )


async def subscription_targets(
    session: AsyncSession, subscription: Subscription
) -> list[DigestTarget]:
    """The organizations ``subscription`` covers (its organization filter, or all of them).

    A digest is about an organization as a whole: the subscription's rating, source and
    location filters choose cards, not what the weekly figures count.
    """
    wanted = stored_filter(subscription)
    if wanted is None:
        return []
    orgs = await _team_orgs(
        session,
        subscription.team_id,
        lambda connection: _covers_connection(subscription, wanted, connection),
    )
    return [
        _target(org, subscription.channel_id, subscription.id)
        for org in orgs
        if wanted.covers_organization(org.platform_id, org.name or None)
    ]


async def organizations_of_team(
    session: AsyncSession, *, team_id: str, channel_id: str, query: str
) -> list[DigestTarget]:
    """The team's organizations whose name or id is ``query`` (case-insensitive), for this channel."""
    wanted = Filter(organization=query)
    return [
        _target(org, channel_id, None)
        for org in await _team_orgs(session, team_id)
        if wanted.covers_organization(org.platform_id, org.name or None)
    ]
