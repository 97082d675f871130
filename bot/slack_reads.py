"""The Slack reads services make, over slack_sdk: ``ok: false`` becomes SlackRefused.

Services (``bot/services/``) see only :class:`bot.services.reads.SlackReads`; this is the one
place that turns a listener's AsyncWebClient into it.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.errors import SlackRefused

__all__ = ["SlackReader"]


class SlackReader:
    """:class:`bot.services.reads.SlackReads` over one request's AsyncWebClient."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    @staticmethod
    async def _answer(call: Awaitable[AsyncSlackResponse]) -> dict[str, Any]:
        try:
            response = await call
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response else None
            raise SlackRefused(str(error or "unknown_error")) from exc
        return response.data if isinstance(response.data, dict) else {}

    async def users_info(self, *, user: str, include_locale: bool = False) -> dict[str, Any]:
        """``users.info`` (with the locale when asked)."""
        if include_locale:
            return await self._answer(self.client.users_info(user=user, include_locale=True))
        return await self._answer(self.client.users_info(user=user))

    async def users_list(self, *, limit: int, cursor: str | None) -> dict[str, Any]:
        """One page of ``users.list``."""
        return await self._answer(self.client.users_list(limit=limit, cursor=cursor))

    async def usergroups_list(self, *, include_disabled: bool) -> dict[str, Any]:
        """``usergroups.list``."""
        return await self._answer(self.client.usergroups_list(include_disabled=include_disabled))

    async def usergroups_users_list(self, *, usergroup: str) -> dict[str, Any]:
        """``usergroups.users.list``."""
        return await self._answer(self.client.usergroups_users_list(usergroup=usergroup))

    async def conversations_info(self, *, channel: str) -> dict[str, Any]:
        """``conversations.info``."""
        return await self._answer(self.client.conversations_info(channel=channel))

    async def conversations_join(self, *, channel: str) -> dict[str, Any]:
        """``conversations.join``."""
        return await self._answer(self.client.conversations_join(channel=channel))
