"""The Slack reads services make, as a protocol: ``bot/slack_reads.py`` implements it."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["SlackReads"]


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
