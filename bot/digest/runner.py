"""Making and posting digests.

A digest of one organization: catch-up sync, figures from SQL, the message, then the 12-week
chart uploaded into its thread (or the trend as text when uploads are not permitted).

A *scheduled* digest also goes through ``digest_runs``: its row (subscription, organization,
ISO week) is inserted before anything is posted, so of several replicas (or a restart) only
the one that inserted it posts. A run whose process died mid-way stays ``claimed``; after
``STALE_CLAIM`` another run may take it over, and looks for the message in the channel's
history (message metadata carries the run key) before posting again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.blocks.digest import build_digest
from bot.digest.chart import render_trend_png
from bot.digest.resources import DigestResources
from bot.digest.slack_post import Rendered, post_digest
from bot.digest.stats import OrganizationKey, compute_digest_stats, compute_digest_stats_many
from bot.digest.sync import CatchUp
from bot.digest.targets import DigestTarget, subscription_targets
from bot.domain import DigestStats
from bot.log import get_logger
from bot.pipeline.records import NameCache
from bot.pipeline.slack_calls import (
    SlackFailure,
)
from bot.pipeline.write_gate import WriteGate
from storage.conflicts import retry_conflicts
from storage.models import Subscription
from storage.repositories.digests import (
    claim_digest_runs,
    finish_digest_run,
    iso_week_of,
    take_over_stale_runs,
)

__all__ = ["STALE_CLAIM", "DigestService", "Outcome", "Rendered", "run_key", "week_label"]

log = get_logger(__name__)

STALE_CLAIM = timedelta(minutes=15)


def week_label(now: datetime, zone: tzinfo = UTC) -> str:
    """``Nov 16 – Nov 23, 2026``: the seven days before ``now``, in ``zone``."""
    end = now.astimezone(zone)
    start = end - timedelta(days=7)
    return f"{start:%b} {start.day} – {end:%b} {end.day}, {end.year}"


def run_key(subscription_id: int, organization_key: str, iso_week: str) -> str:
    """The key a scheduled digest carries in its message metadata."""
    return f"{subscription_id}/{organization_key}/{iso_week}"


def database_slots(engine: AsyncEngine) -> int:
    """How many digest database steps may run at once: the pool's steady connections.

    Every subscription's job fires at the same minute (Monday 09:00 by default); unbounded,
    a hundred runs queue on the pool, and on SQLite a writer holding the write gate waits
    there behind the readers. The pool's overflow stays free for intake, router and sender.
    """
    size = getattr(engine.pool, "size", None)
    return max(1, size()) if callable(size) else 1


def _figures_key(target: DigestTarget) -> OrganizationKey:
    return (target.connection_id, target.organization_platform_id)


@dataclass(frozen=True)
class Outcome:
    """What became of one organization's digest: sent, skipped, failed or taken (elsewhere)."""

    target: DigestTarget
    status: str
    message_ts: str | None = None
    error: str | None = None


