"""Claims that survive the database: a lease in the row, and errors that strand nothing.

Issue 13's two failures: a database outage wiped the claim (a session advisory lock) while
Slack was still creating the message, so another replica requeued and reposted it; and an
exception in one delivery ended its channel's loop, leaving the channel's other claimed
deliveries ``sending`` for good.

A PostgreSQL restart during a post is played two ways: every backend terminated (sessions and
their locks gone, the server back at once), and the database unreachable for seconds through a
loopback proxy that cuts every connection and refuses new ones (bench/chaos.py's), ending either
before Slack answers or after it, when the post's own write fails.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from chaos import DatabaseProxy
from pipeline_helpers import cards, cards_of, count, rows, subscribe, wait_cards
from sqlalchemy import text, update

from bot.pipeline.assembly import PIPELINE_KEY
from harness import Service, running_service, two_replicas, wait_for
from storage.engine import create_engine
from storage.models import Delivery

SLOW_POST_SECONDS = 4.0


async def _drop_every_connection(database_url: str) -> int:
    """What a PostgreSQL restart or failover does to the app: every backend terminated."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            return int(result.scalar_one())
    finally:
        await engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_connections_dropped_mid_post_with_a_recovering_replica_make_one_card(
    database_url: str,
) -> None:
    async with two_replicas(database_url) as (first, second):
        await subscribe(first, "C0REVIEWS")
        slack = first.slack
        # Slack takes seconds to create the message: the post is in flight during the outage.
        slack.fail_next("chat.postMessage", status=200, delay=SLOW_POST_SECONDS)
        gumado = first.sandboxes.gumado
        gumado.register_webhook(first.webhook_url)
        payload = gumado.add_review(rating=5)
        await wait_for(lambda: bool(slack.calls_to("chat.postMessage")), what="a post in flight")
        assert await _drop_every_connection(database_url) >= 1
        # Both replicas look for orphans while the post is still in flight, and after it lands.
        for _ in range(int(SLOW_POST_SECONDS) + 2):
            first.deps.signals.outbound.set()
            second.deps.signals.outbound.set()
            await asyncio.sleep(1.0)
        await wait_cards(first, 1)
        await second.settle()

        assert len(cards_of(first, payload["id"])) == 1
        assert len(slack.calls_to("chat.postMessage")) == 1
        (delivery,) = await rows(first, Delivery)
        assert (delivery.status, delivery.attempts) == ("sent", 1)
        assert delivery.message_ts == cards(first)[0]["ts"]
        assert (delivery.lease_owner, delivery.lease_until) == (None, None)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("post_seconds", "outage_seconds", "attempts"),
    [
        pytest.param(4.0, 2.0, 1, id="back-before-slack-answers"),
        # The post's write fails: its lease lapses and whoever recovers it adopts the card.
        pytest.param(2.0, 5.0, 2, id="still-down-when-slack-answers"),
    ],
)
async def test_a_database_restart_during_a_post_with_two_replicas_makes_one_card(
    database_url: str, post_seconds: float, outage_seconds: float, attempts: int
) -> None:
    proxy = DatabaseProxy.to(database_url)
    await proxy.start()
    env = {"DELIVERY_LEASE_SECONDS": "15"}  # the least allowed: a lapsed lease within the test
    try:
        async with (
            running_service(proxy.url_for(database_url), env=env) as first,
            running_service(
                proxy.url_for(database_url),
                env=env,
                slack=first.slack,
                sandboxes=first.sandboxes,
            ) as second,
        ):
            await first.settle()
            await second.settle()
            await subscribe(first, "C0REVIEWS")
            slack = first.slack
            slack.fail_next("chat.postMessage", status=200, delay=post_seconds)
            gumado = first.sandboxes.gumado
            gumado.register_webhook(first.webhook_url)
            payload = gumado.add_review(rating=5)
            await wait_for(
                lambda: bool(slack.calls_to("chat.postMessage")), what="a post in flight"
            )
            proxy.outage(outage_seconds)
            # Both replicas look for orphans through the outage, while the post is in flight,
            # as it lands, and once the database is back.
            for _ in range(int(max(post_seconds, outage_seconds)) + 3):
                first.deps.signals.outbound.set()
                second.deps.signals.outbound.set()
                await asyncio.sleep(1.0)
            await wait_for(
                lambda: _count_is(first, 1, Delivery.status == "sent"),
                timeout=30,
                what="the delivery settled",
            )
            await first.settle()
            await second.settle()

            assert len(cards_of(first, payload["id"])) == 1
            assert len(slack.calls_to("chat.postMessage")) == 1
            (delivery,) = await rows(first, Delivery)
            assert (delivery.status, delivery.attempts) == ("sent", attempts)
            assert delivery.message_ts == cards(first)[0]["ts"]
            assert (delivery.lease_owner, delivery.lease_until) == (None, None)
    finally:
        await proxy.stop()


async def test_a_lease_is_renewed_while_slack_is_slow_and_released_after(
    database_url: str,
) -> None:
    env = {"DELIVERY_LEASE_SECONDS": "15"}  # renewed every 5 s
    async with running_service(database_url, env=env) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        service.slack.fail_next("chat.postMessage", status=200, delay=8.0)  # under the timeout
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        gumado.add_review(rating=5)
        await wait_for(
            lambda: bool(service.slack.calls_to("chat.postMessage")), what="a post in flight"
        )
        (claimed,) = await rows(service, Delivery)
        assert claimed.status == "sending" and claimed.lease_until is not None
        assert claimed.lease_owner == service.app[PIPELINE_KEY].claims.owner
        await asyncio.sleep(6.0)
        (renewed,) = await rows(service, Delivery)
        assert renewed.lease_until is not None and renewed.lease_until > claimed.lease_until
        await wait_cards(service, 1, timeout=15)
        (sent,) = await rows(service, Delivery)
        assert (sent.status, sent.lease_owner, sent.lease_until) == ("sent", None, None)


async def test_an_error_in_one_delivery_strands_none_of_its_channel(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        sender = service.app[PIPELINE_KEY].sender
        await sender.stop()  # queue three cards, then let one claim take them all
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        reviews = [gumado.add_review(rating=5) for _ in range(3)]
        await wait_for(lambda: _count_is(service, 3), what="three queued cards")
        bad, *good = sorted(d.id for d in await rows(service, Delivery))
        # A row the card builder cannot take (a mention that is not a Slack id string).
        async with service.deps.sessions() as session, session.begin():
            await session.execute(update(Delivery).where(Delivery.id == bad).values(mentions=[5]))
        sender.start()

        await wait_for(lambda: len(cards(service)) == 2, what="the channel's other cards")
        for review in reviews[1:]:
            assert len(cards_of(service, review["id"])) == 1
        # The failing card is retried with backoff; between tries nothing is held.
        await wait_for(
            lambda: _count_is(service, 1, Delivery.id == bad, Delivery.attempts >= 2),
            what="the failing card retried",
        )
        await sender.stop()
        assert await count(service, Delivery, Delivery.status == "sending") == 0
        (failed,) = await rows(service, Delivery, Delivery.id == bad)
        assert (failed.status, failed.last_error) == ("pending", "an unexpected error")
        assert failed.lease_owner is None
        sent = await rows(service, Delivery, Delivery.id.in_(good))
        assert {d.status for d in sent} == {"sent"}


async def _count_is(service: Service, wanted: int, *where: Any) -> bool:
    return await count(service, Delivery, *where) == wanted
