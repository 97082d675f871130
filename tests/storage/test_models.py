"""Schema behaviour on both databases: unique keys, foreign-key actions, UTC timestamps, JSON."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from storage_samples import NOW

from storage.models import (
    Base,
    Connection,
    Delivery,
    DigestRun,
    InboundEvent,
    Invite,
    Review,
    Subscription,
)


def _connection(name: str = "Other", webhook_key: str | None = None) -> Connection:
    return Connection(
        team_id="T1",
        platform="gumado",
        name=name,
        token_encrypted="x",
        webhook_key=webhook_key,
        created_at=NOW,
        updated_at=NOW,
    )


def _review(connection_id: int, platform_id: str = "r1") -> Review:
    return Review(
        connection_id=connection_id,
        platform_id=platform_id,
        source="Google",
        rating=4,
        published_at=NOW,
        content_hash="0" * 64,
    )


def _subscription(connection_id: int | None) -> Subscription:
    return Subscription(
        team_id="T1",
        channel_id="C1",
        connection_id=connection_id,
        filter_text="rating<=3",
        filter={"max_rating": 3},
        created_by="U1",
    )


async def _add_review(session: AsyncSession, connection_id: int) -> int:
    review = _review(connection_id)
    session.add(review)
    await session.flush()
    return review.id


async def _add_subscription(session: AsyncSession, connection_id: int) -> int:
    subscription = _subscription(connection_id)
    session.add(subscription)
    await session.flush()
    return subscription.id


async def _twin_connections(session: AsyncSession, connection_id: int) -> list[Base]:
    return [_connection("Main")]


async def _twin_webhook_keys(session: AsyncSession, connection_id: int) -> list[Base]:
    return [_connection("Other", webhook_key="whk-main")]


async def _twin_reviews(session: AsyncSession, connection_id: int) -> list[Base]:
    return [_review(connection_id), _review(connection_id)]


async def _twin_inbound_events(session: AsyncSession, connection_id: int) -> list[Base]:
    return [
        InboundEvent(
            connection_id=connection_id, event_type="review.created", dedupe_key="d1", payload={}
        )
        for _ in range(2)
    ]


async def _twin_deliveries(session: AsyncSession, connection_id: int) -> list[Base]:
    review_id = await _add_review(session, connection_id)
    subscription_id = await _add_subscription(session, connection_id)
    # A second subscription of the same channel must not produce a second card.
    return [
        Delivery(
            team_id="T1",
            channel_id="C1",
            review_id=review_id,
            subscription_id=sub_id,
            mentions=[],
        )
        for sub_id in (subscription_id, None)
    ]


async def _twin_digest_runs(session: AsyncSession, connection_id: int) -> list[Base]:
    subscription_id = await _add_subscription(session, connection_id)
    return [
        DigestRun(
            subscription_id=subscription_id,
            organization_key=f"{connection_id}:org-1",
            iso_week="2026-W47",
        )
        for _ in range(2)
    ]


async def _twin_invites(session: AsyncSession, connection_id: int) -> list[Base]:
    return [
        Invite(
            team_id="T1",
            user_id="U1",
            connection_id=connection_id,
            campaign_id="camp-1",
            contact_hash=contact_hash,
            submission_key="view-1:hash",
            status="sent",
        )
        for contact_hash in ("h1", "h2")
    ]


@pytest.mark.parametrize(
    "make_twins",
    [
        _twin_connections,
        _twin_webhook_keys,
        _twin_reviews,
        _twin_inbound_events,
        _twin_deliveries,
        _twin_digest_runs,
        _twin_invites,
    ],
    ids=lambda f: f.__name__.removeprefix("_twin_"),
)
async def test_unique_key_rejects_a_duplicate(
    session: AsyncSession,
    connection_id: int,
    make_twins: Callable[[AsyncSession, int], Awaitable[list[Base]]],
) -> None:
    rows = await make_twins(session, connection_id)
    *firsts, last = rows
    session.add_all(firsts)
    await session.flush()
    session.add(last)
    with pytest.raises(IntegrityError):
        await session.flush()


async def test_deleting_a_connection_cascades_and_unlinks(
    session: AsyncSession, connection_id: int
) -> None:
    review_id = await _add_review(session, connection_id)
    subscription_id = await _add_subscription(session, connection_id)
    session.add(Delivery(team_id="T1", channel_id="C1", review_id=review_id, mentions=[]))
    session.add(
        Invite(
            team_id="T1",
            user_id="U1",
            connection_id=connection_id,
            campaign_id="c",
            contact_hash="h",
            submission_key="k",
            status="sent",
        )
    )
    session.add(
        DigestRun(subscription_id=subscription_id, organization_key="1:o", iso_week="2026-W47")
    )
    await session.flush()

    await session.delete(await session.get_one(Connection, connection_id))
    await session.flush()
    session.expunge_all()

    for model in (Review, Subscription, Delivery, DigestRun):
        assert (await session.execute(select(model))).scalars().all() == []
    invite = (await session.execute(select(Invite))).scalar_one()
    assert invite.connection_id is None


async def test_deleting_a_subscription_keeps_its_deliveries(
    session: AsyncSession, connection_id: int
) -> None:
    review_id = await _add_review(session, connection_id)
    subscription_id = await _add_subscription(session, connection_id)
    session.add(
        Delivery(
            team_id="T1",
            channel_id="C1",
            review_id=review_id,
            subscription_id=subscription_id,
            mentions=["U2"],
        )
    )
    await session.flush()

    await session.delete(await session.get_one(Subscription, subscription_id))
    await session.flush()
    session.expunge_all()

    delivery = (await session.execute(select(Delivery))).scalar_one()
    assert delivery.subscription_id is None


async def test_timestamps_come_back_as_utc(
    session_factory: async_sessionmaker[AsyncSession], connection_id: int
) -> None:
    paris_winter = timezone(timedelta(hours=1))
    published = datetime(2026, 1, 31, 23, 30, 15, 123456, tzinfo=paris_winter)
    async with session_factory() as session, session.begin():
        review = _review(connection_id)
        review.published_at = published
        session.add(review)

    async with session_factory() as session:
        stored = (await session.execute(select(Review))).scalar_one()
        assert stored.published_at == published
        assert stored.published_at.tzinfo is UTC
        assert stored.published_at.isoformat() == "2026-01-31T22:30:15.123456+00:00"
        assert stored.first_seen_at.tzinfo is UTC
        # Comparisons in SQL see the same instant whatever offset the parameter has.
        found = await session.execute(
            select(Review.id).where(Review.published_at == published.astimezone(UTC))
        )
        assert found.scalar_one() == stored.id


async def test_naive_datetimes_are_refused(session: AsyncSession, connection_id: int) -> None:
    review = _review(connection_id)
    review.published_at = datetime(2026, 1, 1, 12, 0)
    session.add(review)
    with pytest.raises(StatementError, match="naive datetime"):
        await session.flush()


async def test_defaults_and_json_round_trip(
    session_factory: async_sessionmaker[AsyncSession], connection_id: int
) -> None:
    async with session_factory() as session, session.begin():
        subscription = _subscription(None)
        subscription.mentions = ["U1", "S2"]
        subscription.filter = {"sources": ["Google"], "max_rating": 2, "text": "café"}
        session.add(subscription)

    async with session_factory() as session:
        stored = (await session.execute(select(Subscription))).scalar_one()
    assert stored.filter == {"sources": ["Google"], "max_rating": 2, "text": "café"}
    assert stored.mentions == ["U1", "S2"]
    assert stored.connection_id is None
    assert (stored.alert_threshold, stored.digest_enabled) == (2, True)
    assert (stored.digest_day, stored.digest_hour, stored.digest_timezone) == (0, 9, "UTC")


async def test_json_none_is_sql_null(session: AsyncSession) -> None:
    connection = _connection()
    connection.scopes = None
    connection.poll_cursor = None
    session.add(connection)
    await session.flush()
    found = await session.execute(
        select(Connection.id).where(Connection.scopes.is_(None), Connection.poll_cursor.is_(None))
    )
    assert found.scalar_one() == connection.id
