"""Inbound events: webhooks and poll results waiting for the router."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundEvent
from storage.repositories._dialect import dialect_insert, is_postgresql

__all__ = ["claim_pending_events", "insert_inbound_event"]


async def insert_inbound_event(
    session: AsyncSession,
    *,
    connection_id: int,
    event_type: str,
    dedupe_key: str,
    payload: dict[str, Any],
    now: datetime,
) -> bool:
    """Record an event unless one with its dedupe key exists; returns True if it was new."""
    result = await session.execute(
        dialect_insert(session, InboundEvent)
        .values(
            connection_id=connection_id,
            event_type=event_type,
            dedupe_key=dedupe_key,
            payload=payload,
            status="pending",
            attempts=0,
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["connection_id", "dedupe_key"])
        .returning(InboundEvent.id)
    )
    return result.scalar_one_or_none() is not None


async def claim_pending_events(session: AsyncSession, *, limit: int = 100) -> list[InboundEvent]:
    """Return up to ``limit`` pending events, oldest first, locked for this transaction.

    On PostgreSQL the rows stay locked until the caller commits and other replicas skip them;
    SQLite has one writer at a time anyway.
    """
    query = (
        select(InboundEvent)
        .where(InboundEvent.status == "pending")
        .order_by(InboundEvent.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    return list((await session.execute(query)).scalars())
