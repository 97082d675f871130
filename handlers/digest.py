"""``/reviews digest now [org]`` and ``/reviews digest settings`` (after the router's ack)."""

from __future__ import annotations

from bot.digest.on_demand import plan_digest_now
from bot.digest.settings_form import open_digest_settings
from bot.errors import UserError
from handlers.slash import SlashLike

__all__ = ["USAGE", "digest_command"]

USAGE = (
    "*Weekly digests*\n"
    '• `/reviews digest now` posts this channel\'s digests at once (or `/reviews digest now "Acme Dental"`)\n'
    "• `/reviews digest settings` sets the day, hour and timezone, or turns digests off (admins)"
)


async def _say(request: SlashLike, text: str) -> None:
    await request.respond(text=text, response_type="ephemeral")


async def digest_command(request: SlashLike) -> None:
    """Route ``now`` and ``settings``; anything else gets the usage."""
    word, _, rest = request.text.strip().partition(" ")
    action = word.casefold()
    if action in ("now", "send"):
        await _now(request, rest)
    elif action in ("settings", "schedule", "setup"):
        try:
            await open_digest_settings(
                request.deps,
                request.directory,
                request.client,
                team_id=request.team_id,
                channel_id=request.channel_id,
                user_id=request.user_id,
                trigger_id=request.trigger_id,
            )
        except UserError as exc:
            await _say(request, exc.user_message())
    else:
        await _say(request, USAGE)


async def _now(request: SlashLike, text: str) -> None:
    service = request.deps.digests
    if service is None:
        await _say(request, "Digests are not running in this process; try again shortly.")
        return
    try:
        plan = await plan_digest_now(
            request.deps,
            request.directory,
            request.client,
            team_id=request.team_id,
            channel_id=request.channel_id,
            user_id=request.user_id,
            text=text,
        )
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
