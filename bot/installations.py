"""Many workspaces: Slack OAuth installations in the app's database, and a client per team.

The stores are slack_sdk's own ``AsyncSQLAlchemyInstallationStore`` and
``AsyncSQLAlchemyOAuthStateStore`` on the app's async engine (tables from migration 0002);
bot and refresh tokens are Fernet-encrypted (``ENCRYPTION_KEY``) before they reach them.

:class:`InstallationClient` is the Web API client the pipeline gets from
``Deps.slack_client(team_id)`` in OAuth mode: it looks the team's bot token up (rotating it
when it is about to expire) on every call, so a new install, a rotated token or an uninstall
takes effect at once in every replica.
"""

from __future__ import annotations

import copy
import logging
from contextvars import ContextVar
from typing import Any

import aiohttp
from aiohttp import FormData
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.crypto import HOW_TO_MAKE_A_KEY, TokenCipher
from bot.errors import StartupError
from bot.log import get_logger
from bot.metrics import Metrics
from bot.slack_images import ImageFallbackClient
from storage.repositories.teams import ForgottenTeam, forget_team_data

__all__ = [
    "BOT_SCOPES",
    "NOT_INSTALLED",
    "STATE_EXPIRATION_SECONDS",
    "TOKEN_ROTATION_MINUTES",
    "EncryptedInstallationStore",
    "InstallationClient",
    "SlackInstallations",
    "forget_workspace",
    "open_installations",
]

log = get_logger(__name__)

# The bot scopes of manifest.yml (tests/oauth checks they agree).
BOT_SCOPES: tuple[str, ...] = (
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:history",
    "groups:history",
    "channels:join",
    "channels:read",
    "groups:read",
    "users:read",
    "usergroups:read",
    "im:write",
    "files:write",
    "team:read",
)
# Slack's authorization codes live 10 minutes; a state older than that is useless anyway.
STATE_EXPIRATION_SECONDS = 600
# Rotate a token this long before it expires (Slack's rotating tokens live 12 hours).
TOKEN_ROTATION_MINUTES = 120
# The error an InstallationClient call fails with when the team has no installation.
NOT_INSTALLED = "not_installed"

_BOT_TOKEN_FIELDS = ("bot_token", "bot_refresh_token")
# Set while async_save runs: the parent then saves ``installation.to_bot()``, already sealed.
_SAVING_SEALED: ContextVar[bool] = ContextVar("saving_sealed_installation", default=False)
_INSTALLATION_TOKEN_FIELDS = (*_BOT_TOKEN_FIELDS, "user_token", "user_refresh_token")


class EncryptedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's async SQLAlchemy store, with every token Fernet-encrypted at rest."""

    def __init__(self, client_id: str, engine: AsyncEngine, cipher: TokenCipher) -> None:
        super().__init__(
            client_id=client_id, engine=engine, logger=logging.getLogger("bot.installations")
        )
        self._cipher = cipher

    def _sealed(self, entity: Any, fields: tuple[str, ...]) -> Any:
        sealed = copy.copy(entity)
        for name in fields:
            value = getattr(sealed, name, None)
            if value:
                setattr(sealed, name, self._cipher.encrypt(value))
        return sealed

    def _opened(self, entity: Any, fields: tuple[str, ...]) -> Any:
        if entity is not None:
            for name in fields:
                value = getattr(entity, name, None)
                if value:
                    setattr(entity, name, self._cipher.decrypt(value))
        return entity

    async def async_save(self, installation: Installation) -> None:
        """Save the installation and its bot (tokens encrypted)."""
        sealed = self._sealed(installation, _INSTALLATION_TOKEN_FIELDS)
        marker = _SAVING_SEALED.set(True)
        try:
            await super().async_save(sealed)
        finally:
            _SAVING_SEALED.reset(marker)

    async def async_save_bot(self, bot: Bot) -> None:
        """Save a bot (after a token rotation: same row, new tokens)."""
        if not _SAVING_SEALED.get():
            bot = self._sealed(bot, _BOT_TOKEN_FIELDS)
        await super().async_save_bot(bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The team's latest bot, tokens decrypted."""
        bot = await super().async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._opened(bot, _BOT_TOKEN_FIELDS)  # type: ignore[no-any-return]

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The team's latest installation, tokens decrypted."""
        installation = await super().async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._opened(installation, _INSTALLATION_TOKEN_FIELDS)  # type: ignore[no-any-return]


class SlackInstallations:
    """The OAuth-mode resources: installation and state stores, token rotation, team clients."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        cipher: TokenCipher,
        client_id: str,
        client_secret: str,
        api_url: str,
        rotation_minutes: int = TOKEN_ROTATION_MINUTES,
        metrics: Metrics | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.store = EncryptedInstallationStore(client_id, engine, cipher)
        self.state_store = AsyncSQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_EXPIRATION_SECONDS,
            engine=engine,
            logger=logging.getLogger("bot.installations"),
        )
        self.api_url = api_url
        self.metrics = metrics
        self.session = session
        """The app's shared Slack connections (:func:`bot.slack_web.slack_session`)."""
        self.rotation_minutes = rotation_minutes
        self._rotator = AsyncTokenRotator(
            client_id=client_id,
            client_secret=client_secret,
            client=AsyncWebClient(base_url=api_url, timeout=10, session=session),
        )
        self._clients: dict[str, InstallationClient] = {}

    def __repr__(self) -> str:
        return f"SlackInstallations(client_id={self.store.client_id!r})"

    def client_for(self, team_id: str) -> InstallationClient:
        """The Web API client of ``team_id`` (its token is looked up on each call)."""
        client = self._clients.get(team_id)
        if client is None:
            client = self._clients[team_id] = InstallationClient(self, team_id)
        return client

    async def bot_token(self, team_id: str, enterprise_id: str | None = None) -> str | None:
        """The team's current bot token, rotated first when it expires soon; None if not installed."""
        bot = await self.store.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None:
            return None
        try:
            refreshed = await self._rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=self.rotation_minutes
            )
        except SlackTokenRotationError as exc:
            # Slack refused the refresh token: the app was uninstalled or the token revoked.
            log.warning("slack_token_rotation_failed", team_id=team_id, error=str(exc.api_error))
            return None
        if refreshed is not None:
            await self.store.async_save_bot(refreshed)
            log.info("slack_token_rotated", team_id=team_id)
            return str(refreshed.bot_token)
        return str(bot.bot_token) if bot.bot_token else None

    async def is_installed(self, team_id: str, enterprise_id: str | None = None) -> bool:
        """True when the team has a bot installation."""
        bot = await self.store.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
        return bot is not None

    async def uninstall(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget every installation and bot of the team (``app_uninstalled``)."""
        await self.store.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.store.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    async def revoke(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        bot_user_ids: list[str],
        user_ids: list[str],
    ) -> None:
        """Forget revoked tokens (``tokens_revoked``): the bot's, and those of the users named."""
        if bot_user_ids:
            await self.store.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        for user_id in user_ids:
            await self.store.async_delete_installation(
                enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
            )


class InstallationClient(ImageFallbackClient):
    """An AsyncWebClient for one team whose bot token comes from the installation store.

    Every call first asks :meth:`SlackInstallations.bot_token` (rotating the token when due);
    a team without an installation gets a ``SlackApiError`` with error ``not_installed``,
    which the sender records as a permanent failure, exactly like a revoked token. A call Slack
    refused over an image goes again without it (:class:`ImageFallbackClient`), with whatever
    token of this same team the client holds by then.
    """

    def __init__(self, installations: SlackInstallations, team_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("base_url", installations.api_url)
        kwargs.setdefault("metrics", installations.metrics)
        kwargs.setdefault("session", installations.session)
        super().__init__(token=None, **kwargs)
        self.installations = installations
        self.installed_team_id = team_id

    def __repr__(self) -> str:
        return f"InstallationClient(team_id={self.installed_team_id!r})"

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | FormData | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> AsyncSlackResponse:
        """Resolve the team's bot token, then make the call as AsyncWebClient does."""
        token = await self.installations.bot_token(self.installed_team_id)
        if token is None:
            response = AsyncSlackResponse(
                client=self,
                http_verb=http_verb,
                api_url=f"{self.base_url}{api_method}",
                req_args={},
                data={"ok": False, "error": NOT_INSTALLED},
                headers={},
                status_code=200,
            )
            raise SlackApiError(  # type: ignore[no-untyped-call]
                f"the app is not installed in {self.installed_team_id}", response
            )
        # No await between setting the token and the parent reading it into the request.
        self.token = token
        return await super().api_call(
            api_method,
            http_verb=http_verb,
            files=files,
            data=data,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
        )


def open_installations(
    settings: Settings,
    engine: AsyncEngine,
    cipher: TokenCipher | None,
    *,
    metrics: Metrics | None = None,
    session: aiohttp.ClientSession | None = None,
) -> SlackInstallations:
    """The OAuth-mode resources for ``settings`` (StartupError without ENCRYPTION_KEY).

    ``session``: the app's shared Slack connections, for every team's client and the rotator.
    """
    if settings.slack_client_id is None or settings.slack_client_secret is None:
        raise StartupError("OAuth needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    if cipher is None:
        raise StartupError(
            "OAuth mode stores every workspace's bot token encrypted: set ENCRYPTION_KEY "
            f"(make one with `{HOW_TO_MAKE_A_KEY}`)"
        )
    return SlackInstallations(
        engine=engine,
        cipher=cipher,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        api_url=settings.slack_api_url,
        metrics=metrics,
        session=session,
    )


async def forget_workspace(
    installations: SlackInstallations | None,
    sessions: async_sessionmaker[AsyncSession],
    *,
    enterprise_id: str | None,
    team_id: str | None,
) -> ForgottenTeam | None:
    """``app_uninstalled`` in OAuth mode: drop the installation and the workspace's data.

    The installation (bot token) goes first, so nothing is posted there any more; then the
    team's subscriptions, queued cards and connections (with their platform tokens: a
    workspace that removed the app should not leave its Gumado/Cloutly keys behind).
    """
    if installations is None:
        return None
    await installations.uninstall(enterprise_id=enterprise_id, team_id=team_id)
    if team_id is None:
        return None
    async with sessions() as session, session.begin():
        forgotten = await forget_team_data(session, team_id=team_id)
    log.warning(
        "slack_workspace_forgotten",
        team_id=team_id,
        connections=forgotten.connections,
        subscriptions=forgotten.subscriptions,
        deliveries=forgotten.deliveries,
    )
    return forgotten
