"""The poller: new and changed reviews of Cloutly (no webhooks) and of quiet Gumado connections.

Every ``POLL_INTERVAL_SECONDS`` each Cloutly connection, and each Gumado connection without a
webhook in the last 24 hours, is read and every review goes through ``route_review`` — the
same step webhooks take — directly rather than through ``inbound_events``: a poll result is
already normalized and can be fetched again, and the cursor commits in the same transaction
as the reviews, so a crash just means the next poll reads the same reviews again.

The first poll of a connection with no stored reviews is a *baseline*: the newest reviews are
stored without cards, and the oldest of them becomes the horizon. Afterwards a review we do not
know gets a card only if it is newer than the horizon (it was not there at baseline time) and
no older than a week (so an imported backlog does not flood channels).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot import errors
from bot.deps import Deps
from bot.domain import Organization, Review
from bot.log import get_logger
from bot.pipeline.fanout import RECENT, RouteContext, route_review
from bot.pipeline.records import NameCache
from bot.pipeline.stage_loop import StageLoop
from bot.pipeline.write_gate import WriteGate
from bot.providers.cursor import PollCursor
from bot.providers.protocol import Provider
from bot.providers.registry import UnknownPlatform, platform_info
from storage.conflicts import retry_conflicts
from storage.models import Connection
from storage.repositories import upsert_organizations
from storage.repositories.connections import (
    all_connections,
    claim_poll,
    record_poll_failure,
    record_poll_success,
)
from storage.repositories.reviews import newest_review_at

__all__ = ["WEBHOOK_QUIET", "PollCursor", "Poller"]

log = get_logger(__name__)

# A connection with webhooks is polled once it has had no webhook for this long.
WEBHOOK_QUIET = timedelta(hours=24)
ORGANIZATION_SYNC_SECONDS = 3600.0


class Poller(StageLoop):
    """Polls due connections every ``poll_interval_seconds`` (first pass at start-up)."""

    name = "poller"

    def __init__(self, deps: Deps, gate: WriteGate, *, names: NameCache | None = None) -> None:
        super().__init__(tick=float(deps.settings.poll_interval_seconds))
        self._deps = deps
        self._gate = gate
        self._names = names if names is not None else NameCache()
        self._pass_lock = asyncio.Lock()
        self._blocked_until: dict[int, float] = {}
        self._organizations_synced: dict[int, float] = {}

    async def run_once(self) -> float | None:
        """Poll every connection that is due."""
        await self._pass(force=False)
        return None

    async def poll_now(self) -> None:
        """Poll every connection that wants polling now, whenever it was last polled."""
        await self._pass(force=True)

    def wants_poll(self, connection: Connection, now: datetime) -> bool:
        """Platforms without webhooks always; others when no webhook came in 24 hours."""
        if self._blocked_until.get(connection.id, 0.0) > time.monotonic():
            return False
        try:
            has_webhooks = platform_info(connection.platform).has_webhooks
        except UnknownPlatform:
            return False
        last = connection.last_webhook_at
        return not has_webhooks or last is None or now - last >= WEBHOOK_QUIET

    async def _pass(self, *, force: bool) -> None:
        async with self._pass_lock:
            async with self._deps.sessions() as session:
                connections = await all_connections(session)
            for connection in connections:
                if self.stopping:
                    return
                if self.wants_poll(connection, self._deps.clock()):
                    await self.poll_connection(connection, force=force)

    async def _claim(self, connection: Connection, now: datetime) -> bool:
        gap = timedelta(seconds=self._deps.settings.poll_interval_seconds / 2)
        async with self._gate.hold(), self._deps.sessions() as session, session.begin():
            return await claim_poll(session, connection_id=connection.id, now=now, min_gap=gap)

    async def poll_connection(self, connection: Connection, *, force: bool = False) -> None:
        """Read one connection's reviews (and names) and route them."""
        deps = self._deps
        now = deps.clock()
        if not force and not await self._claim(connection, now):
            return  # another replica (or a recent pass) has it
        cursor = PollCursor.from_json(connection.poll_cursor)
        try:
            provider = deps.providers.provider_for(connection)
            organizations = await self._organizations(provider, connection)
            changes = await provider.changes(cursor)
            reviews, skipped = changes.reviews, changes.skipped
        except errors.RateLimited as exc:
            self._blocked_until[connection.id] = time.monotonic() + exc.retry_after
            await self._failed(connection, now, f"rate limited: {exc}", healthy=True)
            deps.metrics.polls.labels(connection.platform, "rate_limited").inc()
            return
        except (errors.ProviderError, errors.ConfigError) as exc:
            await self._failed(connection, now, str(exc), healthy=False)
            deps.metrics.polls.labels(connection.platform, "failed").inc()
            return
        if skipped:
            deps.metrics.reviews_skipped.labels(connection.platform).inc(skipped)
        baseline = await self._store(connection, cursor, organizations, reviews, now, skipped)
        deps.metrics.polls.labels(connection.platform, "baseline" if baseline else "ok").inc()

    async def _failed(
        self, connection: Connection, now: datetime, error: str, *, healthy: bool
    ) -> None:
        log.warning(
            "poll_failed", connection=connection.name, platform=connection.platform, error=error
        )
        async with self._gate.hold(), self._deps.sessions() as session, session.begin():
            await record_poll_failure(
                session, connection_id=connection.id, now=now, error=error, healthy=healthy
            )

    async def _organizations(
        self, provider: Provider, connection: Connection
    ) -> list[Organization] | None:
        last = self._organizations_synced.get(connection.id)
        if last is not None and time.monotonic() - last < ORGANIZATION_SYNC_SECONDS:
            return None
        self._organizations_synced[connection.id] = time.monotonic()
        return await provider.organizations()

    async def _store(
        self,
        connection: Connection,
        cursor: PollCursor,
        organizations: list[Organization] | None,
        reviews: list[Review],
        now: datetime,
        skipped: int = 0,
    ) -> bool:
        """Route the reviews and move the cursor in one transaction; True for a baseline.

        Reviews are written in a stable key order (their platform id), as the digest catch-up
        writes them, and a transaction PostgreSQL aborts as a deadlock runs again.
        """
        deps = self._deps
        ordered = sorted(reviews, key=lambda r: r.id)

        async def transaction() -> tuple[RouteContext, bool]:
            async with self._gate.hold(), deps.sessions() as session, session.begin():
                ctx = RouteContext.open(session, now, self._names)
                # The connection row first, as start-up's refresh does: the same lock order on
                # PostgreSQL, so a replica starting while another polls cannot deadlock with it.
                fresh = await session.get(
                    Connection, connection.id, populate_existing=True, with_for_update=True
                )
                if fresh is None:
                    return ctx, False
                if organizations:
                    await upsert_organizations(
                        session, connection_id=connection.id, organizations=organizations, now=now
                    )
                    ctx.names.forget(connection.id)
                horizon, start, baseline = await _horizon(
                    session, connection.id, cursor, reviews, now
                )
                for review in ordered:
                    new_enough = (
                        review.published_at > horizon and review.published_at >= now - RECENT
                    )
                    await route_review(ctx, fresh, review, cards_if_new=not baseline and new_enough)
                await record_poll_success(
                    session,
                    connection_id=connection.id,
                    now=now,
                    cursor=start.advanced(reviews).to_json(),
                    skipped=skipped,
                )
            return ctx, baseline

        ctx, baseline = await retry_conflicts(transaction)
        if ctx.queued:
            deps.signals.outbound.set()
        if ctx.rollups:
            deps.signals.rollups.set()
        if baseline:
            log.info("poll_baseline", connection=connection.name, reviews=len(reviews))
        return baseline


async def _horizon(
    session: AsyncSession,
    connection_id: int,
    cursor: PollCursor,
    reviews: list[Review],
    now: datetime,
) -> tuple[datetime, PollCursor, bool]:
    """Where new reviews begin, the cursor to advance, and whether this poll is a baseline.

    The cursor's horizon once it has one; a first poll takes the newest stored review, or
    (nothing stored: a baseline) the newest review seen.
    """
    horizon = cursor.horizon
    if horizon is not None:
        return horizon, cursor, False
    stored_newest = await newest_review_at(session, connection_id=connection_id)
    baseline = stored_newest is None
    # The newest review seen, whatever order the platform listed them in:
    # anything newer arrived after the baseline.
    horizon = stored_newest or max((r.published_at for r in reviews), default=now)
    return horizon, PollCursor(horizon=horizon), baseline
