"""Digest schedules: one APScheduler job per subscription with digests on.

Jobs are built from the database at start, rebuilt when a schedule changes here (the
``digests`` signal) and every few minutes (a change made through another replica). Each job
is a ``CronTrigger`` in the subscription's own timezone, so the digest comes at the local hour
whatever the UTC offset; on the night clocks go back, an hour that happens twice fires once.
At start, a week whose fire time passed while the app was down is sent if it is within
``DIGEST_GRACE_HOURS``, else recorded as skipped. Several replicas all fire: the
``digest_runs`` key decides which one posts.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from bot.deps import Deps
from bot.digest.runner import DigestService
from bot.log import get_logger
from storage.models import Subscription

__all__ = [
    "DAY_NAMES",
    "DIGESTS_KEY",
    "DigestScheduler",
    "LocalWeeklyTrigger",
    "digest_trigger",
    "install_digests",
    "last_fire_time",
]

log = get_logger(__name__)

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RESYNC_SECONDS = 300.0
MISSED_RETRY_DELAYS = (2.0, 10.0, 30.0, 120.0, 300.0, 600.0)
"""Waits before the missed weeks that failed are tried again (about 18 minutes in all)."""


class LocalWeeklyTrigger(CronTrigger):  # type: ignore[misc]  # untyped library
    """A weekly ``CronTrigger`` that fires at most once per local day.

    APScheduler's CronTrigger fires twice when the hour happens twice (clocks going back);
    a digest wants it once, at the first of the two.
    """

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        found: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        while (
            found is not None
            and previous_fire_time is not None
            and found.astimezone(self.timezone).date()
            == previous_fire_time.astimezone(self.timezone).date()
        ):
            # Look again from the next local midnight (asking from just after the second
            # 01:00 would be answered with that same moment again).
            next_day = found.astimezone(self.timezone).date() + timedelta(days=1)
            found = super().get_next_fire_time(
                found, datetime.combine(next_day, time(), tzinfo=self.timezone)
            )
        return found


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone ``name``, or UTC when it is unknown (a row written by hand, say)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("digest_timezone_unknown", timezone=name)
        return ZoneInfo("UTC")


def digest_trigger(day: int, hour: int, timezone: str) -> LocalWeeklyTrigger:
    """The trigger of a schedule: ``day`` 0 = Monday … 6 = Sunday, ``hour`` local, IANA zone."""
    return LocalWeeklyTrigger(
        day_of_week=_CRON_DAYS[day % 7], hour=hour % 24, minute=0, timezone=zone_of(timezone)
    )


def last_fire_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The trigger's latest fire time at or before ``now`` (weekly: within the last 8 days)."""
    latest = None
    moment = trigger.get_next_fire_time(None, now - timedelta(days=8))
    while moment is not None and moment <= now and (latest is None or moment > latest):
        latest = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(microseconds=1))
    return latest


def _trigger_of(subscription: Subscription) -> LocalWeeklyTrigger:
    return digest_trigger(
        subscription.digest_day, subscription.digest_hour, subscription.digest_timezone
    )


