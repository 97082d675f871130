"""Shared steps of the Slack surface tests: run a command, read what came back, read rows."""

from __future__ import annotations

from typing import Any

from admin_helpers import all_text as all_text  # re-exported for the surface tests
from admin_helpers import post_slack
from sqlalchemy import select

from harness import Service
from sandbox.signing import interaction_body, slash_command_body
from storage.models import Connection, Subscription

JSON = dict[str, Any]


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
