"""Webhook intake over HTTP: every rejection, duplicates, retries and an unavailable database."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from pipeline_helpers import (
    Delivery,
    InboundEvent,
    cards_of,
    connection,
    count,
    post_webhook,
    subscribe,
    wait_cards,
)
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import Pool

from bot.pipeline.intake import INTAKE_KEY
from bot.pipeline.sqlite_intake import CHECKPOINT_EVERY_EVENTS
from bot.pipeline.webhook import (
    DATABASE_WAIT_SECONDS,
    MAX_BODY_BYTES,
    canonical_json,
    event_dedupe_key,
)
from harness import running_service, wait_for

REVIEW = {
    "webhook_event": "review-created",
    "id": 142,
    "organization_id": 1,
    "location_id": None,
    "source_name": "google",
    "author": "Sarah Johnson",
    "rating": 5,
    "message": "Outstanding service!",
    "url": "https://maps.google.com/review/1",
    "published_on": "2025-12-15T10:30:00+00:00",
    "updated_at": "2025-12-15T10:35:00+00:00",
    "created_at": "2025-12-15T10:35:00+00:00",
}


def test_dedupe_key_is_stable_for_a_retry_and_new_for_a_change() -> None:
    key = event_dedupe_key("review-created", "142", REVIEW)
    reordered = dict(reversed(list(REVIEW.items())))
    assert event_dedupe_key("review-created", "142", reordered) == key
    changed = {**REVIEW, "updated_at": "2025-12-15T11:00:00+00:00"}
    assert event_dedupe_key("review-created", "142", changed) != key
    assert event_dedupe_key("review-updated", "142", REVIEW) != key
    assert len(event_dedupe_key("x" * 100, "9" * 500, REVIEW)) <= 128


def test_canonical_json_is_the_text_the_stdlib_wrote() -> None:
    # Dedupe keys hash this text: a retry straddling an upgrade must get the same key.
    hostile = "".join(chr(c) for c in range(0x20)) + '"\\/ \x7f \u2028\u2029 é — ★ 😀 </script>'
    payload = {
        **REVIEW,
        "message": hostile,
        "author": {"name": hostile, "b": [1, -2, 0, True, False, None, 4.5, 0.1, 1e16]},
        "id": 2**63 - 1,
        "zeta": {"ä": 1, "a": 2, "Z": 3, "😀": 4, "": 5},
    }
    stdlib = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()
    assert canonical_json(payload) == stdlib
    assert event_dedupe_key("review-created", "142", payload) == event_dedupe_key(
        "review-created", "142", json.loads(stdlib)
    )
    # What orjson cannot write (an int beyond 64 bits) is written by the stdlib, as before.
    assert canonical_json({"id": 2**70}) == b'{"id":1180591620717411303424}'


async def test_rejections_say_why_and_store_nothing(database_url: str) -> None:
    async with running_service(database_url) as service:
        unknown = "A" * 32
        status, _ = await post_webhook(service, REVIEW, key=unknown)
        assert status == 404
        status, _ = await post_webhook(service, REVIEW, key="short")
        assert status == 404
        status, _ = await post_webhook(service, b"x" * (MAX_BODY_BYTES + 1))
        assert status == 413
        status, _ = await post_webhook(service, b"{not json")
        assert status == 400
        status, _ = await post_webhook(service, b"\xff\xfe\x00garbage")
        assert status == 400
        # A lone surrogate is JSON the stdlib reads but no UTF-8 can store (was a 500).
        status, answer = await post_webhook(
            service, b'{"webhook_event": "review-created", "id": 1, "message": "\\ud800"}'
        )
        assert (status, answer["message"]) == (400, "body is not JSON")
        status, answer = await post_webhook(service, {"event": "order-paid", "id": 1})
        assert status == 400 and "webhook_event" in answer["message"]
        # The right key under another platform's path: Cloutly has no webhooks, and an unknown
        # platform is no route of ours.
        key = service.webhook_url.rsplit("/", 1)[-1]
        for platform in ("cloutly", "acme"):
            url = f"{service.base_url}/webhooks/{platform}/{key}"
            async with service.http.post(url, json=REVIEW) as response:
                assert response.status == 404
        status, _ = await post_webhook(service, {"webhook_event": "review-created"})
        assert status == 400
        status, _ = await post_webhook(service, json.dumps([REVIEW]).encode())
        assert status == 400
        assert await count(service, InboundEvent) == 0
        async with service.http.get(f"{service.base_url}/metrics") as response:
            metrics = await response.text()
        assert 'reviewbot_webhooks_total{outcome="rejected_unknown_key"} 4.0' in metrics
        assert 'reviewbot_webhooks_total{outcome="rejected_too_large"} 1.0' in metrics
        assert 'reviewbot_webhooks_total{outcome="rejected_bad_request"} 6.0' in metrics
        # The key is a secret: never in the metrics (routes are labelled by pattern).
        assert unknown not in metrics


async def test_accepted_event_is_committed_before_200(database_url: str) -> None:
    async with running_service(database_url) as service:
        before = await connection(service, "gumado")
        status, answer = await post_webhook(service, REVIEW)
        assert (status, answer["ok"]) == (200, True)
        # Answered: so it is already in the table, whatever the router does next.
        assert await count(service, InboundEvent) == 1
        after = await connection(service, "gumado")
        assert before.last_webhook_at is None and after.last_webhook_at is not None
        status, _ = await post_webhook(service, REVIEW)
        assert status == 200
        assert await count(service, InboundEvent) == 1
        # The same event in UTF-16, which the stdlib reads (orjson does not): a duplicate.
        status, _ = await post_webhook(service, json.dumps(REVIEW).encode("utf-16"))
        assert status == 200
        assert await count(service, InboundEvent) == 1
        async with service.http.get(f"{service.base_url}/metrics") as response:
            metrics = await response.text()
        assert 'reviewbot_webhooks_total{outcome="accepted"} 1.0' in metrics
        assert 'reviewbot_webhooks_total{outcome="duplicate"} 2.0' in metrics


async def test_a_burst_of_concurrent_webhooks_is_group_committed(database_url: str) -> None:
    async with running_service(database_url) as service:
        await subscribe(service, "C0REVIEWS")
        payloads = [{**REVIEW, "id": 900_000 + n, "author": f"Author {n}"} for n in range(60)]
        results = await asyncio.gather(*(post_webhook(service, p) for p in payloads * 2))
        assert all(status == 200 for status, _ in results)
        assert sum(answer.get("ok") is True for _, answer in results) == 120
        assert await count(service, InboundEvent) == 60
        # Routed: one delivery each (posting them is paced at ~1 card/s per channel).

        async def routed() -> bool:
            return await count(service, InboundEvent, InboundEvent.status == "done") == 60

        await wait_for(routed, timeout=30, what="every event routed")
        assert await count(service, Delivery) == 60


@contextlib.contextmanager
def _sqlite_write_lock(path: str) -> Iterator[threading.Event]:
    """Hold SQLite's write lock from another connection until the yielded event is set."""
    release, held = threading.Event(), threading.Event()

    def hold() -> None:
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(30)
        db.execute("ROLLBACK")
        db.close()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    try:
        yield release
    finally:
        release.set()
        thread.join()


