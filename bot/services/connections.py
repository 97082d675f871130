"""Connections: creating them from the environment at start-up, checking tokens live."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.crypto import HOW_TO_MAKE_A_KEY, new_webhook_key
from bot.deps import Deps
from bot.errors import ProviderError, StartupError
from bot.log import get_logger
from bot.providers.cloutly import CloutlyClient
from bot.providers.gumado import GumadoClient
from storage.models import Connection
from storage.repositories import upsert_connection, upsert_organizations

__all__ = ["ENV_CONNECTION_NAMES", "EnvConnection", "bootstrap_env_connections", "webhook_url"]

log = get_logger(__name__)

# The connections made from GUMADO_API_TOKEN / CLOUTLY_API_KEY carry these names.
ENV_CONNECTION_NAMES = {"gumado": "gumado", "cloutly": "cloutly"}


@dataclass(frozen=True)
class EnvConnection:
    """What start-up made of one platform variable."""

    connection_id: int
    platform: str
    name: str
    healthy: bool
    created: bool
    problem: str | None = None


def webhook_url(public_url: str | None, webhook_key: str) -> str:
    """The URL to paste into Gumado (Settings → API & Webhooks)."""
    base = (public_url or "https://YOUR-HOST").rstrip("/")
    return f"{base}/webhooks/gumado/{webhook_key}"


def mask_key(webhook_key: str) -> str:
    """Enough of a webhook key to recognise it in a log line, never enough to use it."""
    return webhook_key[:4] + "…"


async def _check_token(
    client: GumadoClient | CloutlyClient,
) -> tuple[list[tuple[str, str]], str | None]:
    """(organizations as (id, name), problem) after a live check of the token."""
    try:
        if isinstance(client, GumadoClient):
            await client.me()
            try:
                orgs = await client.list_organizations()
            except ProviderError as exc:
                # /me passed: the token works, it may just lack organizations:read.
                log.warning("gumado_organizations_unavailable", reason=str(exc))
                return [], None
        else:
            orgs = await client.list_businesses()
    except ProviderError as exc:
        return [], str(exc)
    return [(org.id, org.name) for org in orgs], None


async def bootstrap_env_connections(deps: Deps, team_id: str) -> list[EnvConnection]:
    """Create or refresh the workspace's connections from GUMADO_API_TOKEN / CLOUTLY_API_KEY.

    A refused token is a warning and a connection marked unhealthy, never a crash; tokens are
    stored only encrypted, so a token without ENCRYPTION_KEY stops start-up.
    """
    settings = deps.settings
    wanted: list[tuple[str, str]] = []
    if settings.gumado_api_token is not None:
        wanted.append(("gumado", settings.gumado_api_token.get_secret_value()))
    if settings.cloutly_api_key is not None:
        wanted.append(("cloutly", settings.cloutly_api_key.get_secret_value()))
    if not wanted:
        return []
    if deps.cipher is None:
        names = " and ".join(
            "GUMADO_API_TOKEN" if p == "gumado" else "CLOUTLY_API_KEY" for p, _ in wanted
        )
        raise StartupError(
            f"{names} is set but ENCRYPTION_KEY is not; tokens are stored encrypted. "
            f"Make a key with `{HOW_TO_MAKE_A_KEY}` and set ENCRYPTION_KEY"
        )

    results: list[EnvConnection] = []
    for platform, token in wanted:
        name = ENV_CONNECTION_NAMES[platform]
        client = deps.providers.new_client(platform, token)
        try:
            organizations, problem = await _check_token(client)
        finally:
            await client.aclose()
        now = deps.clock()
        async with deps.sessions() as session, session.begin():
            existing = await session.scalar(
                select(Connection).where(Connection.team_id == team_id, Connection.name == name)
            )
            webhook_key: str | None = None
            if platform == "gumado":
                if settings.gumado_webhook_key is not None:
                    webhook_key = settings.gumado_webhook_key.get_secret_value()
                elif existing is None or existing.webhook_key is None:
                    webhook_key = new_webhook_key()
            connection, created = await upsert_connection(
                session,
                team_id=team_id,
                name=name,
                platform=platform,
                token_encrypted=deps.cipher.encrypt(token),
                webhook_key=webhook_key,
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
        variable = "GUMADO_API_TOKEN" if platform == "gumado" else "CLOUTLY_API_KEY"
        if problem is not None:
            log.warning(
                "connection_unhealthy",
                connection=name,
                platform=platform,
                reason=f"{variable} was refused: {problem}",
            )
        else:
            log.info(
                "connection_ready",
                connection=name,
                platform=platform,
                organizations=len(organizations),
                created=created,
                webhook=(
                    webhook_url(settings.public_url, mask_key(connection.webhook_key))
                    if connection.webhook_key
                    else None
                ),
            )
        results.append(
            EnvConnection(connection.id, platform, name, problem is None, created, problem)
        )
    return results


@dataclass(frozen=True)
class _Named:
    id: str
    name: str
