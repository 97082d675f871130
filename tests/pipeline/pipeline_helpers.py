"""Shared steps of the pipeline tests: subscriptions as rows, webhooks, cards in the fake Slack."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bot.blocks.card import EVENT_TYPE_REVIEW_CARD
from bot.filters import Filter, Mention, parse
from harness import Service, wait_for
from storage.models import Connection, Delivery, InboundEvent, Review, Subscription

JSON = dict[str, Any]


@dataclass
class MovableClock:
    """Real time plus an offset the test can move forward."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


async def connection(service: Service, name: str) -> Connection:
    """The environment connection called ``name`` ("gumado" or "cloutly")."""
    async with service.deps.sessions() as session:
        row = await session.scalar(select(Connection).where(Connection.name == name))
    assert row is not None
    return row


async def subscribe(
    service: Service,
    channel_id: str = "C0REVIEWS",
    text: str = "all",
    *,
    mentions: Sequence[str] = (),
    alert_threshold: int = 2,
    connection_id: int | None = None,
    team_id: str = "T0DEMO",
) -> int:
    """Insert a subscription row as the subscribe command would; returns its id."""
    wanted: Filter = Filter() if text == "all" else parse(text)
    # The command keeps the people and the threshold in the filter and in their own columns.
    people = tuple(Mention("group" if m.startswith("S") else "user", m) for m in mentions)
    wanted = dataclasses.replace(wanted, mentions=people, alert_threshold=alert_threshold)
    async with service.deps.sessions() as session, session.begin():
        row = Subscription(
            team_id=team_id,
            channel_id=channel_id,
            connection_id=connection_id,
            filter_text=text,
            filter=wanted.to_json(),
            mentions=list(mentions),
            alert_threshold=alert_threshold,
            created_by="U0ADMIN",
        )
        session.add(row)
        await session.flush()
        return row.id


async def post_webhook(
    service: Service, payload: JSON | bytes | str, *, key: str | None = None
) -> tuple[int, JSON]:
    """POST a webhook body as Gumado does; returns (status, JSON answer)."""
    url = service.webhook_url if key is None else f"{service.base_url}/webhooks/gumado/{key}"
    body = json.dumps(payload).encode() if isinstance(payload, dict) else payload
    headers = {"Content-Type": "application/json", "User-Agent": "ReviewManagement/V1"}
    async with service.http.post(url, data=body, headers=headers) as response:
        try:
            answer = await response.json(content_type=None)
        except (aiohttp.ContentTypeError, json.JSONDecodeError):
            answer = {}
        return response.status, answer


def cards(service: Service, channel_id: str = "C0REVIEWS") -> list[JSON]:
    """Top-level review cards posted in a channel, oldest first."""
    return [
        m
        for m in service.slack.messages(channel_id)
        if (m.get("metadata") or {}).get("event_type") == EVENT_TYPE_REVIEW_CARD
    ]


def cards_of(service: Service, review_id: str | int, channel_id: str = "C0REVIEWS") -> list[JSON]:
    """The cards of one platform review in a channel."""
    return [
        m
        for m in cards(service, channel_id)
        if str(m["metadata"]["event_payload"]["review_id"]) == str(review_id)
    ]


async def wait_cards(
    service: Service, count: int, channel_id: str = "C0REVIEWS", timeout: float = 10.0
) -> list[JSON]:
    """Wait until the channel holds ``count`` cards, then let the pipeline settle."""
    await wait_for(
        lambda: len(cards(service, channel_id)) >= count, timeout=timeout, what=f"{count} cards"
    )
    await service.settle(timeout=timeout)
    return cards(service, channel_id)


async def rows(service: Service, model: Any, *where: Any) -> list[Any]:
    """Every row of ``model`` matching ``where``."""
    async with service.deps.sessions() as session:
        return list((await session.scalars(select(model).where(*where))).all())


async def count(service: Service, model: Any, *where: Any) -> int:
    """How many rows of ``model`` match ``where``."""
    async with service.deps.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def block_texts(message: JSON) -> str:
    """Every text of a message's blocks, joined (for assertions)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(parts)


__all__ = [
    "Delivery",
    "InboundEvent",
    "MovableClock",
    "Review",
    "block_texts",
    "cards",
    "cards_of",
    "connection",
    "count",
    "post_webhook",
    "rows",
    "subscribe",
    "wait_cards",
]

Clock = Callable[[], datetime]
