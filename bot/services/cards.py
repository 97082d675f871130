"""Review cards after they are posted: *Mark handled*."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackClientError

from bot.blocks.card import build_handled_card
from bot.deps import Deps
from bot.log import get_logger
from bot.pipeline.records import CardNames, review_from_row
from storage.models import Connection, Review
from storage.repositories.deliveries import find_card, request_card_refresh, set_handled

__all__ = ["mark_handled"]

log = get_logger(__name__)


async def mark_handled(
    deps: Deps,
    *,
    team_id: str,
    channel_id: str,
    message_ts: str,
    delivery_id: int,
    user_id: str,
) -> bool:
    """Record who handled a card and edit it to say so; False when there is no such card.

    Only the card posted for that delivery in that team, channel and message qualifies. A
    second click changes nothing. If Slack refuses the edit, the sender redraws it later.
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
            return False
        if not await set_handled(
            session, delivery_id=delivery.id, user_id=user_id, now=deps.clock()
        ):
            return True  # already handled (maybe by someone else): nothing to change
        row = await session.get(Review, delivery.review_id)
        connection = await session.get(Connection, row.connection_id) if row else None
        if row is None or connection is None:
            return True
        review = review_from_row(row, connection.platform)
        organization, location = await CardNames(session).of(connection.id, review)
        mentions = list(delivery.mentions or ())
    card = build_handled_card(
        review,
        handled_by=user_id,
        organization_name=organization,
        location_name=location,
        mentions=mentions,
        delivery_id=delivery_id,
    )
    try:
        client = deps.slack_client(team_id)
        await client.chat_update(
            channel=channel_id,
            ts=message_ts,
            text=card["text"],
            blocks=card["blocks"],
            metadata=card.get("metadata"),
        )
    except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError, LookupError) as exc:
        # The click is recorded; the sender's update pass redraws the card.
        log.warning("mark_handled_update_failed", delivery_id=delivery_id, error=type(exc).__name__)
        async with deps.sessions() as session, session.begin():
            await request_card_refresh(session, delivery_id=delivery_id, now=deps.clock())
        deps.signals.outbound.set()
    return True
