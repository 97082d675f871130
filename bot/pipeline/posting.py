"""What posting cards and keeping them current share in one process.

``Posting`` is the state the sender (``bot/pipeline/sender.py``) and the card updates
(``bot/pipeline/card_updates.py``) both work through: the leases this process holds (claimed,
renewed while a pass runs, recovered once expired), each channel's pace, the Web API clients
without SDK retries, the history budget and Slack's clock for the windows unknown posts leave.
"""

from __future__ import annotations

import contextlib
import time
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.log import get_logger
from bot.pipeline.claims import ClaimRegistry
from bot.pipeline.history import CLOCK_MARGIN_SECONDS, TIER1, TIER3, HistoryBudget
from bot.pipeline.lease_keeper import LeaseKeeper
from bot.pipeline.pacing import Pacer
from bot.pipeline.slack_calls import sender_client
from bot.pipeline.write_gate import WriteGate
from storage.models import Delivery
from storage.repositories.deliveries import recover_expired

__all__ = ["Posting"]

log = get_logger(__name__)


class Posting:
    """Leases, pacing, clients and the history budget of this process's Slack posts."""

    def __init__(self, deps: Deps, gate: WriteGate, claims: ClaimRegistry) -> None:
        self._deps = deps
        self._gate = gate
        self._claims = claims
        self.leases = LeaseKeeper(
            deps, gate, claims, Delivery, kind="delivery", outcomes=deps.metrics.deliveries
        )
        self.wake = deps.signals.outbound
        """Wakes the sender (a card changed while it was being updated)."""
        self.pacer = Pacer()
        self._clients: dict[str, tuple[AsyncWebClient, AsyncWebClient]] = {}
        # An OAuth (distributed) install reads history at Tier 1, an internal app at Tier 3.
        self.history = HistoryBudget(TIER1 if deps.installations is not None else TIER3)
        self.wall = time.time
        """Slack's clock, for the windows unknown posts leave (``ts`` are epoch seconds)."""

    def unsure_since(self) -> float:
        """Where a post that starts now may land, give or take the clocks' difference."""
        return self.wall() - CLOCK_MARGIN_SECONDS

    def client_for(self, team_id: str) -> AsyncWebClient:
        """The team's Web API client, without SDK retries (LookupError for an unknown team)."""
        base = self._deps.slack_client(team_id)
        cached = self._clients.get(team_id)
        if cached is None or cached[0] is not base:
            cached = self._clients[team_id] = (base, sender_client(base))
        return cached[1]

    async def recover_orphans(self) -> int:
        """Requeue ``sending`` deliveries whose lease expired; returns how many."""
        deps = self._deps
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            recovered = await recover_expired(session, now=deps.clock())
        if recovered:
            log.info("deliveries_recovered", count=len(recovered))
        return len(recovered)

    def lease_until(self) -> datetime:
        """The expiry of a lease taken or renewed now."""
        return self.leases.lease_until()

    def renewing(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Renew this process's leases in the background while the block runs."""
        return self.leases.renewing()

    async def renew_leases(self) -> None:
        """Extend every lease this process holds."""
        await self.leases.renew_leases()

    def lease_lost(self, delivery_id: int, step: str) -> None:
        """Log and count a write refused because another process now holds the delivery."""
        self.leases.lease_lost(delivery_id, step)
