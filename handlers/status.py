"""``/reviews status`` and its *Retry* buttons (a failed delivery re-queued, the status redrawn)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.status import build_status, retry_delivery_id
from bot.blocks.subscriptions import build_notes
from bot.deps import Deps
from bot.services.actor import Actor
from bot.services.directory import Directory
from bot.services.status import gather_status, retry_delivery
from handlers.actors import actor_of, channel_of
from handlers.errors import spawn_reported
from handlers.ids import ACTION_STATUS_RETRY
from handlers.subcommands import SlashRequest, subcommand

__all__ = ["register"]

RETRY_ACTION = re.compile(rf"^{re.escape(ACTION_STATUS_RETRY)}:\d+$")


@subcommand(
    "status",
    "connections, their health, subscriptions and failed deliveries",
    "/reviews status",
)
async def status_command(request: SlashRequest) -> None:
    """The status report, privately."""
    await request.tell(build_status(await gather_status(request.deps, request.actor)))


async def _retry(deps: Deps, actor: Actor, respond: AsyncRespond, delivery_id: int) -> None:
    said = await retry_delivery(deps, actor, delivery_id)
    report = await gather_status(deps, actor)
    await respond(**build_status(report), response_type="ephemeral", replace_original=True)
    await respond(**build_notes([said]), response_type="ephemeral", replace_original=False)


async def retry_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    deps: Deps,
    directory: Directory,
) -> None:
    """*Retry*: put the failed card back in the sender's queue."""
    await ack()
    delivery_id = retry_delivery_id(str(action.get("action_id") or ""))
    if delivery_id is None:
        return
    actor = actor_of(body, client, directory, channel_id=str(channel_of(body)))
    spawn_reported(
        deps, _retry(deps, actor, respond, delivery_id), respond=respond, name="status_retry"
    )


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the status message's buttons (the subcommand: above)."""
    app.action(RETRY_ACTION)(retry_clicked)
