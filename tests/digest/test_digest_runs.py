"""Scheduled and on-demand digests through the running service, with a frozen clock.

The service is real (HTTP, fake Slack, Gumado/Cloutly sandboxes, SQLite and PostgreSQL); the
clock is frozen so that "Monday 09:00 in New York" is a fixed moment.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.digest.schedule import DIGESTS_KEY, DigestScheduler
from fakes.slack import running_fake_slack
from harness import Service, running_service, wait_for
from sandbox.runner import RunningSandboxes, start_sandboxes
from sandbox.signing import slash_command_body
from sandbox.slack import SlackStandIn
from storage.models import DigestRun, Review, Subscription

ORG = "Acme Dental Clinic"
CHANNEL = "C0REVIEWS"
ADMIN = "U0ADMIN"  # America/New_York in the fake Slack
# Digests default to Monday 09:00 in the admin's timezone: 14:00 UTC in winter.
FIRE = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


async def slash(service: Service, text: str, *, user_id: str = ADMIN) -> list[dict[str, Any]]:
    """Run ``/reviews <text>`` in the reviews channel; the response_url posts after settling."""
    url = service.slack.new_response_url(channel=CHANNEL, user_id=user_id)
    body = slash_command_body(text, user_id=user_id, channel_id=CHANNEL, response_url=url)
    response = await service.post_signed(body)
    assert response.status == 200
    await service.settle(timeout=30)
    return service.slack.responses(url)


def digests(slack: SlackStandIn) -> list[dict[str, Any]]:
    """The digest messages of the reviews channel."""
    return [
        m
        for m in slack.messages(CHANNEL)
        if (m.get("metadata") or {}).get("event_type") == "review_digest"
    ]


@asynccontextmanager
async def shared_world() -> AsyncIterator[tuple[SlackStandIn, RunningSandboxes]]:
    """One fake Slack and one pair of sandboxes for several app instances (replicas, restarts)."""
    async with running_fake_slack() as slack:
        sandboxes = await start_sandboxes()
        try:
            yield slack, sandboxes
        finally:
            await sandboxes.stop()


def scheduler_of(service: Service) -> DigestScheduler:
    return service.app[DIGESTS_KEY]


async def subscribe_to_org(service: Service) -> int:
    await slash(service, f'subscribe org:"{ORG}"')
    async with service.deps.sessions() as session:
        return int(await session.scalar(select(func.max(Subscription.id))) or 0)


async def runs(service: Service) -> list[tuple[str, str]]:
    async with service.deps.sessions() as session:
        rows = await session.execute(
            select(DigestRun.iso_week, DigestRun.status).order_by(DigestRun.id)
        )
        return [(week, status) for week, status in rows]


async def test_a_scheduled_week_posts_one_digest_with_its_chart_in_the_thread(
    database_url: str,
) -> None:
    clock = Clock(FIRE.replace(minute=1))
    async with running_service(database_url, clock=clock) as service:
        subscription_id = await subscribe_to_org(service)
        scheduler = scheduler_of(service)
        await wait_for(lambda: subscription_id in scheduler.jobs(), what="the digest job")

        outcomes = await scheduler._fire(subscription_id)
        assert [o.status for o in outcomes] == ["sent"]
        await scheduler._fire(subscription_id)  # the same week again: refused by its key
        await service.settle()

        [digest] = digests(service.slack)
        assert ORG in digest["text"]
        assert digest["metadata"]["event_payload"]["run"].endswith("/2026-W49")
        blocks = json.dumps(digest["blocks"], ensure_ascii=False)
        assert "Weekly digest" in blocks and "Nov 23 – Nov 30, 2026" in blocks
        [chart] = service.slack.files
        assert chart.completed and chart.channel == CHANNEL and chart.thread_ts == digest["ts"]
        assert chart.content is not None and chart.content.startswith(PNG_MAGIC)
        assert await runs(service) == [("2026-W49", "sent")]

        # The catch-up sync read the organization's recent reviews from Gumado into the store.
        async with service.deps.sessions() as session:
            stored = await session.scalar(select(func.count()).select_from(Review))
        assert stored and stored > 0


async def test_two_instances_racing_post_exactly_one_digest(database_url: str) -> None:
    clock = Clock(FIRE.replace(minute=2))
    async with (
        shared_world() as (slack, sandboxes),
        running_service(database_url, clock=clock, slack=slack, sandboxes=sandboxes) as one,
        running_service(database_url, clock=clock, slack=slack, sandboxes=sandboxes) as two,
    ):
        subscription_id = await subscribe_to_org(one)
        results = await asyncio.gather(
            scheduler_of(one)._fire(subscription_id),
            scheduler_of(two)._fire(subscription_id),
            scheduler_of(one)._fire(subscription_id),
        )
        await one.settle()
        await two.settle()
        statuses = sorted(o.status for outcome in results for o in outcome)
        assert statuses == ["sent", "taken", "taken"]
        assert len(digests(slack)) == 1
        assert await runs(one) == [("2026-W49", "sent")]


async def test_a_week_missed_while_down_is_sent_within_grace_and_skipped_past_it(
    database_url: str,
) -> None:
    async with shared_world() as (slack, sandboxes):
        async with running_service(
            database_url, clock=Clock(FIRE.replace(day=23)), slack=slack, sandboxes=sandboxes
        ) as first:
            await subscribe_to_org(first)
        # Down over Monday Nov 30 09:00 New York; back 20 hours later (grace: 24 hours).
        async with running_service(
            database_url,
            clock=Clock(datetime(2026, 12, 1, 10, tzinfo=UTC)),
            slack=slack,
            sandboxes=sandboxes,
        ) as second:
            await second.settle(timeout=30)
            assert len(digests(slack)) == 1
            assert await runs(second) == [("2026-W49", "sent")]
        # Down over Monday Dec 7; back on Wednesday: past the grace period.
        async with running_service(
            database_url,
            clock=Clock(datetime(2026, 12, 9, 12, tzinfo=UTC)),
            slack=slack,
            sandboxes=sandboxes,
        ) as third:
            await third.settle(timeout=30)
            assert len(digests(slack)) == 1
            assert await runs(third) == [("2026-W49", "sent"), ("2026-W50", "skipped")]
        # A restart within the grace of a week already sent sends nothing more.
        async with running_service(
            database_url,
            clock=Clock(datetime(2026, 12, 1, 11, tzinfo=UTC)),
            slack=slack,
            sandboxes=sandboxes,
        ) as fourth:
            await fourth.settle(timeout=30)
            assert len(digests(slack)) == 1


async def test_without_files_write_the_trend_comes_as_text_in_the_thread(
    database_url: str,
) -> None:
    async with running_service(database_url, clock=Clock(FIRE)) as service:
        await subscribe_to_org(service)
        service.slack.scopes.discard("files:write")
        await slash(service, "digest now")
        [digest] = digests(service.slack)
        assert service.slack.files == []
        [reply] = service.slack.thread(CHANNEL, digest["ts"])
        shown = json.dumps(reply["blocks"], ensure_ascii=False)
        assert "12-week trend" in shown and "files:write" in shown
        assert "week of" in shown


async def test_digest_now_posts_at_once_outside_the_weekly_record(database_url: str) -> None:
    async with running_service(database_url, clock=Clock(FIRE)) as service:
        await subscribe_to_org(service)
        posts = await slash(service, f'digest now "{ORG}"')
        assert "Making 1 digest" in posts[0]["text"]
        [digest] = digests(service.slack)
        assert "run" not in digest["metadata"]["event_payload"]
        assert await runs(service) == []

        [unknown] = await slash(service, 'digest now "Nowhere Bakery"')
        assert "I don't know an organization called “Nowhere Bakery”" in unknown["text"]
        assert ORG in unknown["text"]
        [usage] = await slash(service, "digest")
        assert "/reviews digest settings" in usage["text"]


async def test_digest_now_in_a_channel_without_subscriptions_says_what_to_do(
    database_url: str,
) -> None:
    async with running_service(database_url, clock=Clock(FIRE)) as service:
        [answer] = await slash(service, "digest now")
        assert "no subscriptions" in answer["text"] and "/reviews subscribe" in answer["text"]
        assert digests(service.slack) == []


async def test_jobs_follow_the_database(database_url: str) -> None:
    async with running_service(database_url, clock=Clock(FIRE)) as service:
        subscription_id = await subscribe_to_org(service)
        scheduler = scheduler_of(service)
        await wait_for(lambda: subscription_id in scheduler.jobs(), what="the digest job")
        next_run = scheduler.jobs()[subscription_id]
        assert next_run is not None
        assert next_run.weekday() == 0 and next_run.astimezone(UTC).hour in (13, 14)

        async with service.deps.sessions() as session, session.begin():
            row = await session.get(Subscription, subscription_id)
            assert row is not None
            row.digest_day, row.digest_hour, row.digest_timezone = 4, 17, "Asia/Tokyo"
        service.deps.signals.schedules_changed()

        def moved() -> bool:
            run = scheduler.jobs().get(subscription_id)
            return run is not None and run.weekday() == 4 and run.astimezone(UTC).hour == 8

        await wait_for(moved, what="the job to move to Friday 17:00 Tokyo")

        async with service.deps.sessions() as session, session.begin():
            row = await session.get(Subscription, subscription_id)
            assert row is not None
            row.digest_enabled = False
        service.deps.signals.schedules_changed()
        await wait_for(lambda: subscription_id not in scheduler.jobs(), what="the job removed")


async def test_the_apscheduler_job_itself_posts_the_digest(database_url: str) -> None:
    async with running_service(database_url, clock=Clock(FIRE.replace(minute=3))) as service:
        subscription_id = await subscribe_to_org(service)
        scheduler = scheduler_of(service)
        await wait_for(lambda: subscription_id in scheduler.jobs(), what="the digest job")
        # Make the job due now: APScheduler runs it on the event loop like any Monday.
        scheduler.scheduler.modify_job(f"digest:{subscription_id}", next_run_time=datetime.now(UTC))
        await wait_for(lambda: len(digests(service.slack)) == 1, timeout=20, what="the digest")
        await service.settle()
        assert await runs(service) == [("2026-W49", "sent")]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_missed_week_whose_run_fails_is_tried_again(database_url: str) -> None:
    # The database refuses the run at first (here: its table is briefly away); the missed
    # week must still go out without a restart.
    admin_url = make_url(database_url).set(drivername="postgresql")
    async with shared_world() as (slack, sandboxes):
        async with running_service(
            database_url, clock=Clock(FIRE.replace(day=23)), slack=slack, sandboxes=sandboxes
        ) as first:
            await subscribe_to_org(first)
        admin = await asyncpg.connect(admin_url.render_as_string(hide_password=False))
        try:
            await admin.execute("ALTER TABLE digest_runs RENAME TO digest_runs_away")
            async with running_service(
                database_url,
                clock=Clock(datetime(2026, 12, 1, 10, tzinfo=UTC)),
                slack=slack,
                sandboxes=sandboxes,
            ) as second:
                await asyncio.sleep(1.0)  # the first try has failed by now
                assert digests(slack) == []
                await admin.execute("ALTER TABLE digest_runs_away RENAME TO digest_runs")
                await wait_for(lambda: len(digests(slack)) == 1, timeout=20, what="the retry")
                await second.settle(timeout=30)
                assert await runs(second) == [("2026-W49", "sent")]
        finally:
            await admin.close()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_scheduled_run_that_fails_is_tried_again_the_same_week(database_url: str) -> None:
    async with running_service(database_url, clock=Clock(FIRE.replace(minute=1))) as service:
        subscription_id = await subscribe_to_org(service)
        scheduler = scheduler_of(service)
        await wait_for(lambda: subscription_id in scheduler.jobs(), what="the digest job")
        admin_url = make_url(database_url).set(drivername="postgresql")
        admin = await asyncpg.connect(admin_url.render_as_string(hide_password=False))
        try:
            await admin.execute("ALTER TABLE digest_runs RENAME TO digest_runs_away")
            assert await scheduler._fire(subscription_id) == []  # failed, not raised
            await admin.execute("ALTER TABLE digest_runs_away RENAME TO digest_runs")
        finally:
            await admin.close()
        await wait_for(lambda: len(digests(service.slack)) == 1, timeout=20, what="the retry")
        await service.settle()
        assert await runs(service) == [("2026-W49", "sent")]
