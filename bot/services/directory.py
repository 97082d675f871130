"""Slack people and user groups: users.info, users.list and usergroups.list behind a short cache.

A subscription names people as ``@handle`` or in the escaped forms Slack sends
(``<@U…>``, ``<!subteam^S…|@handle>``); :meth:`Directory.resolve_mentions` turns every one into
a Slack id. The cache is small and brief (minutes): admin flags and handles rarely change, and
Slack's directory methods are Tier 2–4.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.errors import SlackRefused, UserError
from bot.filters import Mention
from bot.services.reads import SlackReads
from bot.text import escape_mrkdwn

__all__ = ["Directory", "MentionError", "SlackUser", "UserGroup"]

T = TypeVar("T")

DEFAULT_TTL_SECONDS = 300.0
MAX_ENTRIES = 2000
USERS_PAGE = 200


class MentionError(UserError):
    """A ``mention:`` that names nobody (or several people); ``user_message()`` says which."""

    def __init__(self, handle: str, reason: str) -> None:
        super().__init__(f"@{handle}: {reason}")
        self.handle = handle
        self.reason = reason

    def user_message(self) -> str:
        """A mrkdwn sentence naming the handle and what to do."""
        return f"I can't mention `@{escape_mrkdwn(self.handle)}`: {escape_mrkdwn(self.reason)}."


@dataclass(frozen=True, slots=True)
class SlackUser:
    """The parts of a Slack user object the app reads."""

    id: str
    name: str
    display_name: str
    tz: str | None
    is_admin: bool
    is_owner: bool
    is_primary_owner: bool
    is_restricted: bool
    is_bot: bool
    deleted: bool

    @property
    def is_workspace_admin(self) -> bool:
        """True for Slack admins and owners."""
        return self.is_admin or self.is_owner or self.is_primary_owner

    @classmethod
    def from_api(cls, user: dict[str, Any]) -> SlackUser:
        """Read a ``users.info``/``users.list`` member."""
        profile = user.get("profile") or {}
        return cls(
            id=str(user["id"]),
            name=str(user.get("name") or ""),
            display_name=str(profile.get("display_name") or ""),
            tz=user.get("tz") or None,
            is_admin=bool(user.get("is_admin")),
            is_owner=bool(user.get("is_owner")),
            is_primary_owner=bool(user.get("is_primary_owner")),
            is_restricted=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
            is_bot=bool(user.get("is_bot")),
            deleted=bool(user.get("deleted")),
        )


@dataclass(frozen=True, slots=True)
class UserGroup:
    """An enabled Slack user group."""

    id: str
    handle: str
    name: str


@dataclass
class _Entry(Generic[T]):
    expires: float
    value: T


class _TTLCache(Generic[T]):
    """A tiny dict with per-entry expiry; the oldest entries go first when it is full."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self.clock = clock
        self.entries: dict[tuple[str, ...], _Entry[T]] = {}

    def get(self, key: tuple[str, ...]) -> T | None:
        entry = self.entries.get(key)
        if entry is None or entry.expires <= self.clock():
            return None
        return entry.value

    def put(self, key: tuple[str, ...], value: T) -> T:
        if len(self.entries) >= MAX_ENTRIES:
            now = self.clock()
            self.entries = {k: e for k, e in self.entries.items() if e.expires > now}
            while len(self.entries) >= MAX_ENTRIES:
                self.entries.pop(next(iter(self.entries)))
        self.entries[key] = _Entry(self.clock() + self.ttl, value)
        return value

    def clear(self) -> None:
        self.entries.clear()


