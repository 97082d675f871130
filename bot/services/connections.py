"""Connections: creating them from the environment at start-up, checking tokens live."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.crypto import HOW_TO_MAKE_A_KEY, new_webhook_key
from bot.deps import Deps
from bot.errors import ProviderError, StartupError
from bot.log import get_logger
from bot.providers.protocol import Provider, ProviderInfo
from bot.providers.registry import PLATFORMS
from storage.models import Connection
from storage.repositories import upsert_connection, upsert_organizations

__all__ = ["EnvConnection", "bootstrap_env_connections", "webhook_url"]

log = get_logger(__name__)


@dataclass(frozen=True)
class EnvConnection:
    """What start-up made of one platform variable."""

    connection_id: int
    platform: str
    name: str
    healthy: bool
    created: bool
    problem: str | None = None


def webhook_url(public_url: str | None, platform: str, webhook_key: str) -> str:
    """The URL to paste into the platform's webhook settings."""
    base = (public_url or "https://YOUR-HOST").rstrip("/")
    return f"{base}/webhooks/{platform}/{webhook_key}"


def mask_key(webhook_key: str) -> str:
    """Enough of a webhook key to recognise it in a log line, never enough to use it."""
    return webhook_key[:4] + "…"


async def _check_token(provider: Provider) -> tuple[list[tuple[str, str]], str | None]:
    """(organizations as (id, name), problem) after a live check of the token."""
    try:
        checked = await provider.check_token(probe_scopes=False)
    except ProviderError as exc:
        return [], str(exc)
    return [(org.id, org.name) for org in checked.organizations], None


def _env_tokens(deps: Deps) -> list[tuple[ProviderInfo, str]]:
    wanted: list[tuple[ProviderInfo, str]] = []
    for platform in PLATFORMS.values():
        secret = getattr(deps.settings, platform.info.env_setting, None)
        if secret is not None:
            wanted.append((platform.info, secret.get_secret_value()))
    return wanted


async def bootstrap_env_connections(deps: Deps, team_id: str) -> list[EnvConnection]:
    """Create or refresh the workspace's connections from the platform variables.

    ``GUMADO_API_TOKEN`` makes the connection ``gumado``, ``CLOUTLY_API_KEY`` the connection
    ``cloutly``: each is named after its platform.

    A refused token is a warning and a connection marked unhealthy, never a crash; tokens are
    stored only encrypted, so a token without ENCRYPTION_KEY stops start-up.
    """
    wanted = _env_tokens(deps)
    if not wanted:
        return []
    if deps.cipher is None:
        names = " and ".join(info.env_variable for info, _ in wanted)
        raise StartupError(
            f"{names} is set but ENCRYPTION_KEY is not; tokens are stored encrypted. "
            f"Make a key with `{HOW_TO_MAKE_A_KEY}` and set ENCRYPTION_KEY"
        )

    return [await _bootstrap_one(deps, team_id, info, token) for info, token in wanted]


def _env_webhook_key(deps: Deps, info: ProviderInfo, existing: Connection | None) -> str | None:
    """The fixed key from the environment, a new one, or None to keep the stored one."""
    if not info.has_webhooks:
        return None
    fixed = (
        getattr(deps.settings, info.webhook_key_setting, None) if info.webhook_key_setting else None
    )
    if fixed is not None:
        return str(fixed.get_secret_value())
    if existing is None or existing.webhook_key is None:
        return new_webhook_key()
    return None


async def _bootstrap_one(deps: Deps, team_id: str, info: ProviderInfo, token: str) -> EnvConnection:
    """Check one platform variable's token and store its connection (unhealthy if refused)."""
    assert deps.cipher is not None
    platform = name = info.name
    provider = deps.providers.new_provider(platform, token)
    try:
        organizations, problem = await _check_token(provider)
    finally:
        await provider.aclose()
    now = deps.clock()
    async with deps.sessions() as session, session.begin():
        existing = await session.scalar(
            select(Connection).where(Connection.team_id == team_id, Connection.name == name)
        )
        connection, created = await upsert_connection(
            session,
            team_id=team_id,
            name=name,
            platform=platform,
            token_encrypted=deps.cipher.encrypt(token),
            webhook_key=_env_webhook_key(deps, info, existing),
            now=now,
        )
        if problem is not None:
            connection.healthy = False
            connection.last_error = problem
            connection.last_error_at = now
        await upsert_organizations(
            session,
            connection_id=connection.id,
            organizations=[_Named(org_id, org_name) for org_id, org_name in organizations],
            now=now,
        )
    if problem is not None:
        log.warning(
            "connection_unhealthy",
            connection=name,
            platform=platform,
            reason=f"{info.env_variable} was refused: {problem}",
        )
    else:
        log.info(
            "connection_ready",
            connection=name,
            platform=platform,
            organizations=len(organizations),
            created=created,
            webhook=(
                webhook_url(deps.settings.public_url, platform, mask_key(connection.webhook_key))
                if connection.webhook_key
                else None
            ),
        )
    return EnvConnection(connection.id, platform, name, problem is None, created, problem)


@dataclass(frozen=True)
class _Named:
    id: str
    name: str
