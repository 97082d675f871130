"""The roll-up poster: posts each channel's roll-up once its period is over, exactly once.

A due roll-up (its period ended, ``pending``) is claimed under this process's lease (owner and
expiry in the row, as the sender claims deliveries) and posted with its id in the message
metadata. Every write after the post checks the owner. A post of unknown outcome (no answer,
or the process died holding the lease) leaves the stretch of Slack time it may have landed in
on the row; before the roll-up is posted again one history read looks for it there
(``bot/pipeline/history.py``, within the install's tier, on the sender's budget). A review
joining a posted roll-up flags it, and the message is edited with ``chat.update``.

Posts share each channel's pace with the cards (the sender's ``Posting``). Nothing is held in
memory: on start the first pass finds in the database every roll-up whose period ended while
the app was down; afterwards the loop wakes at the next period's end, or when fanout joins a
review to a roll-up (``deps.signals.rollups``).
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy.exc import SQLAlchemyError

from bot.blocks.rollup import EVENT_TYPE_ROLLUP, SHOWN_REVIEWS, RollupSummary, build_rollup
from bot.deps import Deps
from bot.log import get_logger
from bot.pipeline import history
from bot.pipeline.claims import ClaimRegistry
from bot.pipeline.fanout import stored_filter
from bot.pipeline.history import Unsure, look_for_posts, unanswered_window
from bot.pipeline.lease_keeper import LeaseKeeper
from bot.pipeline.posting import Posting
from bot.pipeline.records import CardNames, review_from_row
from bot.pipeline.sender import MAX_ATTEMPTS, backoff_seconds
from bot.pipeline.slack_calls import (
    Permanent,
    SlackRateLimited,
    Transient,
    Unanswered,
    post_message,
    slack_call,
)
from bot.pipeline.stage_loop import StageLoop
from bot.pipeline.write_gate import WriteGate
from bot.results import ListedReview
from storage.models import Connection, Rollup, Subscription
from storage.repositories.leases import KEEP, Window
from storage.repositories.rollups import (
    claim_rollups,
    defer_rollup_edit,
    drop_empty_rollup,
    due_rollup_edits,
    due_rollups,
    finish_rollup_edit,
    mark_rollup_sent,
    next_rollup_due,
    recover_expired_rollups,
    rollup_contents,
    take_rollup_edit,
)

__all__ = ["RollupPoster"]

log = get_logger(__name__)

TICK_SECONDS = 30.0
CLAIM_LIMIT = 20
EDIT_LIMIT = 20
EDIT_RETRY_SECONDS = 10.0
HISTORY_RETRY_SECONDS = 30.0
BUSY_HORIZON_SECONDS = 5.0
"""A roll-up due this soon counts as work in hand (tests settle through it)."""


class RollupPoster(StageLoop):
    """Posts due roll-ups and edits posted ones a late review joined."""

    name = "rollups"

    def __init__(self, deps: Deps, gate: WriteGate, posting: Posting) -> None:
        super().__init__(tick=TICK_SECONDS, wake=deps.signals.rollups)
        self._deps = deps
        self._gate = gate
        self._posting = posting
        # Roll-up ids are not delivery ids: their leases are kept apart from the sender's.
        self._claims = ClaimRegistry(deps.settings.delivery_lease_seconds)
        self._leases = LeaseKeeper(
            deps, gate, self._claims, Rollup, kind="rollup", outcomes=deps.metrics.rollups
        )
        self._due_at: float | None = None

    def idle_hint(self) -> bool:
        """Idle unless a roll-up is due within the busy horizon."""
        return self._due_at is None or self._due_at - time.monotonic() > BUSY_HORIZON_SECONDS

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop; leases still in rows expire and are recovered."""
        await super().stop(timeout)
        self._claims.close()

    async def run_once(self) -> float | None:
        """Recover orphans, post what is due, edit what changed; return when to look again."""
        deps = self._deps
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            recovered = await recover_expired_rollups(session, now=deps.clock())
        if recovered:
            log.info("rollups_recovered", count=recovered)
        async with self._leases.renewing():
            progress = await self._post_due()
            progress += await self._edit_due()
        return await self._next_wait(progress)

    # -- leases ---------------------------------------------------------------------------

    # -- posting --------------------------------------------------------------------------

    async def _claim(self) -> list[tuple[Rollup, int]]:
        """Claim due roll-ups within each channel's pace: (roll-up as loaded, attempt number)."""
        deps, pacer = self._deps, self._posting.pacer
        since = time.monotonic()
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            rows = await due_rollups(
                session,
                now=deps.clock(),
                limit=CLAIM_LIMIT,
                skip_channels=pacer.blocked_channels(),
            )
            taken: Counter[tuple[str, str]] = Counter()
            wanted: list[tuple[Rollup, int]] = []
            for rollup in rows:
                key = (rollup.team_id, rollup.channel_id)
                if taken[key] >= pacer.of(*key).available():
                    continue
                taken[key] += 1
                wanted.append((rollup, rollup.attempts + 1))
            # Kept as loaded: the window before this claim opens it is what history is read for.
            session.expunge_all()
            claimed = set(
                await claim_rollups(
                    session,
                    rollup_ids=[r.id for r, _ in wanted],
                    owner=self._claims.owner,
                    until=self._leases.lease_until(),
                    started=self._posting.unsure_since(),
                )
            )
        self._claims.hold(claimed, since=since)
        return [(r, attempt) for r, attempt in wanted if r.id in claimed]

    async def _post_due(self) -> int:
        claimed = await self._claim()
        for rollup, attempt in claimed:
            try:
                await self._post(rollup, attempt)
            except (SQLAlchemyError, OSError) as exc:
                log.warning("rollup_database_error", rollup_id=rollup.id, error=type(exc).__name__)
                await self._after_error(rollup, attempt)
            except Exception:
                log.exception("rollup_error", rollup_id=rollup.id, channel=rollup.channel_id)
                await self._after_error(rollup, attempt)
            finally:
                self._claims.release(rollup.id)
        return len(claimed)

    async def _after_error(self, rollup: Rollup, attempt: int) -> None:
        """Retry a roll-up that raised (its window as the claim left it); else let it expire."""
        try:
            if attempt >= MAX_ATTEMPTS:
                await self._fail(rollup, "an unexpected error, repeatedly")
            else:
                await self._reschedule(
                    rollup, backoff_seconds(attempt), "an unexpected error", unsure=KEEP
                )
        except Exception:
            log.warning("rollup_left_to_lease_expiry", rollup_id=rollup.id)

    async def _post(self, rollup: Rollup, attempt: int) -> None:
        deps, posting = self._deps, self._posting
        metrics = deps.metrics
        try:
            client = posting.client_for(rollup.team_id)
        except LookupError:
            await self._fail(rollup, "the app is not installed in this workspace")
            return
        if rollup.unsure_from is not None and not await self._settle_earlier_post(rollup, client):
            return
        payload = await self._message(rollup)
        if payload is None:
            async with self._gate.hold(), deps.sessions() as session, session.begin():
                await drop_empty_rollup(session, rollup_id=rollup.id, owner=self._claims.owner)
            return
        if not self._claims.safe_to_call(rollup.id):
            log.warning("rollup_lease_unsure", rollup_id=rollup.id)
            return  # the lease lapses; whoever recovers it looks for the message first
        pace = posting.pacer.of(rollup.team_id, rollup.channel_id)
        started = posting.unsure_since()
        try:
            pace.take()
            ts = await post_message(client, rollup.channel_id, payload, metrics)
        except SlackRateLimited as exc:
            pace.block(exc.retry_after)
            await self._reschedule(
                rollup, exc.retry_after, exc.reason, unsure=None, undo_attempt=True
            )
            return
        except Transient as exc:
            unsure: Window | None = None
            wait = backoff_seconds(attempt)
            if isinstance(exc, Unanswered):
                unsure = unanswered_window(started, posting.wall())
                wait = max(wait, history.LANDING_SECONDS)
            if attempt >= MAX_ATTEMPTS:
                await self._fail(rollup, f"Slack kept failing: {exc.reason}")
            else:
                await self._reschedule(rollup, wait, exc.reason, unsure=unsure)
                metrics.rollups.labels("retried").inc()
            return
        except Permanent as exc:
            await self._fail(rollup, exc.reason)
            return
        await self._record_sent(rollup, ts, adopted=False)

    async def _settle_earlier_post(self, rollup: Rollup, client: Any) -> bool:
        """Look for an earlier attempt's message; True when it is known absent (post now)."""
        key, start = str(rollup.id), rollup.unsure_from or 0.0
        try:
            looked = await look_for_posts(
                client,
                team_id=rollup.team_id,
                channel=rollup.channel_id,
                unsure=[Unsure(key, start, rollup.unsure_to)],
                event_type=EVENT_TYPE_ROLLUP,
                key_field="rollup_id",
                budget=self._posting.history,
                metrics=self._deps.metrics,
                now=self._posting.wall,
            )
        except Exception:
            log.exception("slack_history_error", channel=rollup.channel_id)
            await self._reschedule(
                rollup,
                HISTORY_RETRY_SECONDS,
                "could not read the channel's history",
                unsure=KEEP,
                undo_attempt=True,
            )
            return False
        if key in looked.found:
            await self._record_sent(rollup, looked.found[key], adopted=True)
            return False
        if key in looked.unsettled:
            left = looked.unsettled[key]
            await self._reschedule(
                rollup,
                looked.retry_after,
                "waiting to read the channel's history",
                unsure=(left.start, left.end),
                undo_attempt=True,
            )
            return False
        return True

    async def _message(self, rollup: Rollup) -> dict[str, Any] | None:
        """The roll-up as it stands now (None when all its reviews are gone)."""
        deps = self._deps
        async with deps.sessions() as session:
            contents = await rollup_contents(session, rollup_id=rollup.id, limit=SHOWN_REVIEWS)
            if contents.total == 0:
                return None
            names = CardNames(session, deps.names)
            shown: list[ListedReview] = []
            for row in contents.first:
                connection = await session.get(Connection, row.connection_id)
                if connection is None:
                    continue
                review = review_from_row(row, connection.platform)
                organization, location = await names.of(connection.id, review)
                shown.append(ListedReview(review, organization, location))
            subscription = (
                await session.get(Subscription, rollup.subscription_id)
                if rollup.subscription_id is not None
                else None
            )
        wanted = stored_filter(subscription) if subscription is not None else None
        rating_range = (
            wanted.rollup
            if wanted is not None and wanted.rollup is not None
            else contents.ratings or (1, 5)
        )
        return build_rollup(
            RollupSummary(
                rollup_id=rollup.id,
                period_start=rollup.period_start,
                period_end=rollup.period_end,
                rating_range=rating_range,
                total=contents.total,
                average=contents.average,
                first=shown,
                see_all=wanted,
            )
        )

    async def _record_sent(self, rollup: Rollup, ts: str, *, adopted: bool) -> None:
        deps = self._deps
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            recorded = await mark_rollup_sent(
                session,
                rollup_id=rollup.id,
                owner=self._claims.owner,
                message_ts=ts,
                now=deps.clock(),
                # The message found was built before reviews that joined since: edit it.
                stale=adopted,
            )
        if not recorded:
            self._leases.lease_lost(rollup.id, "sent")
            return
        deps.metrics.rollups.labels("adopted" if adopted else "posted").inc()
        if adopted:
            self.wake.set()
        log.info("rollup_posted", rollup_id=rollup.id, channel=rollup.channel_id, adopted=adopted)

    async def _reschedule(
        self,
        rollup: Rollup,
        seconds: float,
        reason: str,
        *,
        unsure: Window | Literal["keep"] | None,
        undo_attempt: bool = False,
    ) -> None:
        await self._leases.reschedule(
            rollup.id, seconds, reason, unsure=unsure, undo_attempt=undo_attempt
        )

    async def _fail(self, rollup: Rollup, reason: str) -> None:
        if await self._leases.fail(rollup.id, reason):
            log.warning(
                "rollup_failed", rollup_id=rollup.id, channel=rollup.channel_id, reason=reason
            )

    # -- editing --------------------------------------------------------------------------

    async def _edit_due(self) -> int:
        deps = self._deps
        async with deps.sessions() as session:
            rows = await due_rollup_edits(session, now=deps.clock(), limit=EDIT_LIMIT)
        blocked = self._posting.pacer.blocked_channels()
        attempted = 0
        for rollup in rows:
            if rollup.channel_id in blocked:
                continue
            since = time.monotonic()
            async with self._gate.hold(), deps.sessions() as session, session.begin():
                taken = await take_rollup_edit(
                    session,
                    rollup_id=rollup.id,
                    owner=self._claims.owner,
                    now=deps.clock(),
                    until=self._leases.lease_until(),
                )
            if not taken:
                continue
            self._claims.hold([rollup.id], since=since)
            attempted += 1
            try:
                await self._edit(rollup)
            except Exception:
                # Its lease lapses; recovery flags the edit again.
                log.exception("rollup_edit_error", rollup_id=rollup.id)
            finally:
                self._claims.release(rollup.id)
        return attempted

    async def _edit(self, rollup: Rollup) -> None:
        deps, owner = self._deps, self._claims.owner
        metrics = deps.metrics
        try:
            client = self._posting.client_for(rollup.team_id)
        except LookupError:
            await self._finish_edit(rollup, "the app is not installed in this workspace")
            return
        payload = await self._message(rollup)
        ts = rollup.message_ts
        if payload is None or ts is None:
            await self._finish_edit(rollup, "the roll-up's reviews are gone")
            return
        try:
            await slack_call(
                "chat.update",
                lambda: client.chat_update(
                    channel=rollup.channel_id,
                    ts=ts,
                    text=payload["text"],
                    blocks=payload["blocks"],
                    metadata=payload["metadata"],
                ),
                metrics,
            )
        except (SlackRateLimited, Transient) as exc:
            wait = EDIT_RETRY_SECONDS
            if isinstance(exc, SlackRateLimited):
                self._posting.pacer.of(rollup.team_id, rollup.channel_id).block(exc.retry_after)
                wait = exc.retry_after
            at = deps.clock() + timedelta(seconds=wait)
            async with self._gate.hold(), deps.sessions() as session, session.begin():
                done = await defer_rollup_edit(
                    session, rollup_id=rollup.id, owner=owner, at=at, error=exc.reason
                )
            if not done:
                self._leases.lease_lost(rollup.id, "edit_deferred")
            metrics.rollups.labels("retried").inc()
            return
        except Permanent as exc:
            await self._finish_edit(rollup, f"roll-up edit failed: {exc.reason}")
            return
        await self._finish_edit(rollup, None)
        metrics.rollups.labels("updated").inc()

    async def _finish_edit(self, rollup: Rollup, error: str | None) -> None:
        deps = self._deps
        async with self._gate.hold(), deps.sessions() as session, session.begin():
            done = await finish_rollup_edit(
                session, rollup_id=rollup.id, owner=self._claims.owner, error=error
            )
        if not done:
            self._leases.lease_lost(rollup.id, "edit_finished")
        elif error is not None:
            log.warning("rollup_edit_dropped", rollup_id=rollup.id, reason=error)

    # -- timing ---------------------------------------------------------------------------

    async def _next_wait(self, progress: int) -> float | None:
        deps = self._deps
        async with deps.sessions() as session:
            due = await next_rollup_due(session)
        if due is None:
            self._due_at = None
            return None
        seconds = (due - deps.clock()).total_seconds()
        if seconds <= 0:
            pacing = self._posting.pacer.shortest_wait()
            seconds = 0.0 if progress else min(pacing if pacing is not None else 1.0, 1.0)
        self._due_at = time.monotonic() + seconds
        return seconds