@contextlib.asynccontextmanager
async def _database_writes_blocked(database_url: str) -> AsyncIterator[asyncio.Event]:
    """Block writes to inbound_events from another session until the yielded event is set."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with _sqlite_write_lock(str(url.database)) as release:
            done = asyncio.Event()
            yield done
            release.set()
        return
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    blocker = await asyncpg.connect(dsn)
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("LOCK TABLE inbound_events IN EXCLUSIVE MODE")
        done = asyncio.Event()
        yield done
        await transaction.rollback()
    finally:
        await blocker.close()


async def test_gumado_retry_of_a_committed_event_is_a_no_op(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        # Gumado times out the first attempt while our commit waits for a lock; it retries.
        gumado.webhooks.attempt_timeout = 0.3
        gumado.webhooks.retry_scale = 0.002
        async with _database_writes_blocked(database_url):
            payload = gumado.add_review(rating=4, message="Nice")
            await wait_for(lambda: len(gumado.deliveries) >= 1, timeout=5, what="first attempt")
            await asyncio.sleep(0.2)
        await gumado.wait_for_deliveries(timeout=20)
        attempts = [d for d in gumado.deliveries if d.payload_id == payload["id"]]
        assert len(attempts) >= 2, attempts
        assert attempts[0].status is None and attempts[-1].status == 200
        await wait_cards(service, 1)
        await service.settle()
        assert len(cards_of(service, payload["id"])) == 1
        assert await count(service, InboundEvent) == 1
        assert await count(service, Delivery) == 1


async def test_database_unavailable_is_503(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        if make_url(database_url).get_backend_name() == "sqlite":
            # Locked longer than the busy timeout: the commit gives up.
            with _sqlite_write_lock(str(make_url(database_url).database)):
                status, answer = await post_webhook(service, REVIEW)
        else:
            url = make_url(database_url)
            maintenance = url.set(drivername="postgresql", database="postgres")
            admin = await asyncpg.connect(maintenance.render_as_string(hide_password=False))
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
            finally:
                await admin.close()
            status, answer = await post_webhook(service, REVIEW)
        assert status == 503, answer
        assert answer["ok"] is False


async def test_a_webhook_waiting_for_sqlites_write_lock_holds_up_nothing_else(
    database_url: str,
) -> None:
    # SQLite intake writes on the event loop: it must wait for another connection's write
    # lock asleep, never in SQLite's busy handler (which would stop every other request).
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's write lock")
    async with running_service(database_url) as service:
        await service.settle()
        with _sqlite_write_lock(str(url.database)) as release:
            webhook = asyncio.create_task(post_webhook(service, REVIEW))
            await asyncio.sleep(0.5)
            async with service.http.get(f"{service.base_url}/healthz") as response:
                assert response.status == 200
            assert not webhook.done()
            release.set()
            status, _ = await webhook
        assert status == 200
        assert await count(service, InboundEvent) == 1


async def test_sqlite_intake_leaves_wal_checkpoints_to_a_thread(database_url: str) -> None:
    # A checkpoint copies megabytes and fsyncs: 10-60 ms that must not stop the event loop.
    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("SQLite's WAL")
    checkpoints: list[str] = []

    def on_execute(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "wal_checkpoint" in statement:
            checkpoints.append(threading.current_thread().name)

    async with running_service(database_url) as service:
        event.listen(Engine, "before_cursor_execute", on_execute)
        try:
            payloads = iter(
                {**REVIEW, "id": 800_000 + n} for n in range(CHECKPOINT_EVERY_EVENTS + 20)
            )

            async def post_all() -> None:
                for payload in payloads:
                    status, _ = await post_webhook(service, payload)
                    assert status == 200

            await asyncio.gather(*(post_all() for _ in range(16)))
            await wait_for(lambda: bool(checkpoints), timeout=10, what="a checkpoint")
        finally:
            event.remove(Engine, "before_cursor_execute", on_execute)
    assert checkpoints and all(name.startswith("sqlite-checkpoint") for name in checkpoints)


async def test_a_locked_database_is_answered_503_within_gumados_five_seconds(
    database_url: str,
) -> None:
    # Gumado: "Respond quickly (within 5 seconds)"; "Up to 10 retries over 5 minutes".
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        gumado.webhooks.retry_scale = 0.01
        async with _database_writes_blocked(database_url):
            started = time.time()
            payload = gumado.add_review(rating=2, message="Locked out")
            await wait_for(lambda: len(gumado.deliveries) >= 1, timeout=20, what="first attempt")
        first = gumado.deliveries[0]
        assert first.status == 503, first
        assert DATABASE_WAIT_SECONDS - 0.5 <= first.at - started < 4.8
        # The retry carries the same payload: one event, one card.
        await gumado.wait_for_deliveries(timeout=20)
        attempts = [d for d in gumado.deliveries if d.payload_id == payload["id"]]
        assert attempts[-1].status == 200 and len(attempts) >= 2
        await wait_cards(service, 1)
        assert len(cards_of(service, payload["id"])) == 1
        assert await count(service, InboundEvent) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_webhook_key_lookup_that_waits_on_a_lock_is_answered_503_in_time(
    database_url: str,
) -> None:
    # SQLite readers never wait for a writer (WAL); on PostgreSQL a lock can hold a read.
    async with running_service(database_url) as service:
        await service.settle()
        url = make_url(database_url).set(drivername="postgresql")
        blocker = await asyncpg.connect(url.render_as_string(hide_password=False))
        locked = asyncio.Event()

        async def hold_the_lock() -> None:
            async with blocker.transaction():
                await blocker.execute("LOCK TABLE connections IN ACCESS EXCLUSIVE MODE")
                locked.set()
                await asyncio.sleep(8)  # longer than Gumado's 5 s, then let go regardless

        holder = asyncio.create_task(hold_the_lock())
        try:
            await locked.wait()
            started = time.monotonic()
            status, _ = await post_webhook(service, REVIEW)
            elapsed = time.monotonic() - started
            await holder
        finally:
            await blocker.close()
        assert status == 503 and DATABASE_WAIT_SECONDS - 0.5 <= elapsed < 4.8, (status, elapsed)
        # The lookup went on and filled the cache: the retry is answered at once.
        status, _ = await post_webhook(service, REVIEW)
        assert status == 200


async def test_an_event_type_this_version_does_not_know_is_acknowledged_not_kept(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        gumado.webhooks.retry_scale = 0.001
        # A newer Gumado adds events; an endpoint subscribed to "all" receives them.
        gumado.webhooks.dispatch({"webhook_event": "review-deleted", "id": 1001})
        gumado.webhooks.dispatch(
            {"webhook_event": "contact-created", "id": 7, "email": "sam@example.com"}
        )
        gumado.webhooks.dispatch({"webhook_event": "contact-created", "id": 8})
        assert await gumado.wait_for_deliveries(timeout=10)
        assert [d.status for d in gumado.deliveries] == [200, 200, 200]
        await service.settle()
        assert await count(service, InboundEvent) == 0
        assert service.slack.messages("C0REVIEWS") == []
        async with service.http.get(f"{service.base_url}/metrics") as response:
            metrics = await response.text()
        assert 'reviewbot_webhooks_total{outcome="ignored_unknown_event"} 3.0' in metrics
        assert 'reviewbot_webhook_unknown_events_total{event="contact-created"} 2.0' in metrics
        assert 'reviewbot_webhook_unknown_events_total{event="review-deleted"} 1.0' in metrics
        # A known event still needs its id, and a body must be a JSON object with an event.
        status, _ = await post_webhook(service, {"webhook_event": "review-updated"})
        assert status == 400
        status, _ = await post_webhook(service, {"webhook_event": None, "id": 1})
        assert status == 400


async def test_the_writer_keeps_its_connection_between_close_batches(database_url: str) -> None:
    # A pool checkout per batch costs a pre-ping round trip (three on PostgreSQL).
    async with running_service(database_url) as service:
        checkouts: list[str] = []

        def on_checkout(*_: object) -> None:
            task = asyncio.current_task()
            if task is not None and task.get_name().startswith("intake-writer"):
                checkouts.append(task.get_name())

        # Every pool: on SQLite the writer has an engine of its own.
        event.listen(Pool, "checkout", on_checkout)
        try:
            for n in range(10):  # one at a time: ten batches
                status, _ = await post_webhook(service, {**REVIEW, "id": 700_000 + n})
                assert status == 200
        finally:
            event.remove(Pool, "checkout", on_checkout)
        assert await count(service, InboundEvent) == 10
        assert len(checkouts) <= 2


async def test_the_router_gives_way_to_a_stream_of_webhooks_not_to_a_lone_one(
    database_url: str,
) -> None:
    # Between two webhooks of a stream none may be in flight: a full router batch taken
    # then would hold the write lock as the next ones arrive. A lone one is routed at once.
    async with running_service(database_url) as service:
        intake = service.app[INTAKE_KEY]
        await asyncio.sleep(0.2)
        with intake.answering():
            pass
        assert not intake.under_pressure()
        with intake.answering():
            pass
        assert intake.under_pressure()
        await asyncio.sleep(0.2)
        assert not intake.under_pressure()
