"""Who may browse reviews and send invites: everyone, unless INVITE_ALLOWED_USER_IDS names people.

The list may hold user ids (``U…``/``W…``) and user-group ids (``S…``); a group's members come
from ``usergroups.users.list`` (Tier 2), cached for a minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.config import Settings
from bot.errors import SlackRefused
from bot.log import get_logger
from bot.services.actor import Actor
from bot.services.reads import SlackReads

__all__ = ["InviteAccess", "refusal"]

log = get_logger(__name__)

MEMBERS_TTL_SECONDS = 60.0


class InviteAccess:
    """Answers "may this person list and invite?" with a short cache of group members."""

    def __init__(
        self,
        *,
        ttl_seconds: float = MEMBERS_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._members: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}

    async def _group_members(
        self, client: SlackReads, team_id: str, group_id: str
    ) -> frozenset[str]:
        cached = self._members.get((team_id, group_id))
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        try:
            response = await client.usergroups_users_list(usergroup=group_id)
        except SlackRefused as exc:
            # A disabled or deleted group lets nobody in; say so in the log for the admin.
            error = exc.error
            log.warning("invite_group_members_unavailable", group_id=group_id, error=error)
            return frozenset()
        members = frozenset(str(user) for user in response.get("users") or ())
        self._members[(team_id, group_id)] = (self._clock() + self._ttl, members)
        return members

    async def allows(self, settings: Settings, actor: Actor) -> bool:
        """True when INVITE_ALLOWED_USER_IDS is empty, names the person, or one of their groups."""
        allowed = settings.invite_allowed_user_ids
        if not allowed or actor.user_id in allowed:
            return True
        for entry in allowed:
            if entry.startswith("S") and actor.user_id in await self._group_members(
                actor.client, actor.team_id, entry
            ):
                return True
        return False


def refusal(settings: Settings, what: str) -> str:
    """The sentence someone not allowed gets: who may ``what`` instead."""
    named = ", ".join(
        f"<!subteam^{entry}>" if entry.startswith("S") else f"<@{entry}>"
        for entry in settings.invite_allowed_user_ids
    )
    return (
        f"🔒 In this workspace only {named} may {what} (INVITE_ALLOWED_USER_IDS). "
        "Ask one of them, or ask a Slack admin to add you."
    )
