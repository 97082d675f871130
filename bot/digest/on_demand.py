"""``/reviews digest now [org]``: which digests to make at once, and who may ask for which.

With no organization: every organization of this channel's subscriptions. With one: the
organization of those by that name (or id); an admin may also name any organization of the
workspace's connections. On-demand digests are outside the weekly record.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.deps import Deps
from bot.digest.schedule import zone_of
from bot.digest.targets import DigestTarget, organizations_of_team, subscription_targets
from bot.errors import UserError
from bot.services.actor import Actor
from bot.services.permissions import shows_admin_controls
from bot.text import escape_mrkdwn
from storage.repositories.subscriptions import channel_subscriptions

__all__ = ["MAX_AT_ONCE", "NowPlan", "plan_digest_now"]

MAX_AT_ONCE = 10
_QUOTES = "\"'“”‘’„"


@dataclass(frozen=True)
class NowPlan:
    """The digests to post now, and how many more the channel covers than are posted."""

    targets: list[DigestTarget]
    zone: ZoneInfo
    left_out: int


def clean_organization_query(text: str) -> str:
    """The organization a user typed: Slack's ``&amp;`` escapes undone, quotes removed."""
    return html.unescape(text).strip().strip(_QUOTES).strip()


def _names(targets: list[DigestTarget]) -> str:
    shown = sorted({t.organization_name for t in targets}, key=str.casefold)[:8]
    return ", ".join(f"“{escape_mrkdwn(name)}”" for name in shown)


async def plan_digest_now(deps: Deps, actor: Actor, text: str) -> NowPlan:
    """Choose the digests for the actor's channel; UserError when there is none to make."""
    team_id, channel_id = actor.team_id, actor.channel_id or ""
    query = clean_organization_query(text)
    async with deps.sessions() as session:
        subscriptions = await channel_subscriptions(session, team_id=team_id, channel_id=channel_id)
        covered: dict[str, DigestTarget] = {}
        for subscription in subscriptions:
            for target in await subscription_targets(session, subscription):
                covered.setdefault(target.organization_key, target)
        workspace = (
            await organizations_of_team(
                session, team_id=team_id, channel_id=channel_id, query=query
            )
            if query
            else []
        )
    zone = zone_of(subscriptions[0].digest_timezone) if subscriptions else ZoneInfo("UTC")
    if not query:
        if not subscriptions:
            raise UserError(
                "This channel has no subscriptions, so I don't know which organization to sum "
                'up. Subscribe it with `/reviews subscribe`, or name one: `/reviews digest now "Acme Dental"`.'
            )
        if not covered:
            raise UserError(
                "I don't know any organization of this channel's subscriptions yet: reviews "
                "arrive with their organization, or check the connection with `/reviews status`."
            )
        chosen = sorted(covered.values(), key=lambda t: t.organization_name.casefold())
        return NowPlan(chosen[:MAX_AT_ONCE], zone, max(0, len(chosen) - MAX_AT_ONCE))
    wanted_keys = {t.organization_key for t in workspace}
    here = [t for key, t in covered.items() if key in wanted_keys]
    if here:
        return NowPlan(here[:MAX_AT_ONCE], zone, max(0, len(here) - MAX_AT_ONCE))
    shown = escape_mrkdwn(query[:80])
    if not workspace:
        known = _names(list(covered.values()))
        hint = f" This channel's organizations: {known}." if known else ""
        raise UserError(f"I don't know an organization called “{shown}”.{hint}")
    if not await shows_admin_controls(deps.settings, actor):
        raise UserError(
            f"“{shown}” is not covered by this channel's subscriptions; an admin can post its "
            "digest here, or subscribe the channel to it."
        )
    return NowPlan(workspace[:MAX_AT_ONCE], zone, max(0, len(workspace) - MAX_AT_ONCE))
