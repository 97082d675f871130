"""The router: claims committed webhook events and turns them into reviews, names and deliveries.

A batch is routed in one transaction. If one of its events fails, the batch is rolled back
and routed again with a savepoint per event, so the failing one rolls back alone; it is retried
on later passes and marked ``failed`` (with the error) after ``MAX_ATTEMPTS``, or at once when
its payload cannot be read — a poison event never blocks the queue and is never lost silently.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.log import get_logger
from bot.pipeline.fanout import RECENT, RouteContext, route_review
from bot.pipeline.records import NameCache
from bot.pipeline.stage_loop import StageLoop, is_unreachable
from bot.pipeline.write_gate import WriteGate
from bot.providers.protocol import PayloadError
from bot.providers.registry import PLATFORMS
from storage.models import Connection, InboundEvent
from storage.repositories import claim_pending_events, upsert_locations, upsert_organizations
from storage.repositories.catalog import mark_location_deleted, mark_organization_deleted
from storage.repositories.events import fail_event, finish_event, finish_events

__all__ = ["MAX_ATTEMPTS", "Router", "route_event"]

log = get_logger(__name__)

MAX_ATTEMPTS = 5
TICK_SECONDS = 5.0
# While webhooks stream in, one event is routed this often. Its transaction holds the write
# gate for 15-25 ms on a busy loop (each aiosqlite call waits a loop turn), and every webhook
# arriving meanwhile waits for it: 0.25 s put ~4 % of a stream's answers behind one.
MAX_GIVE_WAY_SECONDS = 1.0
GIVE_WAY_STEP_SECONDS = 0.005


class _RouteCarefully(Exception):
    """An event of the batch failed: route the batch again, one savepoint per event."""


async def route_event(ctx: RouteContext, connection: Connection, event: InboundEvent) -> None:
    """Apply one webhook event (PayloadError when its payload is unreadable)."""
    known = PLATFORMS.get(connection.platform)
    webhooks = known.info.webhooks if known is not None else None
    if webhooks is None:
        raise PayloadError("the event's connection is of a platform without webhooks")
    change = webhooks.change(event.event_type, event.payload)
    if change.review is not None:
        review = change.review
        # An update of a review we never saw is news only if the review is recent.
        cards = change.review_created or review.published_at >= ctx.now - RECENT
        await route_review(ctx, connection, review, cards_if_new=cards)
    elif change.organization is not None:
        await upsert_organizations(
            ctx.session,
            connection_id=connection.id,
            organizations=[change.organization],
            now=ctx.now,
        )
        ctx.names.forget(connection.id)
    elif change.location is not None:
        await upsert_locations(
            ctx.session, connection_id=connection.id, locations=[change.location], now=ctx.now
        )
        ctx.names.forget(connection.id)
    elif change.deleted_organization_id is not None:
        await mark_organization_deleted(
            ctx.session,
            connection_id=connection.id,
            platform_id=change.deleted_organization_id,
            now=ctx.now,
        )
    elif change.deleted_location_id is not None:
        await mark_location_deleted(
            ctx.session,
            connection_id=connection.id,
            platform_id=change.deleted_location_id,
            now=ctx.now,
        )


async def _route_with_connection(ctx: RouteContext, event: InboundEvent) -> None:
    connection = await ctx.connection(event.connection_id)
    if connection is None:
        raise PayloadError("the event's connection no longer exists")
    await route_event(ctx, connection, event)


def _database_failed(exc: Exception) -> bool:
    """True when the database itself failed (not this event's data): retry the whole batch."""
    return isinstance(exc, SQLAlchemyError) and not isinstance(exc, IntegrityError | DataError)


class Router(StageLoop):
    """Drains ``inbound_events``; woken by intake through ``deps.signals.inbound``."""

    name = "router"

    def __init__(
        self,
        deps: Deps,
        gate: WriteGate,
        *,
        batch: int,
        names: NameCache | None = None,
        give_way: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__(tick=TICK_SECONDS, wake=deps.signals.inbound)
        self._deps = deps
        self._gate = gate
        self._batch = batch
        self._names = names if names is not None else NameCache()
        self._give_way = give_way

    async def run_once(self) -> float | None:
        """Route batches until the queue is empty (or a batch had failures: retry next tick).

        While webhooks are being answered the router gives way (one process, one CPU):
        acknowledging fast is what keeps Gumado from retrying, and the committed queue
        absorbs the burst. It still routes a batch at least every ``MAX_GIVE_WAY_SECONDS``.
        """
        last_batch = time.monotonic()
        while not self.stopping:
            pressed = self._give_way()
            if pressed and time.monotonic() - last_batch < MAX_GIVE_WAY_SECONDS:
                await asyncio.sleep(GIVE_WAY_STEP_SECONDS)
                continue
            # Under pressure, one event at a time: the write lock is never held for long.
            limit = 1 if pressed else self._batch
            claimed, failures = await self.route_batch(limit)
            last_batch = time.monotonic()
            if claimed < limit or failures:
                break
        return None

    async def route_batch(self, limit: int | None = None) -> tuple[int, int]:
        """Claim and route one batch; returns (claimed, failed)."""
        size = limit or self._batch
        try:
            return await self._route_batch(size, carefully=False)
        except _RouteCarefully:
            return await self._route_batch(size, carefully=True)

    async def _route_batch(self, limit: int, *, carefully: bool) -> tuple[int, int]:
        deps = self._deps
        now = deps.clock()
        failures = 0
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            events = await claim_pending_events(session, limit=limit)
            if not events:
                return 0, 0
            ctx = RouteContext.open(session, now, self._names)
            if carefully:
                for event in events:
                    failures += not await self._route_one(ctx, session, event, now)
            else:
                for event in events:
                    try:
                        await _route_with_connection(ctx, event)
                    except Exception as exc:
                        if _database_failed(exc):
                            raise
                        raise _RouteCarefully from exc
                await finish_events(session, event_ids=[e.id for e in events], now=now)
                self._deps.metrics.inbound_events.labels("done").inc(len(events))
        if ctx.queued:
            deps.signals.outbound.set()
        if ctx.rollups:
            deps.signals.rollups.set()
        return len(events), failures

    async def _route_one(
        self, ctx: RouteContext, session: AsyncSession, event: InboundEvent, now: datetime
    ) -> bool:
        metrics = self._deps.metrics
        try:
            async with session.begin_nested():
                await _route_with_connection(ctx, event)
        except PayloadError as exc:
            await fail_event(
                session, event_id=event.id, error=str(exc), now=now, max_attempts=1, permanent=True
            )
            metrics.inbound_events.labels("failed").inc()
            log.warning("inbound_event_unreadable", event_id=event.id, reason=str(exc))
            return False
        except Exception as exc:
            if _database_failed(exc):
                raise  # the database itself failed: the whole batch is retried
            # Anything else is this event's problem: count it on the row, keep the queue moving.
            status = await fail_event(
                session,
                event_id=event.id,
                error=f"{type(exc).__name__}: {exc}",
                now=now,
                max_attempts=MAX_ATTEMPTS,
            )
            metrics.inbound_events.labels("failed" if status == "failed" else "retried").inc()
            log.warning(
                "inbound_event_failed",
                event_id=event.id,
                status=status,
                error=type(exc).__name__,
                exc_info=not is_unreachable(exc),
            )
            return False
        await finish_event(session, event_id=event.id, now=now)
        metrics.inbound_events.labels("done").inc()
        return True
