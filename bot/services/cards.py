"""Review cards after they are posted: *Mark handled* (``handlers/cards.py`` redraws the card)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.deps import Deps
from bot.domain import Review
from bot.pipeline.records import CardLook, CardNames, card_look, review_from_row
from storage.models import Connection
from storage.models import Review as ReviewRow
from storage.repositories.deliveries import find_card, request_card_refresh, set_handled

__all__ = ["HandledCard", "Marked", "mark_handled", "redraw_later"]


@dataclass(frozen=True)
class HandledCard:
    """What the card says once handled."""

    review: Review
    organization_name: str | None
    location_name: str | None
    mentions: list[str]
    look: CardLook = field(default_factory=CardLook)


@dataclass(frozen=True)
class Marked:
    """Whether the card was found, and the card to redraw (None: nothing changed)."""

    found: bool
    card: HandledCard | None = None


async def mark_handled(
    deps: Deps,
    *,
    team_id: str,
    channel_id: str,
    message_ts: str,
    delivery_id: int,
    user_id: str,
) -> Marked:
    """Record who handled a card; the card to redraw, or not found.

    Only the card posted for that delivery in that team, channel and message qualifies. A
    second click changes nothing.
    """
    async with deps.sessions() as session, session.begin():
        delivery = await find_card(
            session,
            delivery_id=delivery_id,
            team_id=team_id,
            channel_id=channel_id,
            message_ts=message_ts,
        )
        if delivery is None:
            return Marked(False)
        if not await set_handled(
            session, delivery_id=delivery.id, user_id=user_id, now=deps.clock()
        ):
            return Marked(True)  # already handled (maybe by someone else): nothing to change
        row = await session.get(ReviewRow, delivery.review_id)
        connection = await session.get(Connection, row.connection_id) if row else None
        if row is None or connection is None:
            return Marked(True)
        review = review_from_row(row, connection.platform)
        organization, location = await CardNames(session).of(connection.id, review)
        mentions = list(delivery.mentions or ())
        look = await card_look(session, delivery.subscription_id)
    return Marked(True, HandledCard(review, organization, location, mentions, look))


async def redraw_later(deps: Deps, delivery_id: int) -> None:
    """Slack refused the edit: the sender's update pass redraws the card."""
    async with deps.sessions() as session, session.begin():
        await request_card_refresh(session, delivery_id=delivery_id, now=deps.clock())
    deps.signals.outbound.set()
