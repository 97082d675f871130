"""Who acts, where, and the Slack reads made on their behalf: what every service is handed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.services.directory import Directory

__all__ = ["Actor", "SlackReads"]


class SlackReads(Protocol):
    """The Slack Web API calls services make (``bot/slack_reads.py`` implements them).

    Each answers Slack's JSON, or raises :class:`bot.errors.SlackRefused` with Slack's error code.
    """

    async def users_info(self, *, user: str, include_locale: bool = False) -> dict[str, Any]: ...
    async def users_list(self, *, limit: int, cursor: str | None) -> dict[str, Any]: ...
    async def usergroups_list(self, *, include_disabled: bool) -> dict[str, Any]: ...
    async def usergroups_users_list(self, *, usergroup: str) -> dict[str, Any]: ...
    async def conversations_info(self, *, channel: str) -> dict[str, Any]: ...
    async def conversations_join(self, *, channel: str) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Actor:
    """The person in Slack a service acts for: their workspace, themselves, the channel."""

    team_id: str
    user_id: str
    channel_id: str | None
    """Where they asked from (None for a global shortcut or the Home tab)."""
    client: SlackReads
    directory: Directory
    """The app's cached Slack people and groups."""
