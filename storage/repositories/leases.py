"""The lease and the unsure window of a row posted to Slack exactly once: a delivery (a card;
``storage/repositories/deliveries.py``, ``card_updates.py``) or a roll-up (``rollups.py``).

A row being posted (or a posted message being edited) carries a lease: ``lease_owner`` (the
process) and ``lease_until``. ``unsure_from`` / ``unsure_to`` (Slack times) say where an
attempt of unknown outcome may have posted. The writes below are the ones both kinds share;
each checks the owner, so a process that lost its lease changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, Rollup

__all__ = [
    "ERROR_LIMIT",
    "KEEP",
    "LEASE_FREE",
    "Leased",
    "Window",
    "fail_held",
    "lease_expired",
    "open_window",
    "renew_held",
    "reschedule_held",
    "window_values",
]

Leased = type[Delivery] | type[Rollup]
"""The tables whose rows are posted under a lease."""

Window = tuple[float, float | None]
"""Slack times between which an earlier attempt may have posted (end None: up to now)."""
KEEP: Literal["keep"] = "keep"
"""For ``reschedule_held``/``defer_update``: leave the row's window as it is."""

ERROR_LIMIT = 500


LEASE_FREE = {"lease_owner": None, "lease_until": None}


def lease_expired(now: datetime, model: Leased = Delivery) -> ColumnElement[bool]:
    return or_(model.lease_until.is_(None), model.lease_until <= now)


def window_values(unsure: Window | Literal["keep"] | None) -> dict[str, object]:
    if unsure == KEEP:
        return {}
    if unsure is None:
        return {"unsure_from": None, "unsure_to": None}
    return {"unsure_from": unsure[0], "unsure_to": unsure[1]}


def open_window(started: float, model: Leased = Delivery) -> dict[str, object]:
    """From now on an attempt may post: the window opens (or widens) at ``started``."""
    return {"unsure_from": func.coalesce(model.unsure_from, started), "unsure_to": None}


async def renew_held(
    session: AsyncSession, model: Leased, *, ids: Sequence[int], owner: str, until: datetime
) -> list[int]:
    """Extend ``owner``'s leases to ``until``; returns the ids still held (the rest were lost)."""
    if not ids:
        return []
    result = await session.execute(
        update(model)
        .where(model.id.in_(list(ids)), model.lease_owner == owner)
        .values(lease_until=until)
        .returning(model.id)
    )
    return sorted(result.scalars())


async def reschedule_held(
    session: AsyncSession,
    model: Leased,
    *,
    row_id: int,
    owner: str,
    at: datetime,
    error: str,
    unsure: Window | Literal["keep"] | None,
    undo_attempt: bool = False,
) -> bool:
    """Put a claimed row back in the queue until ``at``; False if ``owner`` lost it.

    ``unsure``: where this or an earlier attempt may have posted (None: nowhere; ``KEEP``: as
    the row says). ``undo_attempt``: it was never tried (its channel got a 429 first).
    """
    values: dict[str, object] = {
        "status": "pending",
        "next_attempt_at": at,
        "last_error": error[:ERROR_LIMIT],
        **LEASE_FREE,
        **window_values(unsure),
    }
    if undo_attempt:
        values["attempts"] = model.attempts - 1
    result = await session.execute(
        update(model)
        .where(model.id == row_id, model.status == "sending", model.lease_owner == owner)
        .values(**values)
        .returning(model.id)
    )
    return result.scalar_one_or_none() is not None


async def fail_held(
    session: AsyncSession, model: Leased, *, row_id: int, owner: str, error: str
) -> bool:
    """Give up on a claimed row (status ``failed``, with why); False if ``owner`` lost it."""
    result = await session.execute(
        update(model)
        .where(model.id == row_id, model.status == "sending", model.lease_owner == owner)
        .values(
            status="failed", last_error=error[:ERROR_LIMIT], **LEASE_FREE, **window_values(None)
        )
        .returning(model.id)
    )
    return result.scalar_one_or_none() is not None
