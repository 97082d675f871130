"""The sender: posts queued review cards to Slack, exactly once per (channel, review).

A claimed delivery is committed as ``sending`` (one more attempt counted) under this
process's lease (owner and expiry in the row), renewed while its post runs. Every write after
the post checks the owner: a process that lost its lease writes nothing, and whoever holds the
row next settles the post's outcome.

A post whose outcome is unknown — it timed out or lost its connection, or its process died —
leaves the stretch of Slack time it may have landed in on the row (``unsure_from``/``_to``).
Before such a delivery is posted again, one history read per channel looks for all of that
channel's unknown cards by the delivery id in their metadata (``bot/pipeline/history.py``,
within the install's history tier); a card found is adopted, one known absent is posted, and
one the read could not settle waits for the next read without holding up the channel's other
cards. An error answer (5xx, 429, a refusal) means nothing was posted: no history is read.

An error in one delivery ends neither its channel's loop nor the others': it is logged, the
delivery retried later (or its lease left to expire), and the next card goes on.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from typing import Literal

from sqlalchemy.exc import SQLAlchemyError

from bot.blocks.card import EVENT_TYPE_REVIEW_CARD
from bot.deps import Deps
from bot.log import get_logger
from bot.pipeline import history
from bot.pipeline.card_updates import update_due_cards
from bot.pipeline.claims import ClaimRegistry
from bot.pipeline.history import (
    Lookup,
    Unsure,
    look_for_posts,
    unanswered_window,
)
from bot.pipeline.posting import Posting
from bot.pipeline.records import CardNames, card_for_delivery
from bot.pipeline.slack_calls import (
    Permanent,
    SlackRateLimited,
    Transient,
    Unanswered,
    post_message,
)
from bot.pipeline.stage_loop import StageLoop
from bot.pipeline.write_gate import WriteGate
from storage.models import Delivery
from storage.repositories.deliveries import (
    KEEP,
    Window,
    due_deliveries,
    mark_sending,
    mark_sent,
    next_delivery_due,
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


class Sender(StageLoop):
    """Posts due deliveries and applies due card updates; woken by ``deps.signals.outbound``."""

    name = "sender"

    def __init__(self, deps: Deps, gate: WriteGate, claims: ClaimRegistry) -> None:
        super().__init__(tick=TICK_SECONDS, wake=deps.signals.outbound)
        self._deps = deps
        self._gate = gate
        self._claims = claims
        self.posting = Posting(deps, gate, claims)
        self._due_at: float | None = None

    def idle_hint(self) -> bool:
        """Idle unless a post or update is due within the busy horizon."""
        return self._due_at is None or self._due_at - time.monotonic() > BUSY_HORIZON_SECONDS

    async def run_once(self) -> float | None:
        """Recover orphans, post what is due, update what changed; return when to look again."""
        await self.posting.recover_orphans()
        async with self.posting.renewing():
            progress = await self._send_due()
            progress += await update_due_cards(self._deps, self._gate, self._claims, self.posting)
        return await self._next_wait(progress)

    async def _claim(self) -> list[tuple[Delivery, int]]:
        """Claim due deliveries within each channel's pace: (delivery, this attempt's number)."""
        deps = self._deps
        since = time.monotonic()
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            rows = await due_deliveries(
                session,
                now=deps.clock(),
                limit=CLAIM_LIMIT,
                skip_channels=self.posting.pacer.blocked_channels(),
            )
            taken: Counter[tuple[str, str]] = Counter()
            wanted: list[tuple[Delivery, int]] = []
            for delivery in rows:
                key = (delivery.team_id, delivery.channel_id)
                if taken[key] >= self.posting.pacer.of(*key).available():
                    continue
                taken[key] += 1
                # This attempt's number, before the claim's UPDATE counts it in the loaded row.
                wanted.append((delivery, delivery.attempts + 1))
            # The rows stay as loaded (their window before this claim opens it): detach them.
            session.expunge_all()
            claimed = set(
                await mark_sending(
                    session,
                    delivery_ids=[d.id for d, _ in wanted],
                    owner=self._claims.owner,
                    until=self.posting.lease_until(),
                    started=self.posting.unsure_since(),
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
        looked = await self._look_for_unknown_posts(deliveries)
        waiting: float | None = None
        for delivery, attempt in deliveries:
            try:
                key = str(delivery.id)
                if key in looked.found:
                    await self._record_sent(delivery, looked.found[key], adopted=True)
                elif key in looked.unsettled:
                    # Its earlier post may be in the channel: wait for the next history read
                    # (the other cards go on meanwhile).
                    left = looked.unsettled[key]
                    await self._reschedule(
                        delivery,
                        looked.retry_after,
                        "waiting to read the channel's history",
                        unsure=(left.start, left.end),
                        undo_attempt=True,
                    )
                elif waiting is not None:
                    await self._reschedule(
                        delivery,
                        waiting,
                        "waiting for Slack's rate limit",
                        unsure=None,
                        undo_attempt=True,
                    )
                else:
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

    async def _look_for_unknown_posts(self, deliveries: list[tuple[Delivery, int]]) -> Lookup:
        """One history read for the channel's deliveries whose earlier post may be there."""
        unsure = [
            Unsure(str(d.id), d.unsure_from, d.unsure_to)
            for d, _ in deliveries
            if d.unsure_from is not None
        ]
        if not unsure:
            return Lookup()
        first = deliveries[0][0]
        try:
            client = self.posting.client_for(first.team_id)
        except LookupError:
            return Lookup(absent={u.key for u in unsure})  # each then fails as not installed
        try:
            looked = await look_for_posts(
                client,
                team_id=first.team_id,
                channel=first.channel_id,
                unsure=unsure,
                event_type=EVENT_TYPE_REVIEW_CARD,
                key_field="delivery_id",
                budget=self.posting.history,
                metrics=self._deps.metrics,
                now=self.posting.wall,
            )
        except Exception:
            log.exception("slack_history_error", channel=first.channel_id)
            return Lookup(unsettled={u.key: u for u in unsure}, retry_after=30.0)
        log.info(
            "unknown_posts_looked_up",
            channel=first.channel_id,
            found=len(looked.found),
            absent=len(looked.absent),
            unsettled=len(looked.unsettled),
        )
        return looked

    async def _after_error(self, delivery: Delivery, attempt: int) -> None:
        """Retry a delivery that raised; if even that fails, let its lease expire.

        Its window stays as the claim left it: the error may have come after the post.
        """
        try:
            if attempt >= MAX_ATTEMPTS:
                await self._fail(delivery, "an unexpected error, repeatedly")
            else:
                await self._reschedule(
                    delivery, backoff_seconds(attempt), "an unexpected error", unsure=KEEP
                )
        except Exception:  # the database is likely down: the lease lapses
            log.warning("delivery_left_to_lease_expiry", delivery_id=delivery.id)

    async def _deliver(self, delivery: Delivery, attempt: int) -> float | None:
        """Post one card; returns a Retry-After wait when Slack said 429."""
        deps = self._deps
        metrics = deps.metrics
        try:
            client = self.posting.client_for(delivery.team_id)
        except LookupError:
            await self._fail(delivery, "the app is not installed in this workspace")
            return None
        async with deps.sessions() as session:
            built = await card_for_delivery(session, CardNames(session), delivery)
        if built is None:
            await self._fail(delivery, "the review is gone")
            return None
        payload, _ = built
        pace = self.posting.pacer.of(delivery.team_id, delivery.channel_id)
        if not self._claims.safe_to_call(delivery.id):
            # Renewals failed: the lease may lapse mid-post. Leave the row to expire;
            # whoever recovers it looks for the card before posting.
            log.warning("delivery_lease_unsure", delivery_id=delivery.id)
            return None
        started = self.posting.unsure_since()
        try:
            pace.take()
            ts = await post_message(client, delivery.channel_id, payload, metrics)
        except SlackRateLimited as exc:
            pace.block(exc.retry_after)
            # A 429 means Slack did nothing: this attempt does not count.
            await self._reschedule(
                delivery, exc.retry_after, exc.reason, unsure=None, undo_attempt=True
            )
            metrics.deliveries.labels("retried").inc()
            return exc.retry_after
        except Transient as exc:
            unsure: Window | None = None
            wait = backoff_seconds(attempt)
            if isinstance(exc, Unanswered):
                # No answer: the card may land until the window's end; look after that.
                unsure = unanswered_window(started, self.posting.wall())
                wait = max(wait, history.LANDING_SECONDS)
            if attempt >= MAX_ATTEMPTS:
                await self._fail(delivery, f"Slack kept failing: {exc.reason}")
            else:
                await self._reschedule(delivery, wait, exc.reason, unsure=unsure)
                metrics.deliveries.labels("retried").inc()
            return None
        except Permanent as exc:
            await self._fail(delivery, exc.reason)
            return None
        await self._record_sent(delivery, ts, adopted=False)
        return None

    async def _record_sent(self, delivery: Delivery, ts: str, *, adopted: bool) -> None:
        """Record the card's ``ts`` (posted now, or found from an earlier attempt)."""
        deps = self._deps
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
            self.posting.lease_lost(delivery.id, "sent")
            return
        deps.metrics.deliveries.labels("adopted" if adopted else "sent").inc()
        if delivery.respond_by is not None:
            deps.signals.deadlines.set()  # a review first seen late is due at once

    async def _reschedule(
        self,
        delivery: Delivery,
        seconds: float,
        reason: str,
        *,
        unsure: Window | Literal["keep"] | None,
        undo_attempt: bool = False,
    ) -> None:
        await self.posting.leases.reschedule(
            delivery.id, seconds, reason, unsure=unsure, undo_attempt=undo_attempt
        )

    async def _fail(self, delivery: Delivery, reason: str) -> None:
        if await self.posting.leases.fail(delivery.id, reason):
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
            pacing = self.posting.pacer.shortest_wait()
            seconds = 0.0 if progress else min(pacing if pacing is not None else 1.0, 1.0)
        self._due_at = time.monotonic() + seconds
        return seconds
