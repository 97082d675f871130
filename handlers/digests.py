"""Weekly digests: ``/reviews digest now [org]``, ``/reviews digest settings`` and its form."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.digest_settings import (
    build_digest_settings_modal,
    build_digest_settings_notice,
    build_digest_settings_saved,
)
from bot.blocks.subscriptions import build_notes
from bot.deps import Deps
from bot.digest.on_demand import plan_digest_now
from bot.digest.settings_form import (
    ScheduleChoice,
    digest_schedules,
    read_digest_settings,
    read_settings_channel,
    save_digest_settings,
    settings_metadata,
    timezone_options,
)
from bot.errors import UserError
from bot.log import get_logger
from bot.services.actor import Actor
from bot.services.directory import Directory
from handlers.actors import actor_of, state_values
from handlers.errors import spawn_reported
from handlers.ids import ACTION_DIGEST_TIMEZONE, CALLBACK_DIGEST_SETTINGS
from handlers.subcommands import SlashRequest, subcommand

__all__ = ["USAGE", "open_digest_settings", "register"]

log = get_logger(__name__)

USAGE = (
    "*Weekly digests*\n"
    '• `/reviews digest now` posts this channel\'s digests at once (or `/reviews digest now "Acme Dental"`)\n'
    "• `/reviews digest settings` sets the day, hour and timezone, or turns digests off (admins)"
)
# One timezone menu per subscription, each with its own action id (constant + ":" + id).
TIMEZONE_ACTION = re.compile(rf"^{re.escape(ACTION_DIGEST_TIMEZONE)}:\d+$")
LOST_CHANNEL = (
    "This form lost track of its channel. Run `/reviews digest settings` in the channel again."
)


async def _say(request: SlashRequest, text: str) -> None:
    await request.respond(text=text, response_type="ephemeral")


@subcommand(
    "digest",
    "post the weekly digest now, or change its schedule",
    '/reviews digest now "Acme Dental"',
)
async def digest_command(request: SlashRequest) -> None:
    """Route ``now`` and ``settings``; anything else gets the usage."""
    word, _, rest = request.text.strip().partition(" ")
    action = word.casefold()
    if action in ("now", "send"):
        await _now(request, rest)
    elif action in ("settings", "schedule", "setup"):
        try:
            await open_digest_settings(
                request.deps, request.actor, request.client, request.trigger_id
            )
        except UserError as exc:
            await _say(request, exc.user_message())
    else:
        await _say(request, USAGE)


async def _now(request: SlashRequest, text: str) -> None:
    service = request.deps.digests
    if service is None:
        await _say(request, "Digests are not running in this process; try again shortly.")
        return
    try:
        plan = await plan_digest_now(request.deps, request.actor, text)
    except UserError as exc:
        await _say(request, exc.user_message())
        return
    count = len(plan.targets)
    more = (
        f" ({plan.left_out} more organizations are covered here: name one to get its digest)"
        if plan.left_out
        else ""
    )
    await _say(
        request,
        f"Making {count} digest{'s' if count != 1 else ''} of the last 7 days; "
        f"{'they appear' if count != 1 else 'it appears'} here in a moment.{more}",
    )
    outcomes = await service.send_now(plan.targets, zone=plan.zone)
    failed = [o for o in outcomes if o.status != "sent"]
    if failed:
        reasons = ", ".join(sorted({o.error or o.status for o in failed}))
        await _say(
            request,
            f"{len(failed)} digest{'s' if len(failed) != 1 else ''} could not be posted here "
            f"(Slack said: {reasons}). `/reviews status` shows the channel's health.",
        )


async def open_digest_settings(
    deps: Deps, actor: Actor, client: AsyncWebClient, trigger_id: str
) -> None:
    """Open the schedule form for the actor's channel (admins only).

    UserError for a non-admin, a channel without subscriptions, or a modal Slack would not
    open (e.g. the trigger id expired).
    """
    channel_id = actor.channel_id or ""
    view = build_digest_settings_modal(
        channel_id=channel_id,
        schedules=await digest_schedules(deps, actor),
        private_metadata=settings_metadata(channel_id),
    )
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        error = str(exc.response.get("error") if exc.response else "unknown_error")
        log.warning("digest_settings_open_failed", error=error)
        raise UserError(
            f"Slack didn't let me open the form ({error}); run `/reviews digest settings` again."
        ) from None


async def _tell(client: AsyncWebClient, actor: Actor, message: dict[str, Any]) -> None:
    """Privately: an ephemeral in the channel, else (not a member there) a DM."""
    try:
        await client.chat_postEphemeral(
            channel=actor.channel_id or "", user=actor.user_id, **message
        )
        return
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response else None
        log.info("digest_settings_dm_instead", error=error)
    opened = await client.conversations_open(users=actor.user_id)
    await client.chat_postMessage(channel=opened["channel"]["id"], **message)


async def _save(
    deps: Deps, actor: Actor, client: AsyncWebClient, choices: Mapping[int, ScheduleChoice]
) -> None:
    """Save the schedules, then confirm privately (or say why not)."""
    try:
        result = await save_digest_settings(deps, actor, choices)
    except UserError as exc:
        await _tell(client, actor, build_notes([exc.user_message()]))
        return
    message = build_digest_settings_saved(
        channel_id=actor.channel_id or "", schedules=result.saved, skipped=result.skipped
    )
    await _tell(client, actor, message)


async def digest_settings_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: Deps,
    directory: Directory,
) -> None:
    """Validate the schedules (errors inline), close the form, then save and confirm privately."""
    submission = read_digest_settings(state_values(view))
    if submission.errors:
        await ack(response_action="errors", errors=submission.errors)
        return
    channel_id = read_settings_channel(view.get("private_metadata"))
    if channel_id is None:
        await ack(response_action="update", view=build_digest_settings_notice(LOST_CHANNEL))
        return
    await ack()
    team_id = str((body.get("team") or {}).get("id") or view.get("team_id") or "")
    actor = actor_of(body, client, directory, team_id=team_id, channel_id=channel_id)
    work = _save(deps, actor, client, submission.choices)
    # A view submission has no response_url: a failure is logged (handlers/errors.py).
    spawn_reported(deps, work, respond=None, name="digest_settings_submitted")


async def timezone_typeahead(ack: AsyncAck, body: dict[str, Any]) -> None:
    """Timezones matching what was typed (no I/O: the zone list is local)."""
    await ack(options=timezone_options(str(body.get("value") or "")))


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the digest settings form's listeners (the subcommand: above)."""
    app.view(CALLBACK_DIGEST_SETTINGS)(digest_settings_submitted)
    app.options(TIMEZONE_ACTION)(timezone_typeahead)
