"""The Slack side of the app, connected once for ``reviewbot serve`` and the command line.

One workspace (``SLACK_BOT_TOKEN``: ``auth.test`` says which) or many (OAuth: installations in
the database, ``bot/installations.py``); :meth:`SlackConnection.client_for` is the one client
factory every part of the app posts through.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.crypto import TokenCipher
from bot.installations import SlackInstallations, open_installations
from bot.metrics import Metrics
from bot.slack_web import SlackWorkspace, connect_workspace

__all__ = ["SlackConnection", "connect_slack"]


@dataclass(frozen=True)
class SlackConnection:
    """The workspace of the bot token, or the OAuth installations, or neither (not connected)."""

    workspace: SlackWorkspace | None = None
    installations: SlackInstallations | None = None
    """OAuth mode (many workspaces): installations in the database; None with SLACK_BOT_TOKEN."""

    @property
    def connected(self) -> bool:
        """True when the app can speak to Slack at all."""
        return self.workspace is not None or self.installations is not None

    def client_for(self, team_id: str) -> AsyncWebClient:
        """The Web API client that speaks for ``team_id`` (LookupError for an unknown team).

        In OAuth mode the client looks the team's installation up on each call instead (a
        team without one gets Slack-style ``not_installed`` errors).
        """
        if self.installations is not None:
            return self.installations.client_for(team_id)
        if self.workspace is None:
            raise LookupError("no Slack workspace is connected")
        return self.workspace.client_for(team_id)


async def connect_slack(
    settings: Settings,
    *,
    engine: AsyncEngine,
    cipher: TokenCipher | None,
    metrics: Metrics,
    session: aiohttp.ClientSession,
) -> SlackConnection:
    """The Slack that ``settings`` name: the installations (OAuth), else the bot token's workspace.

    Neither configured: not connected. The bot token is checked with ``auth.test``
    (StartupError when Slack refuses it); OAuth needs ENCRYPTION_KEY (StartupError).
    """
    if settings.oauth_enabled:
        # Many workspaces: each team's client looks its installation up.
        return SlackConnection(
            installations=open_installations(
                settings, engine, cipher, metrics=metrics, session=session
            )
        )
    if settings.slack_bot_token is not None:
        workspace = await connect_workspace(
            settings.slack_api_url,
            settings.slack_bot_token.get_secret_value(),
            metrics=metrics,
            session=session,
        )
        return SlackConnection(workspace=workspace)
    return SlackConnection()
