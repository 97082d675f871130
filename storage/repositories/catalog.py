"""Organizations and locations: the names reviews, filters and digests refer to."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Location, Organization
from storage.repositories._dialect import dialect_insert

__all__ = [
    "LocationLike",
    "OrganizationLike",
    "location_names",
    "mark_location_deleted",
    "mark_organization_deleted",
    "organization_names",
    "upsert_locations",
    "upsert_organizations",
]


class OrganizationLike(Protocol):
    """What an organization upsert reads (``bot.domain.Organization`` fits)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...


class LocationLike(Protocol):
    """What a location upsert reads (``bot.domain.Location`` fits)."""

    @property
    def id(self) -> str: ...
    @property
    def organization_id(self) -> str | None: ...
    @property
    def name(self) -> str: ...


async def upsert_organizations(
    session: AsyncSession,
    *,
    connection_id: int,
    organizations: Iterable[OrganizationLike],
    now: datetime,
) -> None:
    """Insert or rename the given organizations of a connection (and undelete them)."""
    rows = [
        {
            "connection_id": connection_id,
            "platform_id": org.id,
            "name": org.name,
            "deleted": False,
            "updated_at": now,
        }
        for org in sorted(organizations, key=lambda o: o.id)  # a stable lock order
    ]
    if not rows:
        return
    stmt = dialect_insert(session, Organization).values(rows)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["connection_id", "platform_id"],
            set_={"name": stmt.excluded.name, "deleted": False, "updated_at": now},
        )
    )


async def upsert_locations(
    session: AsyncSession,
    *,
    connection_id: int,
    locations: Iterable[LocationLike],
    now: datetime,
) -> None:
    """Insert or rename the given locations of a connection (and undelete them)."""
    rows = [
        {
            "connection_id": connection_id,
            "platform_id": loc.id,
            "organization_platform_id": loc.organization_id,
            "name": loc.name,
            "deleted": False,
            "updated_at": now,
        }
        for loc in sorted(locations, key=lambda loc: loc.id)  # a stable lock order
    ]
    if not rows:
        return
    stmt = dialect_insert(session, Location).values(rows)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["connection_id", "platform_id"],
            set_={
                "name": stmt.excluded.name,
                "organization_platform_id": stmt.excluded.organization_platform_id,
                "deleted": False,
                "updated_at": now,
            },
        )
    )


async def organization_names(session: AsyncSession, *, connection_id: int) -> dict[str, str]:
    """Return platform id → name of every organization of a connection, deleted ones too."""
    result = await session.execute(
        select(Organization.platform_id, Organization.name).where(
            Organization.connection_id == connection_id
        )
    )
    return {platform_id: name for platform_id, name in result}


async def location_names(session: AsyncSession, *, connection_id: int) -> dict[str, str]:
    """Return platform id → name of every location of a connection, deleted ones too."""
    result = await session.execute(
        select(Location.platform_id, Location.name).where(Location.connection_id == connection_id)
    )
    return {platform_id: name for platform_id, name in result}


async def mark_organization_deleted(
    session: AsyncSession, *, connection_id: int, platform_id: str, now: datetime
) -> None:
    """Flag an organization deleted (its name stays for cards and digests of old reviews)."""
    await session.execute(
        update(Organization)
        .where(Organization.connection_id == connection_id, Organization.platform_id == platform_id)
        .values(deleted=True, updated_at=now)
    )


async def mark_location_deleted(
    session: AsyncSession, *, connection_id: int, platform_id: str, now: datetime
) -> None:
    """Flag a location deleted (its name stays for cards of old reviews)."""
    await session.execute(
        update(Location)
        .where(Location.connection_id == connection_id, Location.platform_id == platform_id)
        .values(deleted=True, updated_at=now)
    )
