"""The sender: posts queued review cards to Slack, exactly once per (channel, review).

A claimed delivery is committed as ``sending`` (one more attempt counted) under this
process's lease (owner and expiry in the row), renewed while its post runs. Every write after
the post checks the owner: a process that lost its lease writes nothing, and whoever holds the
row next settles the post's outcome. Before posting a delivery that was attempted before —
after a 5xx or timeout, or recovered once its lease expired — the channel's recent history is
searched for a card carrying its delivery id in the message metadata; if one is there, its
``ts`` is adopted instead of posting again.

An error in one delivery ends neither its channel's loop nor the others': it is logged, the
delivery retried later (or its lease left to expire), and the next card goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.deps import Deps
from bot.log import get_logger
from bot.pipeline.card_updates import update_due_cards
from bot.pipeline.claims import ClaimRegistry
from bot.pipeline.pacing import Pacer
from bot.pipeline.records import CardNames, card_for_delivery
from bot.pipeline.slack_calls import (
    Permanent,
    RateLimited,
    Transient,
    find_card_message,
    post_message,
    sender_client,
)
from bot.pipeline.worker import Worker, WriteGate
from storage.models import Delivery
from storage.repositories.deliveries import (
    due_deliveries,
    fail_delivery,
    mark_sending,
    mark_sent,
    next_delivery_due,
    recover_expired,
    renew_leases,
    reschedule_delivery,
)

__all__ = ["MAX_ATTEMPTS", "Sender", "backoff_seconds"]

log = get_logger(__name__)

TICK_SECONDS = 5.0
CLAIM_LIMIT = 50
# 5xx / timeouts: 1, 2, 4 … 300 s, then every 5 minutes; failed after this many attempts.
MAX_ATTEMPTS = 12
BACKOFF_CAP_SECONDS = 300.0
# Work due within this horizon counts as "busy" (tests settle through it).
BUSY_HORIZON_SECONDS = 30.0


def backoff_seconds(attempt: int) -> float:
    """Wait before retry number ``attempt`` (1-based): doubling, capped, with 10% jitter."""
    base = min(BACKOFF_CAP_SECONDS, 2.0 ** max(0, attempt - 1))
    return base * (1.0 + random.random() / 10)  # noqa: S311 - jitter, not security


class Sender(Worker):
    """Posts due deliveries and applies due card updates; woken by ``deps.signals.outbound``."""

    name = "sender"

    def __init__(self, deps: Deps, gate: WriteGate, claims: ClaimRegistry) -> None:
        super().__init__(tick=TICK_SECONDS, wake=deps.signals.outbound)
        self._deps = deps
        self._gate = gate
        self._claims = claims
        self.pacer = Pacer()
        self._clients: dict[str, tuple[AsyncWebClient, AsyncWebClient]] = {}
        self._due_at: float | None = None

    def idle_hint(self) -> bool:
        """Idle unless a post or update is due within the busy horizon."""
        return self._due_at is None or self._due_at - time.monotonic() > BUSY_HORIZON_SECONDS

    def client_for(self, team_id: str) -> AsyncWebClient:
        """The team's Web API client, without SDK retries (LookupError for an unknown team)."""
        base = self._deps.slack_client(team_id)
        cached = self._clients.get(team_id)
        if cached is None or cached[0] is not base:
            cached = self._clients[team_id] = (base, sender_client(base))
        return cached[1]

    async def run_once(self) -> float | None:
        """Recover orphans, post what is due, update what changed; return when to look again."""
        await self.recover_orphans()
        async with self.renewing():
            progress = await self._send_due()
            progress += await update_due_cards(self._deps, self._gate, self._claims, self)
        return await self._next_wait(progress)

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
        return self._deps.clock() + timedelta(seconds=self._claims.lease_seconds)

    @contextlib.asynccontextmanager
    async def renewing(self) -> AsyncIterator[None]:
        """Renew this process's leases in the background while the block runs."""
        task = asyncio.create_task(self._renew_forever(), name="pipeline-lease-renewal")
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
                log.warning("delivery_lease_renewal_failed", held=len(self._claims.ids()))

    async def renew_leases(self) -> None:
        """Extend every lease this process holds."""
        held = self._claims.ids()
        if not held:
            return
        deps = self._deps
        since = time.monotonic()
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            renewed = await renew_leases(
                session, delivery_ids=held, owner=self._claims.owner, until=self.lease_until()
            )
        # One not renewed was written meanwhile, or lost: its write after the post tells which,
        # and until then it is not extended here, so nothing more is posted under it.
        self._claims.hold(renewed, since=since)

    def lease_lost(self, delivery_id: int, step: str) -> None:
        """Log and count a write refused because another process now holds the delivery."""
        log.warning("delivery_lease_lost", delivery_id=delivery_id, step=step)
        self._deps.metrics.deliveries.labels("lease_lost").inc()

    async def _claim(self) -> list[tuple[Delivery, int]]:
        """Claim due deliveries within each channel's pace: (delivery, this attempt's number)."""
        deps = self._deps
        since = time.monotonic()
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            rows = await due_deliveries(
                session,
                now=deps.clock(),
                limit=CLAIM_LIMIT,
                skip_channels=self.pacer.blocked_channels(),
            )
            taken: Counter[tuple[str, str]] = Counter()
            wanted: list[tuple[Delivery, int]] = []
            for delivery in rows:
                key = (delivery.team_id, delivery.channel_id)
                if taken[key] >= self.pacer.of(*key).available():
                    continue
                taken[key] += 1
                # This attempt's number, before the claim's UPDATE counts it in the loaded row.
                wanted.append((delivery, delivery.attempts + 1))
            claimed = set(
                await mark_sending(
                    session,
                    delivery_ids=[d.id for d, _ in wanted],
                    owner=self._claims.owner,
                    until=self.lease_until(),
                )
            )
        self._claims.hold(claimed, since=since)
        return [(d, attempt) for d, attempt in wanted if d.id in claimed]

    async def _send_due(self) -> int:
        claimed = await self._claim()
        if not claimed:
            return 0
        by_channel: dict[tuple[str, str], list[tuple[Delivery, int]]] = defaultdict(list)
        for delivery, attempt in claimed:
            by_channel[(delivery.team_id, delivery.channel_id)].append((delivery, attempt))
        results = await asyncio.gather(
            *(self._send_channel(group) for group in by_channel.values()), return_exceptions=True
        )
        for (team_id, channel_id), result in zip(by_channel, results, strict=True):
            if isinstance(result, BaseException):
                log.error("channel_send_failed", team=team_id, channel=channel_id, exc_info=result)
        return len(claimed)

    async def _send_channel(self, deliveries: list[tuple[Delivery, int]]) -> None:
        """Post one channel's cards in order; a 429 puts the rest back untried."""
        waiting: float | None = None
        for delivery, attempt in deliveries:
            try:
                if waiting is not None:
                    await self._reschedule(
                        delivery, waiting, "waiting for Slack's rate limit", undo_attempt=True
                    )
                    continue
                waiting = await self._deliver(delivery, attempt)
            except (SQLAlchemyError, OSError) as exc:
                # The database is briefly unreachable: a warning, not a traceback.
                log.warning(
                    "delivery_database_error", delivery_id=delivery.id, error=type(exc).__name__
                )
                await self._after_error(delivery, attempt)
            except Exception:
                log.exception(
                    "delivery_error", delivery_id=delivery.id, channel=delivery.channel_id
                )
                await self._after_error(delivery, attempt)
            finally:
                self._claims.release(delivery.id)

    async def _after_error(self, delivery: Delivery, attempt: int) -> None:
        """Retry a delivery that raised (reconciling first); if even that fails, let it expire."""
        try:
            if attempt >= MAX_ATTEMPTS:
                await self._fail(delivery, "an unexpected error, repeatedly")
            else:
                await self._reschedule(delivery, backoff_seconds(attempt), "an unexpected error")
        except Exception:  # the database is likely down: the lease lapses
            log.warning("delivery_left_to_lease_expiry", delivery_id=delivery.id)

    async def _deliver(self, delivery: Delivery, attempt: int) -> float | None:
        """Post (or adopt) one card; returns a Retry-After wait when Slack said 429.

        ``attempt`` > 1: an earlier attempt may have reached Slack, so look for it first.
        """
        deps = self._deps
        metrics = deps.metrics
        try:
            client = self.client_for(delivery.team_id)
        except LookupError:
            await self._fail(delivery, "the app is not installed in this workspace")
            return None
        async with deps.sessions() as session:
            built = await card_for_delivery(session, CardNames(session), delivery)
        if built is None:
            await self._fail(delivery, "the review is gone")
            return None
        payload, _ = built
        pace = self.pacer.of(delivery.team_id, delivery.channel_id)
        try:
            ts = None
            if attempt > 1:
                ts = await find_card_message(client, delivery.channel_id, delivery.id, metrics)
            adopted = ts is not None
            if ts is None:
                if not self._claims.safe_to_call(delivery.id):
                    # Renewals failed: the lease may lapse mid-post. Leave the row to expire;
                    # whoever recovers it reconciles before posting.
                    log.warning("delivery_lease_unsure", delivery_id=delivery.id)
                    return None
                pace.take()
                ts = await post_message(client, delivery.channel_id, payload, metrics)
        except RateLimited as exc:
            pace.block(exc.retry_after)
            # A 429 means Slack did nothing: this attempt does not count (nor need reconciling).
            await self._reschedule(delivery, exc.retry_after, exc.reason, undo_attempt=True)
            metrics.deliveries.labels("retried").inc()
            return exc.retry_after
        except Transient as exc:
            if attempt >= MAX_ATTEMPTS:
                await self._fail(delivery, f"Slack kept failing: {exc.reason}")
            else:
                await self._reschedule(delivery, backoff_seconds(attempt), exc.reason)
                metrics.deliveries.labels("retried").inc()
            return None
        except Permanent as exc:
            await self._fail(delivery, exc.reason)
            return None
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            recorded = await mark_sent(
                session,
                delivery_id=delivery.id,
                owner=self._claims.owner,
                message_ts=ts,
                now=deps.clock(),
            )
        if not recorded:
            # Its lease lapsed and another process took it: that one adopts this card.
            self.lease_lost(delivery.id, "sent")
            return None
        metrics.deliveries.labels("adopted" if adopted else "sent").inc()
        return None

    async def _reschedule(
        self, delivery: Delivery, seconds: float, reason: str, *, undo_attempt: bool = False
    ) -> None:
        deps = self._deps
        at = deps.clock() + timedelta(seconds=seconds)
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            done = await reschedule_delivery(
                session,
                delivery_id=delivery.id,
                owner=self._claims.owner,
                at=at,
                error=reason,
                undo_attempt=undo_attempt,
            )
        if not done:
            self.lease_lost(delivery.id, "reschedule")

    async def _fail(self, delivery: Delivery, reason: str) -> None:
        deps = self._deps
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            done = await fail_delivery(
                session, delivery_id=delivery.id, owner=self._claims.owner, error=reason
            )
        if not done:
            self.lease_lost(delivery.id, "fail")
            return
        deps.metrics.deliveries.labels("failed").inc()
        log.warning(
            "delivery_failed",
            delivery_id=delivery.id,
            channel=delivery.channel_id,
            reason=reason,
        )

    async def _next_wait(self, progress: int) -> float | None:
        deps = self._deps
        async with deps.sessions() as session:
            due = await next_delivery_due(session)
        if due is None:
            self._due_at = None
            return None
        seconds = (due - deps.clock()).total_seconds()
        if seconds <= 0:
            # Due now: right away if the last pass got somewhere, else when a channel frees up.
            pacing = self.pacer.shortest_wait()
            seconds = 0.0 if progress else min(pacing if pacing is not None else 1.0, 1.0)
        self._due_at = time.monotonic() + seconds
        return seconds