class DigestScheduler:
    """This process's digest jobs (APScheduler ``AsyncIOScheduler``)."""

    def __init__(self, deps: Deps, service: DigestService) -> None:
        self.deps = deps
        self.service = service
        grace = int(deps.settings.digest_grace_hours * 3600) or 1
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
        )
        self._watcher: asyncio.Task[None] | None = None
        # Missed-week passes and retries: cancelled on stop (the next start runs them again).
        self._retries: set[asyncio.Task[Any]] = set()
        self._running = 0

    def busy(self) -> bool:
        """True while a digest job runs in this process."""
        return self._running > 0

    async def start(self) -> None:
        """Build the jobs, start firing them, and send (or skip) weeks missed while down."""
        self.scheduler.start()
        await self.rebuild()
        self._watcher = asyncio.create_task(self._watch(), name="digest_schedule_watch")
        self._track(self.deps.spawn(self.run_missed(), name="digest_missed_runs"))

    async def stop(self) -> None:
        """Stop firing (a digest being posted finishes through the app's drain)."""
        for task in list(self._retries):
            task.cancel()
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def _enabled(self) -> list[Subscription]:
        async with self.deps.sessions() as session:
            rows = await session.scalars(
                select(Subscription)
                .where(Subscription.digest_enabled.is_(True))
                .order_by(Subscription.id)
            )
            return list(rows.all())

    async def rebuild(self) -> None:
        """Make the jobs match the database: one per subscription with digests on."""
        wanted = {f"digest:{s.id}": s for s in await self._enabled()}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                job.remove()
        for job_id, subscription in wanted.items():
            trigger = _trigger_of(subscription)
            job = self.scheduler.get_job(job_id)
            if job is not None and repr(job.trigger) == repr(trigger):
                continue  # unchanged: keep its next run time
            self.scheduler.add_job(
                self._fire,
                trigger,
                id=job_id,
                args=[subscription.id],
                replace_existing=True,
                name=f"weekly digest of subscription {subscription.id}",
            )

    def jobs(self) -> dict[int, datetime | None]:
        """Subscription id → next run time (UTC), for status pages and tests."""
        found: dict[int, datetime | None] = {}
        for job in self.scheduler.get_jobs():
            subscription_id = int(job.id.split(":", 1)[1])
            found[subscription_id] = getattr(job, "next_run_time", None)
        return found

    async def _watch(self) -> None:
        signal = self.deps.signals.digests
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wait(), timeout=RESYNC_SECONDS)
            signal.clear()
            try:
                await self.rebuild()
            except Exception:  # the next signal or resync tries again
                log.exception("digest_schedule_rebuild_failed")

    async def _fire(self, subscription_id: int) -> list[Any]:
        """A job fired: the digests of the week of the schedule's latest fire time."""
        self._running += 1
        try:
            async with self.deps.sessions() as session:
                subscription = await session.get(Subscription, subscription_id)
            if subscription is None or not subscription.digest_enabled:
                return []
            fire = last_fire_time(_trigger_of(subscription), self.deps.clock())
            if fire is None:
                return []
            try:
                return await self.service.run_week(subscription_id, fire_time=fire)
            except Exception as exc:
                # The database or the platform failed mid-run: the week is tried again soon
                # (its key refuses a second post), not next week.
                log.warning(
                    "digest_run_failed", subscription_id=subscription_id, error=type(exc).__name__
                )
                retry = self.run_missed({subscription_id}, retry=True)
                self._track(self.deps.spawn(retry, name="digest_run_retry"))
                return []
        finally:
            self._running -= 1

    async def run_missed(self, only: set[int] | None = None, *, retry: bool = False) -> None:
        """Weeks whose fire time passed while no process was running: send or skip them.

        A subscription whose run fails (the database went away, a deadlock) is tried again
        after ``MISSED_RETRY_DELAYS``; its week's key keeps a retry from sending twice.
        ``only`` limits the pass to those subscriptions; ``retry`` skips the first, at-once try.
        """
        failed: set[int] | None = only
        delays = MISSED_RETRY_DELAYS if retry else (0.0, *MISSED_RETRY_DELAYS)
        for delay in delays:
            await asyncio.sleep(delay)
            try:
                failed = await self._run_missed_once(failed, fired=retry)
            except Exception as exc:  # e.g. the subscriptions could not be read at all
                log.warning("digest_missed_runs_failed", error=type(exc).__name__, retry=True)
                continue
            if not failed:
                return
        log.error("digest_missed_runs_gave_up", subscriptions=sorted(failed or ()))

    async def _run_missed_once(self, only: set[int] | None, *, fired: bool = False) -> set[int]:
        """One pass over the subscriptions (``only`` those, when given); the ones that failed.

        ``fired``: the job did fire under the current schedule (a retry of a failed run).
        """
        now = self.deps.clock()
        grace = timedelta(hours=self.deps.settings.digest_grace_hours)
        failed: set[int] = set()
        for subscription in await self._enabled():
            if only is not None and subscription.id not in only:
                continue
            fire = last_fire_time(_trigger_of(subscription), now)
            if fire is None or (not fired and fire < _as_utc(subscription.updated_at)):
                continue  # the schedule did not exist (in this form) at that moment
            try:
                await self._send_or_skip(subscription.id, fire, now - fire <= grace, grace)
            except Exception as exc:
                log.warning(
                    "digest_missed_run_failed",
                    subscription_id=subscription.id,
                    error=type(exc).__name__,
                )
                failed.add(subscription.id)
        return failed

    async def _send_or_skip(
        self, subscription_id: int, fire: datetime, within_grace: bool, grace: timedelta
    ) -> None:
        if within_grace:
            # Weeks already done (or being done by another replica) are refused by their key.
            await self.service.run_week(subscription_id, fire_time=fire)
            return
        skipped = await self.service.skip_week(
            subscription_id,
            fire_time=fire,
            reason=f"missed while the app was down for more than {grace}",
        )
        if skipped:
            log.warning("digest_skipped", subscription_id=subscription_id, organizations=skipped)


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


DIGESTS_KEY = web.AppKey("digests", DigestScheduler)


def install_digests(app: web.Application, deps: Deps) -> DigestScheduler:
    """Attach the scheduler of the digest service (``deps.digests``) to ``app``."""
    assert deps.digests is not None, "create_deps builds the digest service"
    scheduler = DigestScheduler(deps, deps.digests)
    deps.busy_checks.append(scheduler.busy)
    app[DIGESTS_KEY] = scheduler

    async def start(_: web.Application) -> None:
        await scheduler.start()

    async def stop(_: web.Application) -> None:
        await scheduler.stop()

    app.on_startup.append(start)
    app.on_cleanup.insert(0, stop)
    return scheduler
