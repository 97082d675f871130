"""Which deliveries this process holds a lease on, so they are renewed while their posts run.

The lease itself is in the ``deliveries`` row (owner and expiry, see
``storage/repositories/leases.py``): it survives a database outage, unlike a session
lock, and another replica recovers a delivery only once its lease has expired. This registry
is the process's side: its owner id and, per held delivery, until when the lease is known to
hold (the claim's or last renewal's commit). Nothing is posted under a lease that might lapse
before Slack answers.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

__all__ = ["ClaimRegistry"]


class ClaimRegistry:
    """This process's owner id and the leases it holds."""

    def __init__(self, lease_seconds: float) -> None:
        self.owner = uuid.uuid4().hex
        self.lease_seconds = lease_seconds
        self._good_until: dict[int, float] = {}

    @property
    def renew_every(self) -> float:
        """Renew three times per lease: two renewals may fail before it lapses."""
        return self.lease_seconds / 3

    def held(self, delivery_id: int) -> bool:
        """True if this process holds ``delivery_id``."""
        return delivery_id in self._good_until

    def ids(self) -> list[int]:
        """Every delivery id held."""
        return sorted(self._good_until)

    def hold(self, delivery_ids: Iterable[int], *, since: float) -> None:
        """Record leases committed (claimed or renewed) at monotonic time ``since``."""
        for delivery_id in delivery_ids:
            self._good_until[delivery_id] = since + self.lease_seconds

    def safe_to_call(self, delivery_id: int) -> bool:
        """True if the lease holds long enough for one more Slack call (a third of it)."""
        good_until = self._good_until.get(delivery_id)
        return good_until is not None and time.monotonic() < good_until - self.renew_every

    def release(self, delivery_id: int) -> None:
        """Stop renewing ``delivery_id`` (its row was written, or its lease is left to expire)."""
        self._good_until.pop(delivery_id, None)

    def close(self) -> None:
        """Forget every lease: those still in the rows expire and are recovered."""
        self._good_until.clear()
