"""SQLAlchemy 2 models of every table; the Alembic migrations create exactly these."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar, Literal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "Connection",
    "Delivery",
    "DeliveryStatus",
    "DigestRun",
    "DigestStatus",
    "InboundEvent",
    "InboundStatus",
    "Invite",
    "Location",
    "Organization",
    "Platform",
    "Review",
    "Rollup",
    "RollupItem",
    "Subscription",
    "UTCDateTime",
    "utc_now",
]

Platform = str
InboundStatus = Literal["pending", "done", "failed"]
DeliveryStatus = Literal["pending", "sending", "sent", "failed"]
DigestStatus = Literal["claimed", "sent", "skipped", "failed"]

# Deterministic constraint names, identical on SQLite and PostgreSQL, so Alembic can find them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime (column default when none is given)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; use an aware UTC datetime")
        utc = value.astimezone(UTC)
        # SQLite stores text without an offset: keep every stored value in UTC so they compare.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base carrying the shared MetaData and type map."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # none_as_null: Python None is SQL NULL (not the JSON text 'null'), so IS NULL finds it.
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(none_as_null=True),
        list[str]: JSON(none_as_null=True),
    }


class Connection(Base):
    """A team's link to one Gumado or Cloutly account (token stored Fernet-encrypted)."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(80))
    token_encrypted: Mapped[str] = mapped_column(Text)
    webhook_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    healthy: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    scopes: Mapped[list[str] | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    last_webhook_at: Mapped[datetime | None]
    last_poll_at: Mapped[datetime | None]
    # Reviews the last poll could not read (skipped, logged by id): /reviews status shows it.
    last_poll_skipped: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    poll_cursor: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Organization(Base):
    """A Gumado organization or Cloutly business seen through a connection."""

    __tablename__ = "organizations"
    __table_args__ = (UniqueConstraint("connection_id", "platform_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    platform_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Location(Base):
    """A Gumado location (known from webhooks) seen through a connection."""

    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("connection_id", "platform_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    platform_id: Mapped[str] = mapped_column(String(64))
    organization_platform_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Review(Base):
    """The latest known state of one review; ``content_hash`` covers what a card shows."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("connection_id", "platform_id"),
        Index(None, "connection_id", "organization_platform_id", "published_at"),
        Index(None, "connection_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    platform_id: Mapped[str] = mapped_column(String(64))
    organization_platform_id: Mapped[str | None] = mapped_column(String(64))
    location_platform_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    # NULL: the review has no stars (Cloutly's fields are nullable; some sources rate nothing).
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    author: Mapped[str | None] = mapped_column(String(255))
    avatar_url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    source_logo_url: Mapped[str | None] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)
    reply_at: Mapped[datetime | None]
    # A reply known only by its day (Cloutly "date": "2021-02-04"): not an instant.
    reply_on: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime]
    platform_updated_at: Mapped[datetime | None]
    # Review state (NULL: the platform's answer did not say): see bot.domain.Review.
    hidden: Mapped[bool | None] = mapped_column(Boolean)
    verified: Mapped[bool | None] = mapped_column(Boolean)
    original_rating: Mapped[int | None] = mapped_column(SmallInteger)
    edited_at: Mapped[datetime | None]
    replied: Mapped[bool | None] = mapped_column(Boolean)
    reply_url: Mapped[str | None] = mapped_column(Text)
    archived: Mapped[bool | None] = mapped_column(Boolean)
    language: Mapped[str | None] = mapped_column(String(8))
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Subscription(Base):
    """A channel's subscription: which reviews become cards, who is mentioned, digest schedule."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index(None, "team_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    # NULL means every connection of the team.
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE")
    )
    filter_text: Mapped[str] = mapped_column(Text)
    filter: Mapped[dict[str, Any]]
    mentions: Mapped[list[str]] = mapped_column(default=list)
    alert_threshold: Mapped[int] = mapped_column(SmallInteger, default=2, server_default=text("2"))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    digest_day: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))
    digest_hour: Mapped[int] = mapped_column(SmallInteger, default=9, server_default=text("9"))
    digest_timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # The subscriber's Slack language (ISO 639-1): cards name a review's language only if other.
    language: Mapped[str | None] = mapped_column(String(8))


class InboundEvent(Base):
    """A webhook or poll result, committed before it is acknowledged; the router drains it."""

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("connection_id", "dedupe_key"),
        Index(None, "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(48))
    dedupe_key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utc_now)
    processed_at: Mapped[datetime | None]


class Delivery(Base):
    """One review card for one channel; the unique key makes it exactly one card per channel."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "review_id"),
        Index(None, "status", "next_attempt_at"),
        # Finding a review's cards (to update them) and the ON DELETE actions need these.
        Index(None, "review_id"),
        Index(None, "subscription_id"),
        Index(None, "remind_state", "respond_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None]
    message_ts: Mapped[str | None] = mapped_column(String(32))
    mentions: Mapped[list[str]] = mapped_column(default=list)
    last_error: Mapped[str | None] = mapped_column(Text)
    update_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    update_note: Mapped[str | None] = mapped_column(Text)
    handled_by: Mapped[str | None] = mapped_column(String(32))
    handled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    sent_at: Mapped[datetime | None]
    # The lease of the process posting (or updating) the card: see storage/repositories/deliveries.
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]
    # Slack times between which an attempt of unknown outcome may have posted the card (or,
    # once sent, its update note); NULL when nothing of it can be in Slack. See migration 0005.
    unsure_from: Mapped[float | None] = mapped_column(Float)
    unsure_to: Mapped[float | None] = mapped_column(Float)
    # A low rating's reply deadline (``respond:``) and its reminder: NULL (none), waiting,
    # queued, sent or skipped. See migration 0006.
    respond_by: Mapped[datetime | None]
    remind_state: Mapped[str | None] = mapped_column(String(16))
    # live (webhook or poll), backfill (the recent past on subscribing) or test (/reviews test).
    origin: Mapped[str] = mapped_column(String(16), default="live", server_default="live")


class Rollup(Base):
    """One roll-up message per channel and period: the reviews a subscription collects.

    ``pending`` until ``period_end`` (``next_attempt_at``), then posted once under a lease like
    a delivery (``sending``, ``sent``; ``failed`` when Slack refuses for good). A review joining
    a posted roll-up sets ``update_pending``: the message is edited, never posted again.
    """

    __tablename__ = "rollups"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "period_minutes", "period_start"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "subscription_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    period_minutes: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    message_ts: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    update_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    sent_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]
    unsure_from: Mapped[float | None] = mapped_column(Float)
    unsure_to: Mapped[float | None] = mapped_column(Float)


class RollupItem(Base):
    """A review in a roll-up (one row per roll-up and review)."""

    __tablename__ = "rollup_items"
    __table_args__ = (UniqueConstraint("rollup_id", "review_id"), Index(None, "review_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rollup_id: Mapped[int] = mapped_column(ForeignKey("rollups.id", ondelete="CASCADE"))
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    added_at: Mapped[datetime] = mapped_column(default=utc_now)


class DigestRun(Base):
    """One weekly digest of one organization for one subscription; the row is the lock."""

    __tablename__ = "digest_runs"
    __table_args__ = (UniqueConstraint("subscription_id", "organization_key", "iso_week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    # "<connection_id>:<organization platform id>"
    organization_key: Mapped[str] = mapped_column(String(160))
    # ISO 8601 week, e.g. "2026-W47"
    iso_week: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="claimed", server_default="claimed")
    claimed_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]
    message_ts: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)


class Invite(Base):
    """A review invite sent from Slack; the contact is kept only as a salted hash."""

    __tablename__ = "invites"
    __table_args__ = (Index(None, "connection_id", "campaign_id", "contact_hash", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL")
    )
    campaign_id: Mapped[str] = mapped_column(String(64))
    organization_platform_id: Mapped[str | None] = mapped_column(String(64))
    platform_invite_id: Mapped[str | None] = mapped_column(String(64))
    contact_hash: Mapped[str] = mapped_column(String(128))
    # Derived from the modal submission, so a double submit inserts (and sends) one invite.
    submission_key: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
