"""Stored rows as the values the blocks and filters take, and the card a delivery shows now."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.card import build_review_card
from bot.domain import Review
from bot.filters import Filter, Style
from bot.language import detect_language
from storage import models
from storage.repositories import location_names, organization_names
from storage.repositories.reminders import QUEUED, SENT

__all__ = [
    "OVERDUE_STATES",
    "CardLook",
    "CardNames",
    "NameCache",
    "card_for_delivery",
    "card_look",
    "fill_gaps",
    "review_from_row",
    "with_language",
]

T = TypeVar("T")


def review_from_row(row: models.Review, platform: str) -> Review:
    """The normalized review a stored row holds."""
    return Review(
        platform=platform,
        id=row.platform_id,
        rating=row.rating,
        source=row.source,
        published_at=row.published_at,
        organization_id=row.organization_platform_id,
        location_id=row.location_platform_id,
        author=row.author,
        avatar_url=row.avatar_url,
        title=row.title,
        text=row.text,
        url=row.url,
        source_logo_url=row.source_logo_url,
        reply=row.reply,
        reply_at=row.reply_at,
        reply_on=row.reply_on,
        updated_at=row.platform_updated_at,
        hidden=row.hidden,
        verified=row.verified,
        original_rating=row.original_rating,
        edited_at=row.edited_at,
        replied=row.replied,
        reply_url=row.reply_url,
        archived=row.archived,
        language=row.language,
    )


def with_language(review: Review, stored: models.Review | None) -> Review:
    """``review`` with its language: the stored one while title and text are unchanged."""
    unchanged = stored is not None and (stored.title, stored.text) == (review.title, review.text)
    if unchanged and stored is not None and stored.language is not None:
        return replace(review, language=stored.language)
    return replace(review, language=detect_language(review.title, review.text))


def fill_gaps(incoming: Review, stored: models.Review | None) -> Review:
    """Keep what one shape of a review never carries but another did.

    Gumado webhooks have ``url``, ``updated_at`` and the review state (``hidden``, ``verified``,
    ``original_rating``, ``review_updated_on``, ``replied``, ``reply_url``) but no
    ``source_logo``; ``GET /reviews`` has the logo but none of the others. Without this, every
    poll after a webhook would look like a change.
    """
    if stored is None:
        return incoming
    replied = _known(incoming.replied, stored.replied)
    return replace(
        incoming,
        url=incoming.url or stored.url,
        source_logo_url=incoming.source_logo_url or stored.source_logo_url,
        updated_at=incoming.updated_at or stored.platform_updated_at,
        hidden=_known(incoming.hidden, stored.hidden),
        verified=_known(incoming.verified, stored.verified),
        original_rating=_known(incoming.original_rating, stored.original_rating),
        edited_at=_known(incoming.edited_at, stored.edited_at),
        replied=replied,
        # A webhook saying "not replied" (reply_url null) drops the link; silence keeps it.
        reply_url=incoming.reply_url or (stored.reply_url if replied else None),
        archived=_known(incoming.archived, stored.archived),
    )


def _known(incoming: T | None, stored: T | None) -> T | None:
    return incoming if incoming is not None else stored


NameMaps = tuple[dict[str, str], dict[str, str]]
# Names change through webhooks this process routes (which drop the entry at once) and through
# other replicas or polls; this bounds how long such a rename takes to show.
NAME_CACHE_SECONDS = 30.0


class NameCache:
    """Organization and location names per connection, shared by the router and the poller."""

    def __init__(self, ttl: float = NAME_CACHE_SECONDS) -> None:
        self._ttl = ttl
        self._entries: dict[int, tuple[float, NameMaps]] = {}

    def get(self, connection_id: int) -> NameMaps | None:
        """The cached names, unless they are older than the TTL."""
        entry = self._entries.get(connection_id)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, connection_id: int, names: NameMaps) -> None:
        """Remember a connection's names."""
        self._entries[connection_id] = (time.monotonic() + self._ttl, names)

    def forget(self, connection_id: int) -> None:
        """Drop a connection's names (they were just changed)."""
        self._entries.pop(connection_id, None)


class CardNames:
    """Organization and location names per connection, loaded at most once per unit of work."""

    def __init__(self, session: AsyncSession, cache: NameCache | None = None) -> None:
        self._session = session
        self._cache = cache if cache is not None else NameCache()

    async def _load(self, connection_id: int) -> NameMaps:
        names = self._cache.get(connection_id)
        if names is None:
            names = (
                await organization_names(self._session, connection_id=connection_id),
                await location_names(self._session, connection_id=connection_id),
            )
            self._cache.put(connection_id, names)
        return names

    async def of(self, connection_id: int, review: Review) -> tuple[str | None, str | None]:
        """(organization name, location name) of a review, None where unknown."""
        organizations, locations = await self._load(connection_id)
        organization = organizations.get(review.organization_id) if review.organization_id else None
        location = locations.get(review.location_id) if review.location_id else None
        return organization, location

    def forget(self, connection_id: int) -> None:
        """Drop a connection's names (they were just changed)."""
        self._cache.forget(connection_id)


OVERDUE_STATES = (QUEUED, SENT)
"""A delivery's ``remind_state`` once its reply deadline has passed unanswered."""


@dataclass(frozen=True)
class CardLook:
    """How a subscription wants its cards: the style and the subscriber's language."""

    style: Style = "full"
    home_language: str | None = None


async def card_look(session: AsyncSession, subscription_id: int | None) -> CardLook:
    """The look of a delivery's subscription (the full card when it is gone or unreadable)."""
    if subscription_id is None:
        return CardLook()
    subscription = await session.get(models.Subscription, subscription_id)
    if subscription is None:
        return CardLook()
    try:
        style = Filter.from_json(subscription.filter or {}).style
    except (ValueError, TypeError, AttributeError):
        style = "full"
    return CardLook(style=style, home_language=subscription.language)


async def card_for_delivery(
    session: AsyncSession, names: CardNames, delivery: models.Delivery
) -> tuple[dict[str, Any], models.Review] | None:
    """The card payload a delivery shows now (current review, names, handler); None if gone."""
    row = await session.get(models.Review, delivery.review_id, populate_existing=True)
    if row is None:
        return None
    connection = await session.get(models.Connection, row.connection_id)
    if connection is None:
        return None
    review = review_from_row(row, connection.platform)
    organization, location = await names.of(connection.id, review)
    look = await card_look(session, delivery.subscription_id)
    payload = build_review_card(
        review,
        organization_name=organization,
        location_name=location,
        mentions=delivery.mentions or (),
        handled_by=delivery.handled_by,
        delivery_id=delivery.id,
        style=look.style,
        overdue=delivery.remind_state in OVERDUE_STATES,
        home_language=look.home_language,
    )
    return payload, row
