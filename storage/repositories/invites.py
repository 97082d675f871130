"""Invites sent from Slack: the row is claimed before the platform is called, so a double
submit (or Slack's retry of it) sends one invite. Contacts are stored only as salted hashes.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite
from storage.repositories._dialect import dialect_insert

__all__ = [
    "RETRYABLE_STATUSES",
    "claim_invite",
    "finish_invite",
    "get_invite",
    "recent_invite_to",
]

RETRYABLE_STATUSES = frozenset({"failed", "rejected", "unknown"})
"""A submission that ended so may be sent again with the same key."""


async def claim_invite(
    session: AsyncSession,
    *,
    submission_key: str,
    team_id: str,
    user_id: str,
    connection_id: int,
    campaign_id: str,
    organization_platform_id: str | None,
    contact_hash: str,
    now: datetime,
    stale_before: datetime,
) -> Invite | None:
    """Insert the invite as ``sending``; None when this submission is already sent or sending.

    A row of the same key that failed, or that has been ``sending`` since before
    ``stale_before`` (the process died mid-send), is taken over instead.
    """
    inserted = await session.execute(
        dialect_insert(session, Invite)
        .values(
            submission_key=submission_key,
            team_id=team_id,
            user_id=user_id,
            connection_id=connection_id,
            campaign_id=campaign_id,
            organization_platform_id=organization_platform_id,
            contact_hash=contact_hash,
            status="sending",
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["submission_key"])
        .returning(Invite.id)
    )
    invite_id = inserted.scalar_one_or_none()
    if invite_id is None:
        retaken = await session.execute(
            update(Invite)
            .where(
                Invite.submission_key == submission_key,
                or_(
                    Invite.status.in_(RETRYABLE_STATUSES),
                    (Invite.status == "sending") & (Invite.created_at < stale_before),
                ),
            )
            .values(status="sending", created_at=now, platform_invite_id=None, user_id=user_id)
            .returning(Invite.id)
        )
        invite_id = retaken.scalar_one_or_none()
    if invite_id is None:
        return None
    return await session.get(Invite, invite_id, populate_existing=True)


async def get_invite(session: AsyncSession, *, submission_key: str) -> Invite | None:
    """The invite of one modal submission, if any."""
    result = await session.execute(select(Invite).where(Invite.submission_key == submission_key))
    return result.scalar_one_or_none()


async def finish_invite(
    session: AsyncSession,
    *,
    invite_id: int,
    status: str,
    platform_invite_id: str | None = None,
) -> None:
    """Record how a claimed invite ended: ``sent`` (with the platform's id) or a failure."""
    await session.execute(
        update(Invite)
        .where(Invite.id == invite_id)
        .values(status=status, platform_invite_id=platform_invite_id)
    )


async def recent_invite_to(
    session: AsyncSession,
    *,
    connection_id: int,
    campaign_id: str,
    contact_parts: Collection[str],
    since: datetime,
    exclude_id: int | None = None,
) -> Invite | None:
    """The newest invite sent through this campaign to any of these contact hashes since ``since``.

    ``contact_hash`` holds one hashed part per channel (email, phone); the platform treats the
    same email *or* phone as the same contact, so any shared part counts.
    """
    if not contact_parts:
        return None
    query = (
        select(Invite)
        .where(
            Invite.connection_id == connection_id,
            Invite.campaign_id == campaign_id,
            Invite.status == "sent",
            Invite.created_at >= since,
            or_(*(Invite.contact_hash.contains(part, autoescape=True) for part in contact_parts)),
        )
        .order_by(Invite.created_at.desc(), Invite.id.desc())
        .limit(1)
    )
    if exclude_id is not None:
        query = query.where(Invite.id != exclude_id)
    return (await session.execute(query)).scalar_one_or_none()
