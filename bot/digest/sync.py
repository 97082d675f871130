"""The catch-up sync before a digest: the organization's last 14 days, read again from the
platform and routed like a poll, so that a missed webhook never skews the figures.

New reviews found this way are stored without cards (a digest is not the place to flood a
channel with late cards); changed ones are updated as usual.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import timedelta

from bot import errors
from bot.digest.resources import DigestResources
from bot.domain import Review
from bot.log import get_logger
from bot.pipeline.fanout import RouteContext, route_review
from bot.pipeline.records import NameCache
from bot.pipeline.write_gate import WriteGate
from storage.conflicts import retry_conflicts
from storage.models import Connection

__all__ = ["CATCH_UP_WINDOW", "CatchUp"]

log = get_logger(__name__)

CATCH_UP_WINDOW = timedelta(days=14)
# Digests of one connection made together (all Mondays at 09:00) share one read.
FRESH_SECONDS = 600.0


class CatchUp:
    """Reads recent reviews of organizations again and routes them (no cards for new ones)."""

    def __init__(
        self,
        resources: DigestResources,
        gate: WriteGate,
        names: NameCache,
        slots: asyncio.Semaphore,
    ) -> None:
        self._resources = resources
        self._gate = gate
        self._names = names
        self._slots = slots
        """The digests' database slots (:func:`bot.digest.runner.database_slots`)."""
        self._done: dict[tuple[int, str | None], float] = {}

    async def sync(self, connection_id: int, organization_ids: Iterable[str]) -> bool:
        """Catch up the organizations of one connection; False when the platform failed."""
        resources = self._resources
        wanted = sorted(set(organization_ids))
        # One organization: ask for it alone (where the platform filters); several: read all.
        scope = wanted[0] if len(wanted) == 1 else None
        if self._fresh(connection_id, scope) or (scope and self._fresh(connection_id, None)):
            return True
        async with self._slots, resources.sessions() as session:
            connection = await session.get(Connection, connection_id)
        if connection is None:
            return False
        since = resources.clock() - CATCH_UP_WINDOW
        try:
            reviews = await resources.providers.provider_for(connection).recent(scope, since)
        except (errors.ProviderError, errors.ConfigError) as exc:
            log.warning(
                "digest_catch_up_failed",
                connection=connection.name,
                platform=connection.platform,
                error=str(exc),
            )
            return False
        mine = [r for r in reviews if r.organization_id in wanted or scope is None]
        await self._store(connection, mine)
        self._done[(connection_id, scope)] = time.monotonic()
        return True

    def _fresh(self, connection_id: int, scope: str | None) -> bool:
        done = self._done.get((connection_id, scope))
        return done is not None and time.monotonic() - done < FRESH_SECONDS

    async def _store(self, connection: Connection, reviews: list[Review]) -> None:
        resources = self._resources
        ordered = sorted(reviews, key=lambda r: r.id)  # the poller's key order

        async def transaction() -> RouteContext:
            async with (
                self._slots,
                self._gate.hold(),
                resources.sessions() as session,
                session.begin(),
            ):
                ctx = RouteContext.open(session, resources.clock(), self._names)
                # The connection row first, as the poller does: on PostgreSQL the two write the
                # same review rows, and taking this lock first keeps them from deadlocking.
                fresh = await session.get(
                    Connection, connection.id, populate_existing=True, with_for_update=True
                )
                if fresh is not None:  # else disconnected meanwhile
                    for review in ordered:
                        await route_review(ctx, fresh, review, cards_if_new=False)
            return ctx

        ctx = await retry_conflicts(transaction)
        if ctx.queued:
            resources.outbound.set()
