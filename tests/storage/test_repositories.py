"""Repository functions on both databases: upserts, insert-if-absent, claims, no commits."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from storage_samples import NOW, FakeReview

from storage import repositories as repo
from storage.models import Delivery, DigestRun, InboundEvent, Review, Subscription

LATER = NOW + timedelta(minutes=5)


# --- connections ---------------------------------------------------------------------------


async def test_upsert_connection_creates_then_replaces(session: AsyncSession) -> None:
    created, was_created = await repo.upsert_connection(
        session,
        team_id="T1",
        name="Main",
        platform="gumado",
        token_encrypted="tok-1",
        webhook_key="whk-1",
        scopes=["reviews:read"],
        now=NOW,
    )
    assert was_created is True
    created.healthy = False
    created.last_error = "401"
    await session.flush()

    replaced, was_created = await repo.upsert_connection(
        session, team_id="T1", name="Main", platform="gumado", token_encrypted="tok-2", now=LATER
    )
    assert was_created is False
    assert replaced.id == created.id
    assert replaced.token_encrypted == "tok-2"
    assert replaced.webhook_key == "whk-1"  # kept: None means "leave it"
    assert (replaced.healthy, replaced.last_error, replaced.scopes) == (True, None, None)
    assert (replaced.created_at, replaced.updated_at) == (NOW, LATER)


async def test_connection_lookups(session: AsyncSession) -> None:
    for team_id, name, key in [("T1", "b", "k-b"), ("T1", "a", None), ("T2", "c", "k-c")]:
        await repo.upsert_connection(
            session,
            team_id=team_id,
            name=name,
            platform="cloutly" if key is None else "gumado",
            token_encrypted="t",
            webhook_key=key,
            now=NOW,
        )
    assert [c.name for c in await repo.list_connections(session, "T1")] == ["a", "b"]
    found = await repo.get_connection_by_webhook_key(session, "k-c")
    assert found is not None
    assert (found.team_id, found.name) == ("T2", "c")
    assert await repo.get_connection_by_webhook_key(session, "nope") is None


# --- organizations and locations -----------------------------------------------------------


class _Org:
    def __init__(self, id: str, name: str) -> None:
        self.id = id
        self.name = name


class _Loc(_Org):
    def __init__(self, id: str, name: str, organization_id: str | None) -> None:
        super().__init__(id, name)
        self.organization_id = organization_id


async def test_upsert_organizations_and_locations(
    session: AsyncSession, connection_id: int
) -> None:
    await repo.upsert_organizations(
        session,
        connection_id=connection_id,
        organizations=[_Org("o1", "Café Nord"), _Org("o2", "Café Süd")],
        now=NOW,
    )
    await repo.upsert_organizations(
        session, connection_id=connection_id, organizations=[_Org("o2", "Café Sud")], now=LATER
    )
    await repo.upsert_organizations(session, connection_id=connection_id, organizations=[], now=NOW)
    assert await repo.organization_names(session, connection_id=connection_id) == {
        "o1": "Café Nord",
        "o2": "Café Sud",
    }

    await repo.upsert_locations(
        session, connection_id=connection_id, locations=[_Loc("l1", "Front", "o1")], now=NOW
    )
    await repo.upsert_locations(
        session, connection_id=connection_id, locations=[_Loc("l1", "Terrace", "o2")], now=NOW
    )
    assert await repo.location_names(session, connection_id=connection_id) == {"l1": "Terrace"}
    assert await repo.organization_names(session, connection_id=connection_id + 1) == {}


# --- reviews -------------------------------------------------------------------------------


async def test_upsert_review_detects_new_and_changed(
    session: AsyncSession, connection_id: int
) -> None:
    first = await repo.upsert_review(
        session, connection_id=connection_id, review=FakeReview("r1"), now=NOW
    )
    assert (first.created, first.changed) == (True, False)
    assert first.review.first_seen_at == NOW
    assert first.review.content_hash == repo.review_content_hash(FakeReview("r1"))

    same = await repo.upsert_review(
        session, connection_id=connection_id, review=FakeReview("r1"), now=LATER
    )
    assert (same.created, same.changed) == (False, False)
    assert same.review.id == first.review.id

    replied = FakeReview("r1", reply="Thank you!", reply_at=LATER)
    changed = await repo.upsert_review(
        session, connection_id=connection_id, review=replied, now=LATER
    )
    assert (changed.created, changed.changed) == (False, True)
    assert changed.review.reply == "Thank you!"
    assert changed.review.updated_at == LATER
    assert changed.review.first_seen_at == NOW

    count = await session.scalar(select(func.count()).select_from(Review))
    assert count == 1


async def test_review_hash_ignores_the_offset_an_instant_is_written_with() -> None:
    review = FakeReview("r1")
    shifted = replace(
        review, published_at=review.published_at.astimezone(timezone(timedelta(hours=-5)))
    )
    assert repo.review_content_hash(shifted) == repo.review_content_hash(review)
    assert repo.review_content_hash(replace(review, rating=1)) != repo.review_content_hash(review)


async def test_review_hash_of_a_review_without_state_did_not_move_and_state_shows() -> None:
    review = FakeReview("1", reply="Thanks", reply_at=NOW)
    # The hash every stored row had before review state joined it: no card looks changed.
    before = "92c059593a77a482008a158331c9c62db2d57f139867b4644580adff9014bb6f"
    assert repo.review_content_hash(review) == before
    quiet = replace(review, hidden=False, verified=False, archived=False, original_rating=5)
    assert repo.review_content_hash(quiet) == before
    # A replied flag beside a reply text the card shows anyway changes nothing shown.
    assert repo.review_content_hash(replace(review, replied=True)) == before
    for shown in (
        {"hidden": True},
        {"verified": True},
        {"archived": True},
        {"original_rating": 2},
        {"edited_at": LATER},
        {"reply_url": "https://g.test/r"},
        {"reply_at": None, "reply_on": NOW.date()},
        {"rating": None},
    ):
        assert repo.review_content_hash(replace(review, **shown)) != before, shown
    unanswered = replace(review, reply=None)
    assert repo.review_content_hash(replace(unanswered, replied=True)) != (
        repo.review_content_hash(unanswered)
    )


async def test_upsert_review_ignores_an_older_version(
    session: AsyncSession, connection_id: int
) -> None:
    newer = FakeReview("r1", text="edited", updated_at=LATER)
    await repo.upsert_review(session, connection_id=connection_id, review=newer, now=NOW)

    older = FakeReview("r1", text="original", updated_at=NOW)
    result = await repo.upsert_review(session, connection_id=connection_id, review=older, now=LATER)
    assert (result.created, result.changed) == (False, False)
    assert result.review.text == "edited"


async def test_upsert_review_keeps_reviews_of_connections_apart(
    session: AsyncSession, connection_id: int
) -> None:
    other, _ = await repo.upsert_connection(
        session, team_id="T1", name="Second", platform="cloutly", token_encrypted="t", now=NOW
    )
    a = await repo.upsert_review(
        session, connection_id=connection_id, review=FakeReview("r1"), now=NOW
    )
    b = await repo.upsert_review(session, connection_id=other.id, review=FakeReview("r1"), now=NOW)
    assert a.created and b.created
    assert a.review.id != b.review.id


# --- inbound events ------------------------------------------------------------------------


async def _add_event(session: AsyncSession, connection_id: int, dedupe_key: str) -> bool:
    event = repo.NewInboundEvent(connection_id, "review.created", dedupe_key, {"id": dedupe_key})
    return (connection_id, dedupe_key) in await repo.insert_inbound_events(
        session, [event], now=NOW
    )


async def test_insert_inbound_event_if_absent(session: AsyncSession, connection_id: int) -> None:
    assert await _add_event(session, connection_id, "d1") is True
    assert await _add_event(session, connection_id, "d1") is False
    assert await _add_event(session, connection_id, "d2") is True
    events = (await session.execute(select(InboundEvent).order_by(InboundEvent.id))).scalars()
    assert [(e.dedupe_key, e.status, e.attempts, e.payload) for e in events] == [
        ("d1", "pending", 0, {"id": "d1"}),
        ("d2", "pending", 0, {"id": "d2"}),
    ]


async def test_claim_pending_events_oldest_first(session: AsyncSession, connection_id: int) -> None:
    for key in ("d1", "d2", "d3", "d4"):
        await _add_event(session, connection_id, key)
    (first, *_) = await repo.claim_pending_events(session, limit=1)
    first.status = "done"
    await session.flush()

    claimed = await repo.claim_pending_events(session, limit=2)
    assert [e.dedupe_key for e in claimed] == ["d2", "d3"]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_claims_skip_rows_another_transaction_holds(
    session_factory: async_sessionmaker[AsyncSession], connection_id: int
) -> None:
    async with session_factory() as setup, setup.begin():
        for key in ("d1", "d2", "d3"):
            await _add_event(setup, connection_id, key)

    async with session_factory() as replica_a, session_factory() as replica_b:
        claimed_a = await repo.claim_pending_events(replica_a, limit=2)
        claimed_b = await repo.claim_pending_events(replica_b, limit=2)
        assert [e.dedupe_key for e in claimed_a] == ["d1", "d2"]
        assert [e.dedupe_key for e in claimed_b] == ["d3"]


# --- deliveries ----------------------------------------------------------------------------


async def test_insert_delivery_if_absent(session: AsyncSession, connection_id: int) -> None:
    stored = await repo.upsert_review(
        session, connection_id=connection_id, review=FakeReview("r1"), now=NOW
    )
    review_id = stored.review.id

    async def deliver(channel_id: str) -> int | None:
        return await repo.insert_delivery_if_absent(
            session,
            team_id="T1",
            channel_id=channel_id,
            review_id=review_id,
            subscription_id=None,
            mentions=("U1",),
            now=NOW,
        )

    first = await deliver("C1")
    assert first is not None
    assert await deliver("C1") is None
    assert await deliver("C2") not in (None, first)
    delivery = await session.get_one(Delivery, first)
    assert (delivery.status, delivery.attempts, delivery.mentions) == ("pending", 0, ["U1"])
    assert delivery.next_attempt_at == NOW


# --- digest runs ---------------------------------------------------------------------------


async def _subscription_id(session: AsyncSession, connection_id: int) -> int:
    subscription = Subscription(
        team_id="T1",
        channel_id="C1",
        connection_id=connection_id,
        filter_text="",
        filter={},
        created_by="U1",
    )
    session.add(subscription)
    await session.flush()
    return subscription.id


def test_digest_keys() -> None:
    assert repo.digest_organization_key(7, "org-1") == "7:org-1"
    assert repo.iso_week_of(date(2026, 11, 16)) == "2026-W47"
    assert repo.iso_week_of(date(2027, 1, 1)) == "2026-W53"
    assert repo.iso_week_of(date(2025, 12, 29)) == "2026-W01"


async def test_claim_digest_runs_once_per_week(session: AsyncSession, connection_id: int) -> None:
    subscription_id = await _subscription_id(session, connection_id)
    key = repo.digest_organization_key(connection_id, "org-1")
    other = repo.digest_organization_key(connection_id, "org-2")

    async def claim(week: str, *keys: str) -> set[str]:
        return await repo.claim_digest_runs(
            session,
            subscription_id=subscription_id,
            organization_keys=keys,
            iso_week=week,
            now=NOW,
        )

    assert await claim("2026-W47", key) == {key}
    assert await claim("2026-W47", key, other) == {other}  # only the one not yet taken
    assert await claim("2026-W47", other, key) == set()
    assert await claim("2026-W48", key) == {key}
    assert await claim("2026-W48") == set()

    await repo.finish_digest_run(
        session,
        subscription_id=subscription_id,
        organization_key=key,
        iso_week="2026-W47",
        status="sent",
        message_ts="1700000000.000100",
        now=LATER,
    )
    runs = (
        await session.execute(
            select(DigestRun).order_by(DigestRun.iso_week, DigestRun.organization_key)
        )
    ).scalars()
    assert [(r.iso_week, r.status, r.message_ts, r.finished_at) for r in runs] == [
        ("2026-W47", "sent", "1700000000.000100", LATER),
        ("2026-W47", "claimed", None, None),
        ("2026-W48", "claimed", None, None),
    ]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_concurrent_digest_claims_have_one_winner(
    session_factory: async_sessionmaker[AsyncSession], connection_id: int
) -> None:
    async with session_factory() as setup, setup.begin():
        subscription_id = await _subscription_id(setup, connection_id)

    async def claim(session: AsyncSession) -> set[str]:
        return await repo.claim_digest_runs(
            session,
            subscription_id=subscription_id,
            organization_keys=["1:org-1", "1:org-2"],
            iso_week="2026-W47",
            now=NOW,
        )

    async with session_factory() as replica_a, session_factory() as replica_b:
        assert await claim(replica_a) == {"1:org-1", "1:org-2"}
        # B's insert waits on A's uncommitted rows, then sees the conflicts once A commits.
        waiting = asyncio.create_task(claim(replica_b))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await replica_a.commit()
        assert await asyncio.wait_for(waiting, 5) == set()


# --- transactions --------------------------------------------------------------------------


async def test_repositories_leave_the_commit_to_the_caller(
    session_factory: async_sessionmaker[AsyncSession], connection_id: int
) -> None:
    async with session_factory() as session:
        await _add_event(session, connection_id, "d1")
        await repo.upsert_review(
            session, connection_id=connection_id, review=FakeReview("r1"), now=NOW
        )
        await repo.upsert_connection(
            session, team_id="T9", name="x", platform="gumado", token_encrypted="t", now=NOW
        )
        await session.rollback()

    async with session_factory() as session:
        assert await _add_event(session, connection_id, "d1") is True
        assert await session.scalar(select(func.count()).select_from(Review)) == 0
        assert await repo.list_connections(session, "T9") == []