class DigestService:
    """Digests for one process: rendering, posting and the weekly record."""

    def __init__(
        self, resources: DigestResources, gate: WriteGate, names: NameCache | None = None
    ) -> None:
        self.resources = resources
        self.gate = gate
        self._slots = asyncio.Semaphore(database_slots(resources.engine))
        self.catch_up = CatchUp(
            resources, gate, names if names is not None else NameCache(), self._slots
        )

    @contextlib.asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncSession]:
        async with self._slots, self.resources.sessions() as session:
            yield session

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        # The slot before the gate: a writer holding SQLite's write gate never then waits
        # for a connection behind other digests' reads.
        async with (
            self._slots,
            self.gate.hold(),
            self.resources.sessions() as session,
            session.begin(),
        ):
            yield session

    async def targets_of(self, subscription_id: int) -> tuple[Subscription, list[DigestTarget]]:
        """A subscription and its organizations (LookupError when it is gone)."""
        async with self._reading() as session:
            subscription = await session.get(Subscription, subscription_id)
            if subscription is None:
                raise LookupError(f"subscription {subscription_id} is gone")
            return subscription, await subscription_targets(session, subscription)

    async def sync(self, targets: Sequence[DigestTarget]) -> set[int]:
        """Catch up every target's organization; the connection ids whose platform answered."""
        by_connection: dict[int, set[str]] = defaultdict(set)
        for target in targets:
            by_connection[target.connection_id].add(target.organization_platform_id)
        synced = set()
        for connection_id, organizations in by_connection.items():
            if await self.catch_up.sync(connection_id, organizations):
                synced.add(connection_id)
        return synced

    async def figures(
        self, targets: Sequence[DigestTarget], *, now: datetime
    ) -> dict[OrganizationKey, DigestStats]:
        """Every target's figures for the 168 hours before ``now``, in one set of grouped queries."""
        async with self._reading() as session:
            return await compute_digest_stats_many(
                session, [_figures_key(target) for target in targets], now=now
            )

    async def render(
        self,
        target: DigestTarget,
        *,
        now: datetime,
        zone: tzinfo = UTC,
        synced: bool = True,
        stats: DigestStats | None = None,
    ) -> Rendered:
        """The message and the chart of ``stats`` (the figures at ``now`` when not given)."""
        if stats is None:
            async with self._reading() as session:
                stats = await compute_digest_stats(
                    session,
                    connection_id=target.connection_id,
                    organization_platform_id=target.organization_platform_id,
                    now=now,
                )
        payload = build_digest(
            stats,
            organization_name=target.organization_name,
            connection_name=target.connection_name,
            week_label=week_label(now, zone),
        )
        if not synced:
            payload["blocks"].append(
                {
                    "type": "context",
                    "elements": [
                        {
                            "type": "mrkdwn",
                            "text": "⚠️ The platform could not be reached just now, so this "
                            "digest counts the reviews already received.",
                        }
                    ],
                }
            )
        chart = None
        if any(week.count for week in stats.trend):
            title = f"{target.organization_name}: reviews and average rating, 12 weeks"
            chart = await asyncio.to_thread(render_trend_png, stats.trend, title=title)
        return Rendered(target, stats, payload, chart, synced)

    async def post(
        self, rendered: Rendered, *, run: str | None = None, look_first: bool = False
    ) -> str:
        """Post the digest and its trend; returns the message ts (SlackFailure if not posted).

        ``look_first``: the run may already be in the channel (``bot/digest/slack_post.py``).
        """
        return await post_digest(self.resources, rendered, run=run, look_first=look_first)

    async def send_now(
        self, targets: Sequence[DigestTarget], *, zone: tzinfo = UTC
    ) -> list[Outcome]:
        """Post each target's digest at once (on demand: outside the weekly record)."""
        synced = await self.sync(targets)
        now = self.resources.clock()
        figures = await self.figures(targets, now=now)
        outcomes = []
        for target in targets:
            try:
                rendered = await self.render(
                    target,
                    now=now,
                    zone=zone,
                    synced=target.connection_id in synced,
                    stats=figures[_figures_key(target)],
                )
                ts = await self.post(rendered)
            except SlackFailure as exc:
                outcomes.append(Outcome(target, "failed", error=exc.reason))
                continue
            outcomes.append(Outcome(target, "sent", message_ts=ts))
        return outcomes

    async def run_week(self, subscription_id: int, *, fire_time: datetime) -> list[Outcome]:
        """The scheduled digests of one subscription for the ISO week of ``fire_time``.

        ``fire_time`` is the schedule's moment in its own timezone; the figures cover the 168
        hours before the moment each digest is actually made.
        """
        try:
            subscription, targets = await self.targets_of(subscription_id)
        except LookupError:
            return []
        iso_week = iso_week_of(fire_time.date())
        mine, taken_over = await self._claim_runs(targets, iso_week)
        if not mine:
            return [Outcome(t, "taken") for t in targets]
        synced = await self.sync(mine)
        zone = fire_time.tzinfo or UTC
        now = self.resources.clock()
        try:
            figures = await self.figures(mine, now=now)
        except Exception as exc:  # each digest then reads its own, and records its own failure
            log.warning(
                "digest_figures_failed", subscription_id=subscription.id, error=type(exc).__name__
            )
            figures = {}
        outcomes = []
        for target in mine:
            stats = figures.get(_figures_key(target))
            outcomes.append(
                await self._run_one(
                    target,
                    iso_week,
                    zone,
                    target.connection_id in synced,
                    now=now,
                    stats=stats,
                    look_first=target.organization_key in taken_over,
                )
            )
        log.info(
            "digest_week_done",
            subscription_id=subscription.id,
            week=iso_week,
            sent=sum(o.status == "sent" for o in outcomes),
            failed=sum(o.status == "failed" for o in outcomes),
        )
        return outcomes

    async def _claim(self, targets: Sequence[DigestTarget], iso_week: str) -> list[DigestTarget]:
        """Claim the week's run of every target (one subscription's); the targets now owned."""
        mine, _ = await self._claim_runs(targets, iso_week)
        return mine

    async def _claim_runs(
        self, targets: Sequence[DigestTarget], iso_week: str
    ) -> tuple[list[DigestTarget], set[str]]:
        """Claim the week's run of every target (one subscription's) in one transaction;
        the targets this process now owns, and the keys of those taken over from a dead run."""
        if not targets:
            return [], set()
        subscription_id = targets[0].subscription_id
        assert subscription_id is not None
        assert all(target.subscription_id == subscription_id for target in targets)
        keys = [target.organization_key for target in targets]
        now = self.resources.clock()

        async def transaction() -> tuple[set[str], set[str]]:
            async with self._writing() as session:
                taken = await claim_digest_runs(
                    session,
                    subscription_id=subscription_id,
                    organization_keys=keys,
                    iso_week=iso_week,
                    now=now,
                )
                stale = await take_over_stale_runs(
                    session,
                    subscription_id=subscription_id,
                    organization_keys=[key for key in keys if key not in taken],
                    iso_week=iso_week,
                    claimed_before=now - STALE_CLAIM,
                    now=now,
                )
                return taken | stale, stale

        taken, stale = await retry_conflicts(transaction)
        return [target for target in targets if target.organization_key in taken], stale

    async def _run_one(
        self,
        target: DigestTarget,
        iso_week: str,
        zone: tzinfo,
        synced: bool,
        *,
        now: datetime,
        stats: DigestStats | None,
        look_first: bool = False,
    ) -> Outcome:
        assert target.subscription_id is not None
        key = run_key(target.subscription_id, target.organization_key, iso_week)
        try:
            rendered = await self.render(target, now=now, zone=zone, synced=synced, stats=stats)
            ts = await self.post(rendered, run=key, look_first=look_first)
            outcome = Outcome(target, "sent", message_ts=ts)
        except SlackFailure as exc:
            outcome = Outcome(target, "failed", error=exc.reason)
        except Exception as exc:  # recorded and logged; the other digests go on
            log.exception("digest_failed", subscription_id=target.subscription_id, week=iso_week)
            outcome = Outcome(target, "failed", error=type(exc).__name__)
        if outcome.status == "failed":
            self.resources.metrics.digests.labels("failed").inc()
        await self._finish(target, iso_week, outcome)
        return outcome

    async def _finish(self, target: DigestTarget, iso_week: str, outcome: Outcome) -> None:
        assert target.subscription_id is not None
        async with self._writing() as session:
            await finish_digest_run(
                session,
                subscription_id=target.subscription_id,
                organization_key=target.organization_key,
                iso_week=iso_week,
                status=outcome.status,
                now=self.resources.clock(),
                message_ts=outcome.message_ts,
                error=outcome.error,
            )

    async def skip_week(self, subscription_id: int, *, fire_time: datetime, reason: str) -> int:
        """Record a missed week as skipped (past the grace period); returns how many rows."""
        try:
            _, targets = await self.targets_of(subscription_id)
        except LookupError:
            return 0
        iso_week = iso_week_of(fire_time.date())
        skipped = 0
        for target in await self._claim(targets, iso_week):
            await self._finish(target, iso_week, Outcome(target, "skipped", error=reason))
            skipped += 1
        if skipped:
            self.resources.metrics.digests.labels("skipped").inc(skipped)
        return skipped
