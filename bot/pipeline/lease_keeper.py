"""The leases one process holds in one table, kept alive while it posts.

A ``ClaimRegistry`` knows which rows (deliveries, or roll-ups) this process holds; the keeper
writes their expiry, renews them in the background while a pass runs, and logs and counts a
write refused because another process took a row over. The sender and card updates keep the
deliveries' leases (``bot/pipeline/posting.py``), the roll-up poster its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Literal

from prometheus_client import Counter

from bot.deps import Deps
from bot.log import get_logger
from bot.pipeline.claims import ClaimRegistry
from bot.pipeline.write_gate import WriteGate
from storage.repositories.leases import Leased, Window, fail_held, renew_held, reschedule_held

__all__ = ["LeaseKeeper"]

log = get_logger(__name__)


class LeaseKeeper:
    """Expiry, renewal and lost-lease reporting of the rows ``claims`` holds in ``model``."""

    def __init__(
        self,
        deps: Deps,
        gate: WriteGate,
        claims: ClaimRegistry,
        model: Leased,
        *,
        kind: str,
        outcomes: Counter,
    ) -> None:
        self._deps = deps
        self._gate = gate
        self._claims = claims
        self._model = model
        self._kind = kind
        """``delivery`` or ``rollup``: log events and fields are named after it."""
        self._outcomes = outcomes
        """The kind's outcome counter; a lost lease counts as ``lease_lost``."""

    def lease_until(self) -> datetime:
        """The expiry of a lease taken or renewed now."""
        return self._deps.clock() + timedelta(seconds=self._claims.lease_seconds)

    @contextlib.asynccontextmanager
    async def renewing(self) -> AsyncIterator[None]:
        """Renew this process's leases in the background while the block runs."""
        task = asyncio.create_task(self._renew_forever(), name=f"pipeline-{self._kind}-leases")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self._claims.renew_every)
            try:
                await self.renew_leases()
            except Exception:  # a failed renewal is retried; the lease may lapse
                log.warning(f"{self._kind}_lease_renewal_failed", held=len(self._claims.ids()))

    async def renew_leases(self) -> None:
        """Extend every lease this process holds."""
        held = self._claims.ids()
        if not held:
            return
        deps = self._deps
        since = time.monotonic()
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            renewed = await renew_held(
                session, self._model, ids=held, owner=self._claims.owner, until=self.lease_until()
            )
        # One not renewed was written meanwhile, or lost: its write after the post tells which,
        # and until then it is not extended here, so nothing more is posted under it.
        self._claims.hold(renewed, since=since)

    async def reschedule(
        self,
        row_id: int,
        seconds: float,
        reason: str,
        *,
        unsure: Window | Literal["keep"] | None,
        undo_attempt: bool = False,
    ) -> bool:
        """Put a claimed row back in the queue for ``seconds``; False if its lease was lost.

        ``unsure``: where this or an earlier attempt may have posted (None: nowhere; ``keep``:
        as the row says). ``undo_attempt``: it was never tried (its channel got a 429 first).
        """
        deps = self._deps
        at = deps.clock() + timedelta(seconds=seconds)
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            done = await reschedule_held(
                session,
                self._model,
                row_id=row_id,
                owner=self._claims.owner,
                at=at,
                error=reason,
                unsure=unsure,
                undo_attempt=undo_attempt,
            )
        if not done:
            self.lease_lost(row_id, "reschedule")
        return done

    async def fail(self, row_id: int, reason: str) -> bool:
        """Give up on a claimed row (counted ``failed``); False if its lease was lost."""
        deps = self._deps
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            done = await fail_held(
                session, self._model, row_id=row_id, owner=self._claims.owner, error=reason
            )
        if not done:
            self.lease_lost(row_id, "fail")
            return False
        self._outcomes.labels("failed").inc()
        return True

    def lease_lost(self, row_id: int, step: str) -> None:
        """Log and count a write refused because another process now holds the row."""
        log.warning(f"{self._kind}_lease_lost", **{f"{self._kind}_id": row_id}, step=step)
        self._outcomes.labels("lease_lost").inc()
