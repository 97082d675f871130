"""A subscription's week over several organizations: claimed together, figured together, each
digest the same as if it were made alone."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from digest_samples import HOUR, NOW, WEEK, org1_history, review_row
from sqlalchemy import event, insert, select

from bot.digest.runner import STALE_CLAIM, database_slots, run_key
from bot.digest.targets import DigestTarget, subscription_targets
from bot.filters import Filter
from fakes.slack import web_client
from harness import Service, running_service
from sandbox.slack_seed import TEAM_ID
from storage.models import Connection, DigestRun, Organization, Review, Subscription
from storage.repositories.digests import iso_week_of

CHANNEL = "C0REVIEWS"
ORGS = {"org-1": "Alpha Clinic", "org-2": "Beta Bakery", "org-3": "Quiet Cafe"}


async def seed(service: Service, name: str = "shops") -> int:
    """A connection (whose token the platform refuses) with three organizations, and a
    subscription of the channel to it; returns the subscription id."""
    deps = service.deps
    assert deps.cipher is not None
    async with deps.sessions() as session, session.begin():
        connection = Connection(
            team_id=TEAM_ID,
            platform="gumado",
            name=name,
            token_encrypted=deps.cipher.encrypt("refused-token"),
            webhook_key=f"whk-{name}",
        )
        session.add(connection)
        await session.flush()
        conn = connection.id
        await session.execute(
            insert(Organization),
            [{"connection_id": conn, "platform_id": o, "name": n} for o, n in ORGS.items()],
        )
        rows = [
            *org1_history(conn),
            review_row(conn, "b1", 2, NOW - 5 * HOUR, org="org-2", source="Yelp", text="Stale"),
            review_row(conn, "b2", 4, NOW - 200 * HOUR, org="org-2"),
            review_row(conn, "b3", 5, NOW - 3 * WEEK, org="org-2", reply="Thanks"),
            review_row(conn, "c1", 3, NOW - 9 * WEEK, org="org-3"),
        ]
        await session.execute(insert(Review), rows)
        subscription = Subscription(
            team_id=TEAM_ID,
            channel_id=CHANNEL,
            connection_id=conn,
            filter_text="all",
            filter=Filter().to_json(),
            created_by="U0ADMIN",
        )
        session.add(subscription)
        await session.flush()
        return subscription.id


async def targets_by_org(service: Service, subscription_id: int) -> dict[str, DigestTarget]:
    """The subscription's digest targets by organization platform id."""
    async with service.deps.sessions() as session:
        subscription = await session.get(Subscription, subscription_id)
        assert subscription is not None
        return {
            t.organization_platform_id: t for t in await subscription_targets(session, subscription)
        }


def digest_of(service: Service, organization_key: str) -> list[dict[str, Any]]:
    return [
        m
        for m in service.slack.messages(CHANNEL)
        if (m.get("metadata") or {}).get("event_type") == "review_digest"
        and f"/{organization_key}/" in m["metadata"]["event_payload"].get("run", "")
    ]


