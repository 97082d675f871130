"""Shared steps of the ``/reviews list`` and invite tests: read messages, views, invite rows."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from harness import Service
from sandbox.signing import block_actions_payload
from storage.models import Invite

JSON = dict[str, Any]


def last_view(service: Service, callback_id: str) -> JSON:
    """The newest view with ``callback_id`` (as Slack stores it: id, hash, state)."""
    found = [v for v in service.slack.views.values() if v["callback_id"] == callback_id]
    assert found, (
        f"no {callback_id} view among {[v['callback_id'] for v in service.slack.views.values()]}"
    )
    return found[-1]


def block(view: JSON, block_id: str) -> JSON:
    """The block of ``view`` with ``block_id``."""
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def nav_value(message: JSON, action_id: str) -> str | None:
    """The value of the listing's Prev/Next button, or None when it has none."""
    for item in message.get("blocks") or ():
        for element in item.get("elements") or ():
            if element.get("action_id") == action_id:
                return str(element["value"])
    return None


async def press(
    service: Service, message: JSON, action_id: str, *, channel: str = "C0REVIEWS"
) -> list[JSON]:
    """Press a button of an ephemeral listing; returns what its response_url received."""
    value = nav_value(message, action_id)
    assert value is not None, f"no {action_id} button"
    url = service.slack.new_response_url(channel=channel, user_id="U0ADMIN")
    payload = block_actions_payload(
        action_id, value=value, block_id="list_nav", response_url=url, is_ephemeral=True
    )
    await service.interact(payload)
    await service.settle()
    return service.slack.responses(url)


async def invite_rows(service: Service) -> list[Invite]:
    """Every row of ``invites``, oldest first."""
    async with service.deps.sessions() as session:
        return list(await session.scalars(select(Invite).order_by(Invite.id)))


def dumps(rows: list[Invite]) -> str:
    """Every column of every row as text (to prove what is not stored)."""
    return json.dumps(
        [{c.name: str(getattr(r, c.name)) for c in Invite.__table__.columns} for r in rows]
    )
