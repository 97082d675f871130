"""The pipeline's queries on both databases: events, the delivery lifecycle, updates, polls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from storage_samples import NOW, FakeReview

from storage import repositories as repo
from storage.engine import blocking_sqlite_engine
from storage.models import Connection, Delivery, InboundEvent
from storage.repositories.leases import fail_held, renew_held, reschedule_held

LATER = NOW + timedelta(minutes=5)
ME, OTHER = "a" * 32, "b" * 32
STARTED = 1_800_000_000.0  # the claim's Slack time
LEASE = {"owner": ME, "until": NOW + timedelta(seconds=60), "started": STARTED}


async def _count_events(session: AsyncSession, status: str) -> int:
    query = select(func.count()).select_from(InboundEvent).where(InboundEvent.status == status)
    return int(await session.scalar(query) or 0)


def _event(connection_id: int, key: str) -> repo.NewInboundEvent:
    return repo.NewInboundEvent(connection_id, "review-created", key, {"id": key})


async def test_insert_inbound_events_reports_the_new_ones(
    session: AsyncSession, connection_id: int
) -> None:
    first = await repo.insert_inbound_events(
        session, [_event(connection_id, "a"), _event(connection_id, "b")], now=NOW
    )
    assert first == {(connection_id, "a"), (connection_id, "b")}
    again = await repo.insert_inbound_events(
        session, [_event(connection_id, "b"), _event(connection_id, "c")], now=NOW
    )
    assert again == {(connection_id, "c")}
    assert await repo.insert_inbound_events(session, [], now=NOW) == set()
    assert await _count_events(session, "pending") == 3


async def test_inbound_event_payloads_stored_as_json(
    session: AsyncSession, connection_id: int
) -> None:
    # Intake hands over the payload it already serialized; other callers hand a dict.
    serialized = '{"id":"a","message":"Caf\u00e9 \u2014 5\u2605"}'
    given = repo.NewInboundEvent(connection_id, "review-created", "a", {}, serialized)
    await repo.insert_inbound_events(session, [given, _event(connection_id, "b")], now=NOW)
    events = await repo.claim_pending_events(session)
    assert [event.payload for event in events] == [
        {"id": "a", "message": "Caf\u00e9 \u2014 5\u2605"},
        {"id": "b"},
    ]


async def test_blocking_insert_of_many_events_reports_the_new_ones_and_stores_them_alike(
    engine: AsyncEngine, session: AsyncSession, connection_id: int
) -> None:
    # SQLite intake's insert: the driver's executemany; the new rows are told by their count.
    blocking = blocking_sqlite_engine(engine)
    if blocking is None:
        pytest.skip("the blocking insert is SQLite intake's")
    serialized = '{"id":"k0","message":"Caf\u00e9 \u2014 5\u2605"}'
    events = [
        repo.NewInboundEvent(connection_id, "review-created", f"k{n}", {"id": f"k{n}"})
        for n in range(300)
    ]
    events[0] = events[0]._replace(payload_json=serialized)
    try:
        with blocking.begin() as connection:
            first = repo.insert_inbound_events_blocking(connection, events, now=NOW)
            assert repo.insert_inbound_events_blocking(connection, [], now=NOW) == set()
        assert first == {(connection_id, f"k{n}") for n in range(300)}
        new = repo.NewInboundEvent(connection_id, "review-created", "new", {})
        again = [*events[150:], new, new]
        with blocking.begin() as connection:
            second = repo.insert_inbound_events_blocking(connection, again, now=LATER)
        assert second == {(connection_id, "new")}
    finally:
        blocking.dispose()
    # Read back through the async engine: the same timestamps and payloads as its own insert.
    await repo.insert_inbound_events(session, [_event(connection_id, "async")], now=NOW)
    rows = {row.dedupe_key: row for row in (await session.execute(select(InboundEvent))).scalars()}
    assert len(rows) == 302
    assert rows["k0"].payload == {"id": "k0", "message": "Caf\u00e9 \u2014 5\u2605"}
    assert rows["k299"].payload == {"id": "k299"}
    assert rows["k7"].received_at == rows["async"].received_at == NOW
    # Stored as the same text too (SQLite compares timestamps as text).
    stored = select(cast(InboundEvent.received_at, String)).where(
        InboundEvent.dedupe_key.in_(["k7", "async"])
    )
    assert len(set((await session.execute(stored)).scalars())) == 1
    assert rows["new"].received_at == LATER
    assert {row.status for row in rows.values()} == {"pending"}


async def test_event_failures_retry_then_fail(session: AsyncSession, connection_id: int) -> None:
    await repo.insert_inbound_events(session, [_event(connection_id, "a")], now=NOW)
    (event,) = await repo.claim_pending_events(session)
    assert await repo.fail_event(
        session, event_id=event.id, error="x", now=NOW, max_attempts=2
    ) == ("pending")
    assert await repo.fail_event(
        session, event_id=event.id, error="y", now=NOW, max_attempts=2
    ) == ("failed")
    row = await session.get_one(InboundEvent, event.id, populate_existing=True)
    assert (row.status, row.attempts, row.error) == ("failed", 2, "y")
    await repo.insert_inbound_events(session, [_event(connection_id, "b")], now=NOW)
    (other,) = await repo.claim_pending_events(session)
    await repo.finish_event(session, event_id=other.id, now=LATER)
    assert await repo.claim_pending_events(session) == []
    assert await _count_events(session, "done") == 1


async def _delivery(session: AsyncSession, connection_id: int, channel: str, review: str) -> int:
    stored = await repo.upsert_review(
        session, connection_id=connection_id, review=FakeReview(review), now=NOW
    )
    delivery_id = await repo.insert_delivery_if_absent(
        session,
        team_id="T1",
        channel_id=channel,
        review_id=stored.review.id,
        subscription_id=None,
        mentions=(),
        now=NOW,
    )
    assert delivery_id is not None
    return delivery_id


async def test_delivery_lifecycle(session: AsyncSession, connection_id: int) -> None:
    one = await _delivery(session, connection_id, "C1", "r1")
    two = await _delivery(session, connection_id, "C2", "r1")
    due = await repo.due_deliveries(session, now=NOW, limit=10)
    assert [d.id for d in due] == [one, two]
    assert [
        d.id for d in await repo.due_deliveries(session, now=NOW, limit=10, skip_channels={"C1"})
    ] == [two]
    assert await repo.due_deliveries(session, now=NOW - timedelta(seconds=1), limit=10) == []

    assert await repo.mark_sending(session, delivery_ids=[one, two], **LEASE) == [one, two]
    assert await repo.mark_sending(session, delivery_ids=[one], **LEASE) == []  # taken
    assert not await repo.mark_sent(
        session, delivery_id=one, owner=OTHER, message_ts="1.1", now=LATER
    )
    assert await repo.mark_sent(session, delivery_id=one, owner=ME, message_ts="1.1", now=LATER)
    assert not await repo.mark_sent(session, delivery_id=one, owner=ME, message_ts="2.2", now=LATER)
    assert await reschedule_held(
        session,
        Delivery,
        row_id=two,
        owner=ME,
        at=LATER,
        error="ratelimited",
        unsure=None,
        undo_attempt=True,
    )
    sent = await session.get_one(Delivery, one, populate_existing=True)
    waiting = await session.get_one(Delivery, two, populate_existing=True)
    assert (sent.status, sent.attempts, sent.message_ts, sent.sent_at) == ("sent", 1, "1.1", LATER)
    assert (sent.lease_owner, sent.lease_until) == (None, None)
    assert (waiting.status, waiting.attempts, waiting.next_attempt_at) == ("pending", 0, LATER)
    assert await repo.next_delivery_due(session) == LATER

    await repo.mark_sending(session, delivery_ids=[two], **LEASE)
    # A live lease is not recovered, however long the row has been "sending".
    assert await repo.recover_expired(session, now=NOW + timedelta(seconds=59)) == []
    later = NOW + timedelta(seconds=50)
    assert await renew_held(
        session, Delivery, ids=[two], owner=ME, until=later + timedelta(seconds=60)
    ) == [two]
    assert await repo.recover_expired(session, now=NOW + timedelta(seconds=61)) == []
    assert await repo.recover_expired(session, now=NOW + timedelta(seconds=111)) == [two]
    assert await repo.recover_expired(session, now=NOW + timedelta(seconds=111)) == []
    # The old owner lost it: none of its writes land, its renewals report the loss.
    assert await renew_held(session, Delivery, ids=[two], owner=ME, until=LATER) == []
    assert not await fail_held(session, Delivery, row_id=two, owner=ME, error="x")
    assert not await reschedule_held(
        session, Delivery, row_id=two, owner=ME, at=LATER, error="x", unsure=None
    )
    await repo.mark_sending(
        session, delivery_ids=[two], owner=OTHER, until=LATER, started=STARTED + 600
    )
    assert not await repo.mark_sent(session, delivery_id=two, owner=ME, message_ts="3.3", now=LATER)
    assert await fail_held(session, Delivery, row_id=two, owner=OTHER, error="channel_not_found")
    failed = await repo.list_failed_deliveries(session, team_id="T1")
    assert [(d.id, d.last_error) for d in failed] == [(two, "channel_not_found")]
    assert await repo.next_delivery_due(session) is None


async def _window(session: AsyncSession, delivery_id: int) -> tuple[float | None, float | None]:
    row = await session.get_one(Delivery, delivery_id, populate_existing=True)
    return row.unsure_from, row.unsure_to


async def test_an_unknown_outcome_leaves_the_window_to_read(
    session: AsyncSession, connection_id: int
) -> None:
    one = await _delivery(session, connection_id, "C1", "r1")
    assert await _window(session, one) == (None, None)
    # A claim opens the window at its start: a process dying now leaves it open.
    await repo.mark_sending(session, delivery_ids=[one], **LEASE)
    assert await _window(session, one) == (STARTED, None)
    assert await repo.recover_expired(session, now=LATER) == [one]
    assert await _window(session, one) == (STARTED, None)
    # A later claim keeps the earlier start: that post may still be in the channel.
    await repo.mark_sending(session, delivery_ids=[one], **{**LEASE, "started": STARTED + 90})
    assert await _window(session, one) == (STARTED, None)
    # A timeout: the window is where that attempt may have landed.
    assert await reschedule_held(
        session,
        Delivery,
        row_id=one,
        owner=ME,
        at=NOW,
        error="timeout",
        unsure=(STARTED, STARTED + 15),
    )
    assert await _window(session, one) == (STARTED, STARTED + 15)
    await repo.mark_sending(session, delivery_ids=[one], **{**LEASE, "started": STARTED + 90})
    # An unexpected error keeps what the row says.
    assert await reschedule_held(
        session, Delivery, row_id=one, owner=ME, at=NOW, error="bug", unsure=repo.KEEP
    )
    assert await _window(session, one) == (STARTED, None)
    await repo.mark_sending(session, delivery_ids=[one], **LEASE)
    # An answered failure: nothing of it is in Slack.
    assert await reschedule_held(
        session, Delivery, row_id=one, owner=ME, at=NOW, error="503", unsure=None
    )
    assert await _window(session, one) == (None, None)
    await repo.mark_sending(session, delivery_ids=[one], **LEASE)
    assert await repo.mark_sent(session, delivery_id=one, owner=ME, message_ts="1.1", now=NOW)
    assert await _window(session, one) == (None, None)


def test_combine_notes_says_each_change_once() -> None:
    assert repo.combine_notes(None, "Reply published") == "Reply published"
    assert repo.combine_notes("Reply published", "Reply published · Rating 2★ → 4★") == (
        "Reply published · Rating 2★ → 4★"
    )
    assert repo.combine_notes(None, None) is None
    assert len(repo.combine_notes("x" * 900, "y" * 900) or "") == 1000


async def test_card_updates_are_queued_and_cleared_only_when_unchanged(
    session: AsyncSession, connection_id: int
) -> None:
    posted = await _delivery(session, connection_id, "C1", "r1")
    queued = await _delivery(session, connection_id, "C2", "r1")
    await repo.mark_sending(session, delivery_ids=[posted], **LEASE)
    await repo.mark_sent(session, delivery_id=posted, owner=ME, message_ts="1.1", now=NOW)
    card = await session.get_one(Delivery, posted)
    review_id = card.review_id
    assert await repo.mark_update_pending(session, review_id=review_id, note="A", now=NOW) == 1
    assert await repo.mark_update_pending(session, review_id=review_id, note="B", now=NOW) == 1
    (due,) = await repo.due_updates(session, now=NOW, limit=10)
    assert (due.id, due.update_note) == (posted, "A · B")
    unposted = await session.get_one(Delivery, queued, populate_existing=True)
    assert unposted.update_pending is False  # built from the current review when it is posted

    review_hash = await repo.get_review(session, connection_id=connection_id, platform_id="r1")
    assert review_hash is not None
    stale = dict(delivery_id=posted, seen_handled_by=None, review_hash=review_hash.content_hash)
    take = dict(delivery_id=posted, now=NOW, until=NOW + timedelta(seconds=60), started=STARTED)
    assert await repo.take_update(session, owner=ME, **take)
    assert not await repo.take_update(session, owner=OTHER, **take)  # leased
    assert not await repo.finish_update(session, owner=OTHER, seen_note="A · B", **stale)
    assert not await repo.finish_update(session, owner=ME, seen_note="A", **stale)
    assert await repo.take_update(session, owner=ME, **take)  # the stale finish let go
    assert not await repo.finish_update(
        session,
        delivery_id=posted,
        owner=ME,
        seen_note="A · B",
        seen_handled_by=None,
        review_hash="other",
    )
    assert await repo.take_update(session, owner=ME, **take)
    assert await repo.finish_update(session, owner=ME, seen_note="A · B", **stale)
    assert await repo.due_updates(session, now=NOW, limit=10) == []

    await repo.request_card_refresh(session, delivery_id=posted, now=LATER)
    assert await repo.take_update(session, owner=ME, **{**take, "now": LATER})
    assert not await repo.defer_update(
        session, delivery_id=posted, owner=OTHER, at=LATER, error="5xx", unsure=None
    )
    assert await repo.defer_update(
        session,
        delivery_id=posted,
        owner=ME,
        at=LATER + timedelta(hours=1),
        error="5xx",
        unsure=None,
    )
    assert await repo.due_updates(session, now=LATER, limit=10) == []
    assert await repo.take_update(session, owner=ME, **{**take, "now": LATER})
    assert await repo.drop_update(session, delivery_id=posted, owner=ME, error="message_not_found")
    assert (await session.get_one(Delivery, posted, populate_existing=True)).update_pending is False


async def test_handled_once_and_only_through_its_own_message(
    session: AsyncSession, connection_id: int
) -> None:
    delivery_id = await _delivery(session, connection_id, "C1", "r1")
    await repo.mark_sending(session, delivery_ids=[delivery_id], **LEASE)
    await repo.mark_sent(session, delivery_id=delivery_id, owner=ME, message_ts="1.1", now=NOW)
    where = {"team_id": "T1", "channel_id": "C1", "message_ts": "1.1"}
    assert await repo.find_card(session, delivery_id=delivery_id, **where) is not None
    for wrong in ({"team_id": "T2"}, {"channel_id": "C2"}, {"message_ts": "9.9"}):
        assert await repo.find_card(session, delivery_id=delivery_id, **{**where, **wrong}) is None
    assert await repo.set_handled(session, delivery_id=delivery_id, user_id="U1", now=NOW)
    assert not await repo.set_handled(session, delivery_id=delivery_id, user_id="U2", now=NOW)
    row = await session.get_one(Delivery, delivery_id, populate_existing=True)
    assert (row.handled_by, row.handled_at) == ("U1", NOW)


async def test_poll_bookkeeping(session: AsyncSession, connection_id: int) -> None:
    gap = timedelta(minutes=1)
    assert await repo.claim_poll(session, connection_id=connection_id, now=NOW, min_gap=gap)
    assert not await repo.claim_poll(
        session, connection_id=connection_id, now=NOW + timedelta(seconds=30), min_gap=gap
    )
    assert await repo.claim_poll(session, connection_id=connection_id, now=LATER, min_gap=gap)
    await repo.record_poll_failure(
        session, connection_id=connection_id, now=LATER, error="401", healthy=False
    )
    await repo.touch_webhook(session, connection_ids={connection_id}, now=LATER)
    row = await session.get_one(Connection, connection_id, populate_existing=True)
    assert (row.healthy, row.last_error, row.last_webhook_at) == (False, "401", LATER)
    await repo.record_poll_success(
        session, connection_id=connection_id, now=LATER, cursor={"horizon": None}
    )
    row = await session.get_one(Connection, connection_id, populate_existing=True)
    assert (row.healthy, row.poll_cursor, row.last_error) == (True, {"horizon": None}, "401")
    assert [c.id for c in await repo.all_connections(session)] == [connection_id]
    assert await repo.newest_review_at(session, connection_id=connection_id) is None


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_due_deliveries_skip_rows_another_replica_holds(
    session_factory: async_sessionmaker[AsyncSession], connection_id: int
) -> None:
    async with session_factory() as setup, setup.begin():
        for review in ("r1", "r2", "r3"):
            await _delivery(setup, connection_id, "C1", review)
    async with session_factory() as replica_a, session_factory() as replica_b:
        claimed_a = await repo.due_deliveries(replica_a, now=NOW, limit=2)
        claimed_b = await repo.due_deliveries(replica_b, now=NOW, limit=2)
        assert len(claimed_a) == 2 and len(claimed_b) == 1
        assert {d.id for d in claimed_a}.isdisjoint({d.id for d in claimed_b})
    async with session_factory() as check:
        assert len((await check.scalars(select(Delivery))).all()) == 3
