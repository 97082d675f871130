"""Modal submissions: the subscription form."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.subscribe_modal import build_subscribe_notice
from bot.blocks.subscribe_state import parse_subscribe_state
from bot.deps import Deps
from bot.services.directory import Directory, MentionError
from bot.services.subscribe_form import read_form_context, submit_subscribe_form
from handlers.errors import spawn_reported
from handlers.ids import BLOCK_SUB_GROUPS, CALLBACK_SUBSCRIBE

__all__ = ["register"]

# The submission must be answered within 3 s; handles are usually cached from when the form
# opened, and past this a slow lookup is left to the background (errors then come as a message).
HANDLE_LOOKUP_SECONDS = 1.5


async def subscribe_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: Deps,
    directory: Directory,
) -> None:
    """Validate the subscription form (errors inline), close it, then subscribe."""
    choice = parse_subscribe_state((view.get("state") or {}).get("values") or {})
    if choice.errors:
        await ack(response_action="errors", errors=choice.errors)
        return
    context = read_form_context(view.get("private_metadata"))
    if context is None:
        notice = build_subscribe_notice(
            "This form lost track of its channel. Run `/reviews subscribe` in the channel again."
        )
        await ack(response_action="update", view=notice)
        return
    team_id = str((body.get("team") or {}).get("id") or view.get("team_id") or "")
    user_id = str(body["user"]["id"])
    if any(m.kind == "handle" for m in choice.filter.mentions):
        try:
            await asyncio.wait_for(
                directory.resolve_mentions(client, team_id, choice.filter.mentions),
                timeout=HANDLE_LOOKUP_SECONDS,
            )
        except MentionError as exc:
            message = f"@{exc.handle}: {exc.reason}"
            await ack(response_action="errors", errors={BLOCK_SUB_GROUPS: message[:150]})
            return
        except (SlackApiError, TimeoutError):
            pass  # resolved again after the ack; a problem then arrives as a message
    await ack()
    respond = AsyncRespond(response_url=context.response_url) if context.response_url else None
    work = submit_subscribe_form(
        deps,
        directory,
        client,
        team_id=team_id,
        user_id=user_id,
        context=context,
        choice=choice,
        respond=respond,
    )
    spawn_reported(deps, work, respond=respond, name="subscribe_form_submitted")


def register(app: AsyncApp) -> None:
    """Attach the modal listeners."""
    app.view(CALLBACK_SUBSCRIBE)(subscribe_submitted)
