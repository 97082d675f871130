"""Shared steps of the Slack surface tests: run a command, read what came back, read rows."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select

from fakes.signing import interaction_body, signed_headers, slash_command_body
from harness import SIGNING_SECRET, Service
from storage.models import Connection, Subscription

JSON = dict[str, Any]


async def post_slack(service: Service, body: str) -> tuple[int, JSON | None]:
    """POST a signed Slack request; (status, JSON body or None). Asserts a fast answer."""
    started = time.monotonic()
    async with service.http.post(
        f"{service.base_url}/slack/events",
        data=body.encode(),
        headers=signed_headers(body, SIGNING_SECRET),
    ) as response:
        raw = await response.read()
        status = response.status
    elapsed = time.monotonic() - started
    # Not a strict timing test: the ack must just never wait for Slack or the platforms.
    assert elapsed < 1.0, f"the request took {elapsed:.2f} s to be acknowledged"
    return status, (json.loads(raw) if raw else None)


async def run_slash(
    service: Service,
    text: str,
    *,
    user_id: str = "U0ADMIN",
    channel_id: str = "C0REVIEWS",
    trigger_id: str | None = None,
) -> tuple[JSON | None, list[JSON]]:
    """``/reviews <text>``: (the ack's JSON body or None, response_url posts after settling)."""
    url = service.slack.new_response_url(channel=channel_id, user_id=user_id)
    body = slash_command_body(
        text, user_id=user_id, channel_id=channel_id, response_url=url, trigger_id=trigger_id
    )
    status, ack = await post_slack(service, body)
    assert status == 200, ack
    await service.settle()
    return ack, service.slack.responses(url)


async def interact(service: Service, payload: JSON) -> JSON | None:
    """Send an interactivity payload; assert 200; return the ack body (view responses)."""
    status, ack = await post_slack(service, interaction_body(payload))
    assert status == 200, ack
    return ack


def all_text(posts: list[JSON] | JSON | None) -> str:
    """Every text of a message or a list of messages, joined (for assertions on wording)."""
    if posts is None:
        return ""
    items = posts if isinstance(posts, list) else [posts]
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    texts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(items)
    return "\n".join(texts)


async def subscriptions_of(service: Service, channel_id: str = "C0REVIEWS") -> list[Subscription]:
    """The channel's subscription rows, oldest first."""
    async with service.deps.sessions() as session:
        rows = await session.scalars(
            select(Subscription)
            .where(Subscription.channel_id == channel_id)
            .order_by(Subscription.id)
        )
        return list(rows)


async def connection_id(service: Service, name: str) -> int:
    """Id of the environment connection called ``name``."""
    async with service.deps.sessions() as session:
        found = await session.scalar(select(Connection.id).where(Connection.name == name))
    assert found is not None
    return int(found)