class Directory:
    """Cached look-ups of a workspace's people and user groups."""

    def __init__(
        self,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._users: _TTLCache[SlackUser] = _TTLCache(ttl_seconds, clock)
        self._groups: _TTLCache[tuple[UserGroup, ...]] = _TTLCache(ttl_seconds, clock)
        self._members: _TTLCache[tuple[SlackUser, ...]] = _TTLCache(ttl_seconds, clock)

    def forget(self) -> None:
        """Drop everything cached (tests; a workspace uninstall)."""
        self._users.clear()
        self._groups.clear()
        self._members.clear()

    async def user(self, client: SlackReads, team_id: str, user_id: str) -> SlackUser:
        """``users.info`` of one person (SlackRefused when Slack refuses)."""
        cached = self._users.get((team_id, user_id))
        if cached is not None:
            return cached
        response = await client.users_info(user=user_id)
        return self._users.put((team_id, user_id), SlackUser.from_api(response["user"]))

    async def usergroups(self, client: SlackReads, team_id: str) -> tuple[UserGroup, ...]:
        """The workspace's enabled user groups."""
        cached = self._groups.get((team_id,))
        if cached is not None:
            return cached
        response = await client.usergroups_list(include_disabled=False)
        groups = tuple(
            UserGroup(str(g["id"]), str(g.get("handle") or ""), str(g.get("name") or ""))
            for g in response.get("usergroups") or ()
            if not g.get("date_delete")
        )
        return self._groups.put((team_id,), groups)

    async def members(self, client: SlackReads, team_id: str) -> tuple[SlackUser, ...]:
        """Every person of the workspace (``users.list``, all pages)."""
        cached = self._members.get((team_id,))
        if cached is not None:
            return cached
        people: list[SlackUser] = []
        cursor: str | None = None
        while True:
            response = await client.users_list(limit=USERS_PAGE, cursor=cursor)
            for member in response.get("members") or ():
                user = SlackUser.from_api(member)
                people.append(self._users.put((team_id, user.id), user))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return self._members.put((team_id,), tuple(people))

    async def resolve_mentions(
        self, client: SlackReads, team_id: str, mentions: Sequence[Mention]
    ) -> tuple[Mention, ...]:
        """Every mention as a user or group id; ``@handle`` looked up (groups first, then people).

        Escaped forms (``<@U…>``, ``<!subteam^S…>``) are used as they are. MentionError names a
        handle that matches nobody, or several people.
        """
        resolved: list[Mention] = []
        for mention in mentions:
            if mention.kind == "handle":
                resolved.append(await self._resolve_handle(client, team_id, mention.value))
            elif mention.label:
                resolved.append(mention)
            else:
                resolved.append(await self._labelled(client, team_id, mention))
        unique: list[Mention] = []
        for mention in resolved:
            if all((m.kind, m.value) != (mention.kind, mention.value) for m in unique):
                unique.append(mention)
        return tuple(unique)

    async def _labelled(self, client: SlackReads, team_id: str, mention: Mention) -> Mention:
        """The mention with its current name as label, so messages can name it without a ping."""
        try:
            if mention.kind == "user":
                user = await self.user(client, team_id, mention.value)
                return Mention("user", mention.value, user.name or None)
            for group in await self.usergroups(client, team_id):
                if group.id == mention.value:
                    return Mention("group", mention.value, group.handle or None)
        except SlackRefused:
            pass  # the id still works; only its name is missing
        return mention

    async def _resolve_handle(self, client: SlackReads, team_id: str, handle: str) -> Mention:
        wanted = handle.lstrip("@").casefold()
        for group in await self.usergroups(client, team_id):
            if group.handle.casefold() == wanted:
                return Mention("group", group.id, group.handle)
        people = [
            user
            for user in await self.members(client, team_id)
            if not user.deleted and wanted in (user.name.casefold(), user.display_name.casefold())
        ]
        exact = [user for user in people if user.name.casefold() == wanted]
        if len(exact) == 1:
            people = exact
        if len(people) == 1:
            return Mention("user", people[0].id, people[0].name or handle)
        if people:
            raise MentionError(
                handle,
                f"{len(people)} people go by that name; type @ and pick the person "
                "from Slack's list so Slack sends who you mean",
            )
        raise MentionError(
            handle,
            "no user group or person has that handle (check the spelling, "
            "or type @ and pick from Slack's list)",
        )
