"""The ``/reviews digest settings`` modal's listeners: its submission and timezone typeahead.

The form is opened by ``/reviews digest settings`` (``handlers/digest.py`` calls
:func:`bot.digest.settings_form.open_digest_settings`).
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.digest_settings import build_digest_settings_notice
from bot.deps import Deps
from bot.digest.settings_form import (
    read_digest_settings,
    read_settings_channel,
    save_digest_settings,
    timezone_options,
)
from bot.services.directory import Directory
from handlers.errors import spawn_reported
from handlers.ids import ACTION_DIGEST_TIMEZONE, CALLBACK_DIGEST_SETTINGS

__all__ = ["register"]

# One timezone menu per subscription, each with its own action id (constant + ":" + id).
TIMEZONE_ACTION = re.compile(rf"^{re.escape(ACTION_DIGEST_TIMEZONE)}:\d+$")
LOST_CHANNEL = (
    "This form lost track of its channel. Run `/reviews digest settings` in the channel again."
)


async def digest_settings_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: Deps,
    directory: Directory,
) -> None:
    """Validate the schedules (errors inline), close the form, then save and confirm privately."""
    submission = read_digest_settings((view.get("state") or {}).get("values") or {})
    if submission.errors:
        await ack(response_action="errors", errors=submission.errors)
        return
    channel_id = read_settings_channel(view.get("private_metadata"))
    if channel_id is None:
        await ack(response_action="update", view=build_digest_settings_notice(LOST_CHANNEL))
        return
    await ack()
    team_id = str((body.get("team") or {}).get("id") or view.get("team_id") or "")
    work = save_digest_settings(
        deps,
        directory,
        client,
        team_id=team_id,
        channel_id=channel_id,
        user_id=str(body["user"]["id"]),
        choices=submission.choices,
    )
    # A view submission has no response_url: a failure is logged (handlers/errors.py).
    spawn_reported(deps, work, respond=None, name="digest_settings_submitted")


async def timezone_typeahead(ack: AsyncAck, body: dict[str, Any]) -> None:
    """Timezones matching what was typed (no I/O: the zone list is local)."""
    await ack(options=timezone_options(str(body.get("value") or "")))


def register(app: AsyncApp) -> None:
    """Attach the digest settings modal's listeners."""
    app.view(CALLBACK_DIGEST_SETTINGS)(digest_settings_submitted)
    app.options(TIMEZONE_ACTION)(timezone_typeahead)
