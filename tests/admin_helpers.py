"""Shared steps of the connect, disconnect, status and Home tests: signed requests, rows, texts."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select

from bot.blocks.ids import (
    ACTION_CONNECT_CREDENTIAL,
    ACTION_CONNECT_NAME,
    ACTION_CONNECT_PLATFORM,
    BLOCK_CONNECT_CREDENTIAL,
    BLOCK_CONNECT_NAME,
    BLOCK_CONNECT_PLATFORM,
    CALLBACK_CONNECT,
)
from harness import SIGNING_SECRET, Service
from sandbox.signing import (
    interaction_body,
    selected_value,
    signed_headers,
    slash_command_body,
    text_value,
    view_submission_payload,
)
from storage.models import Connection

JSON = dict[str, Any]


# Slack gives up on an acknowledgement after 3 s; this leaves room for the network. The tests
# that slow the stand-in down check the ack itself; here a loaded CI machine must not fail it.
ACK_DEADLINE = 2.5


async def post_slack(
    service: Service, body: str, *, limit: float = ACK_DEADLINE
) -> tuple[int, JSON | None]:
    """POST a signed Slack request; (status, JSON body or None). Asserts an answer in time."""
    started = time.monotonic()
    async with service.http.post(
        f"{service.base_url}/slack/events",
        data=body.encode(),
        headers=signed_headers(body, SIGNING_SECRET),
    ) as response:
        raw = await response.read()
        status = response.status
    elapsed = time.monotonic() - started
    assert elapsed < limit, f"the request took {elapsed:.2f} s to be acknowledged"
    return status, (json.loads(raw) if raw else None)


async def interact(service: Service, payload: JSON) -> JSON | None:
    """Send an interactivity payload; assert 200; settle; return the ack body."""
    status, ack = await post_slack(service, interaction_body(payload))
    assert status == 200, ack
    await service.settle()
    return ack


def all_text(posts: Any) -> str:
    """Every text of a message, view or list of them, joined (for assertions on wording)."""
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

    walk(posts)
    return "\n".join(texts)


# A view submission may wait up to 1.8 s for the platform before it answers; Slack allows 3 s.
SUBMISSION_DEADLINE = 2.9


async def slash(
    service: Service, text: str, *, user_id: str = "U0ADMIN", channel_id: str = "C0REVIEWS"
) -> tuple[JSON | None, str]:
    """``/reviews <text>``; (ack body, the response_url), after the background work settled."""
    url = service.slack.new_response_url(channel=channel_id, user_id=user_id)
    body = slash_command_body(text, user_id=user_id, channel_id=channel_id, response_url=url)
    status, ack = await post_slack(service, body)
    assert status == 200, ack
    await service.settle()
    return ack, url


def latest_view(service: Service, callback_id: str) -> JSON:
    """The newest modal with ``callback_id``."""
    found = [v for v in service.slack.views.values() if v["callback_id"] == callback_id]
    assert found, [v["callback_id"] for v in service.slack.views.values()]
    return found[-1]


def connect_values(platform: str | None, token: str | None, name: str | None) -> JSON:
    """The modal's state as Slack submits it."""
    values: JSON = {
        BLOCK_CONNECT_CREDENTIAL: {ACTION_CONNECT_CREDENTIAL: text_value(token)},
        BLOCK_CONNECT_NAME: {ACTION_CONNECT_NAME: text_value(name)},
        BLOCK_CONNECT_PLATFORM: {ACTION_CONNECT_PLATFORM: {"type": "static_select"}},
    }
    if platform is not None:
        values[BLOCK_CONNECT_PLATFORM] = {
            ACTION_CONNECT_PLATFORM: selected_value(platform, platform.title())
        }
    return values


async def submit_connect(
    service: Service,
    platform: str | None,
    token: str | None,
    name: str | None,
    *,
    user_id: str = "U0ADMIN",
) -> tuple[JSON | None, float]:
    """Submit the open connect modal; (the ack body, seconds it took). Settles afterwards."""
    view = latest_view(service, CALLBACK_CONNECT)
    payload = view_submission_payload(view, connect_values(platform, token, name), user_id=user_id)
    body = interaction_body(payload)
    started = time.monotonic()
    async with service.http.post(
        f"{service.base_url}/slack/events",
        data=body.encode(),
        headers=signed_headers(body, SIGNING_SECRET),
    ) as response:
        raw = await response.read()
        assert response.status == 200, raw
    elapsed = time.monotonic() - started
    assert elapsed < SUBMISSION_DEADLINE, f"the submission took {elapsed:.2f} s to answer"
    await service.settle()
    return (json.loads(raw) if raw else None), elapsed


async def connection_named(service: Service, name: str) -> Connection | None:
    """The connection row called ``name`` (exact spelling), if any."""
    async with service.deps.sessions() as session:
        return await session.scalar(select(Connection).where(Connection.name == name))


async def connection_count(service: Service) -> int:
    """How many connections exist (every team)."""
    async with service.deps.sessions() as session:
        return len(list(await session.scalars(select(Connection.id))))