async def test_each_organization_gets_the_digest_it_would_get_alone(database_url: str) -> None:
    async with running_service(database_url, clock=lambda: NOW) as service:
        digests = service.deps.digests
        assert digests is not None
        subscription_id = await seed(service)
        targets = await targets_by_org(service, subscription_id)
        assert set(targets) == set(ORGS)
        week = iso_week_of(NOW.date())
        # org-2: a run whose process died 20 minutes ago (taken over); org-3: one another
        # replica claimed a minute ago (left to it).
        async with service.deps.sessions() as session, session.begin():
            await session.execute(
                insert(DigestRun),
                [
                    {
                        "subscription_id": subscription_id,
                        "organization_key": targets["org-2"].organization_key,
                        "iso_week": week,
                        "claimed_at": NOW - STALE_CLAIM - timedelta(minutes=5),
                    },
                    {
                        "subscription_id": subscription_id,
                        "organization_key": targets["org-3"].organization_key,
                        "iso_week": week,
                        "claimed_at": NOW - timedelta(minutes=1),
                    },
                ],
            )

        outcomes = await digests.run_week(subscription_id, fire_time=NOW)

        assert [(o.target.organization_platform_id, o.status) for o in outcomes] == [
            ("org-1", "sent"),
            ("org-2", "sent"),
        ]
        assert digest_of(service, targets["org-3"].organization_key) == []
        for org in ("org-1", "org-2"):
            target = targets[org]
            [posted] = digest_of(service, target.organization_key)
            # One at a time: this organization's own figures, with its own queries.
            alone = await digests.render(target, now=NOW, synced=False)
            assert posted["text"] == alone.payload["text"]
            assert posted["blocks"] == alone.payload["blocks"]
            assert ORGS[org] in posted["text"]
            [chart] = [f for f in service.slack.files if f.thread_ts == posted["ts"]]
            assert chart.completed and chart.content == alone.chart
        async with service.deps.sessions() as session:
            runs = {
                r.organization_key: r.status
                for r in await session.scalars(
                    select(DigestRun).where(DigestRun.subscription_id == subscription_id)
                )
            }
        assert runs == {
            targets["org-1"].organization_key: "sent",
            targets["org-2"].organization_key: "sent",
            targets["org-3"].organization_key: "claimed",
        }

        # The same week again: every run is taken, nothing more is posted.
        again = await digests.run_week(subscription_id, fire_time=NOW)
        assert {o.status for o in again} == {"taken"}
        assert len(digest_of(service, targets["org-1"].organization_key)) == 1


async def test_runs_fired_together_keep_to_the_pools_steady_connections(
    database_url: str,
) -> None:
    """Every subscription fires at the same minute: the digests' database steps wait for one
    of ``database_slots`` instead of queueing on (and exhausting) the engine's pool."""
    async with running_service(database_url, clock=lambda: NOW) as service:
        digests = service.deps.digests
        assert digests is not None
        subscriptions = [await seed(service, f"shop-{n}") for n in range(16)]
        await service.settle()
        engine = service.deps.engine.sync_engine
        out, most = 0, 0

        def checkout(*_: Any) -> None:
            nonlocal out, most
            out += 1
            most = max(most, out)

        def checkin(*_: Any) -> None:
            nonlocal out
            out -= 1

        event.listen(engine, "checkout", checkout)
        event.listen(engine, "checkin", checkin)
        try:
            weeks = await asyncio.gather(
                *(digests.run_week(s, fire_time=NOW) for s in subscriptions)
            )
        finally:
            event.remove(engine, "checkout", checkout)
            event.remove(engine, "checkin", checkin)
        assert [o.status for week in weeks for o in week] == ["sent"] * 16 * len(ORGS)
        # The slots, plus a connection the idle pipeline may take for a tick meanwhile.
        assert most <= database_slots(service.deps.engine) + 2, most


async def test_a_run_taken_over_after_its_post_is_adopted_not_posted_again(
    database_url: str,
) -> None:
    async with running_service(database_url, clock=lambda: NOW) as service:
        digests = service.deps.digests
        assert digests is not None
        subscription_id = await seed(service)
        targets = await targets_by_org(service, subscription_id)
        week = iso_week_of(NOW.date())
        key = targets["org-2"].organization_key
        # The dead process posted org-2's digest, then died before recording it.
        async with service.deps.sessions() as session, session.begin():
            await session.execute(
                insert(DigestRun).values(
                    subscription_id=subscription_id,
                    organization_key=key,
                    iso_week=week,
                    claimed_at=NOW - STALE_CLAIM - timedelta(minutes=5),
                )
            )
        posted = await web_client(service.slack).chat_postMessage(
            channel=CHANNEL,
            text="Weekly digest",
            metadata={
                "event_type": "review_digest",
                "event_payload": {"run": run_key(subscription_id, key, week)},
            },
        )
        outcomes = {
            o.target.organization_platform_id: o
            for o in await digests.run_week(subscription_id, fire_time=NOW)
        }
        assert outcomes["org-2"].status == "sent"
        assert outcomes["org-2"].message_ts == posted["ts"]
        assert len(digest_of(service, key)) == 1
        # Only the taken-over run needed looking for.
        assert len(service.slack.calls_to("conversations.history")) == 1
