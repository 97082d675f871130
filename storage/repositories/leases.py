"""The lease and the unsure window of a delivery row, as the delivery and card-update queries
write them (``storage/repositories/deliveries.py``, ``storage/repositories/card_updates.py``).

A delivery being posted (or a posted card being updated) carries a lease: ``lease_owner``
(the process) and ``lease_until``. ``unsure_from`` / ``unsure_to`` (Slack times) say where an
attempt of unknown outcome may have posted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, func, or_

from storage.models import Delivery

__all__ = [
    "ERROR_LIMIT",
    "KEEP",
    "LEASE_FREE",
    "Window",
    "lease_expired",
    "open_window",
    "window_values",
]

Window = tuple[float, float | None]
"""Slack times between which an earlier attempt may have posted (end None: up to now)."""
KEEP: Literal["keep"] = "keep"
"""For ``reschedule_delivery``/``defer_update``: leave the row's window as it is."""

ERROR_LIMIT = 500


LEASE_FREE = {"lease_owner": None, "lease_until": None}


def lease_expired(now: datetime) -> ColumnElement[bool]:
    return or_(Delivery.lease_until.is_(None), Delivery.lease_until <= now)


def window_values(unsure: Window | Literal["keep"] | None) -> dict[str, object]:
    if unsure == KEEP:
        return {}
    if unsure is None:
        return {"unsure_from": None, "unsure_to": None}
    return {"unsure_from": unsure[0], "unsure_to": unsure[1]}


def open_window(started: float) -> dict[str, object]:
    """From now on an attempt may post: the window opens (or widens) at ``started``."""
    return {"unsure_from": func.coalesce(Delivery.unsure_from, started), "unsure_to": None}
