"""``/reviews connect`` and ``/reviews disconnect``: check a token live, save it, remove a connection.

A token is checked with the platform before anything is stored (Gumado ``GET /me``, Cloutly
``GET /businesses``); a refused token is an inline error and nothing is saved. Gumado tokens
carry permission scopes the API does not list, so each one the app needs is probed with the
cheapest call that requires it. Tokens are stored only Fernet-encrypted and never logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bot.crypto import new_webhook_key
from bot.deps import Deps
from bot.errors import AuthError, ProviderError, ReviewBotError, SlackRefused, UserError
from bot.log import get_logger
from bot.providers.protocol import TokenCheck
from bot.providers.registry import platform_info, platform_infos
from bot.results import Connected, ConnectValues
from bot.services.actor import Actor
from bot.services.connections import mask_key, webhook_url
from bot.services.permissions import is_config_admin, refusal_text
from bot.text import platform_label, shown_name
from storage.models import Connection
from storage.repositories import list_connections, upsert_connection, upsert_organizations
from storage.repositories.workspace import (
    count_own_subscriptions,
    delete_connection,
    find_connection_named,
)

__all__ = [
    "ConnectContext",
    "ConnectOutcome",
    "DisconnectPrompt",
    "TokenCheck",
    "TokenRefused",
    "check_token",
    "connect",
    "connection_names",
    "disconnect",
    "prepare_disconnect",
    "require_connect_admin",
]

log = get_logger(__name__)

CONNECT_WHAT = "connect or disconnect review accounts"


class TokenRefused(ReviewBotError):
    """The platform refused the token, or could not check it: nothing is saved."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ConnectContext:
    """What the modal carries in ``private_metadata``: where to answer once connected."""

    channel_id: str | None = None
    response_url: str | None = None
    origin: str = "command"

    def dump(self) -> str:
        """As ``private_metadata`` (at most 3000 characters)."""
        data: dict[str, str] = {"origin": self.origin}
        if self.channel_id:
            data["channel_id"] = self.channel_id
        if self.response_url and len(self.response_url) < 2500:
            data["response_url"] = self.response_url
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def load(cls, private_metadata: str | None) -> ConnectContext:
        """The context a submitted modal carries (empty when unreadable)."""
        try:
            data = json.loads(private_metadata or "")
        except json.JSONDecodeError:
            return cls()
        if not isinstance(data, dict):
            return cls()

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and value else None

        return cls(text("channel_id"), text("response_url"), text("origin") or "command")


@dataclass(frozen=True)
class ConnectOutcome:
    """A submission's result: connected, inline errors (field → text), or a problem.

    The error keys are fields of ``ConnectValues`` (``name``, ``token``); the handler puts each
    on its input block.
    """

    connected: Connected | None = None
    errors: dict[str, str] = field(default_factory=dict)
    problem: str | None = None


async def require_connect_admin(deps: Deps, actor: Actor) -> None:
    """UserError unless the actor may connect and disconnect accounts."""
    try:
        allowed = await is_config_admin(deps.settings, actor)
    except SlackRefused:
        raise UserError(
            "I couldn't ask Slack whether you are an admin; try again in a minute."
        ) from None
    if not allowed:
        raise UserError(refusal_text(deps.settings, CONNECT_WHAT))


async def check_token(deps: Deps, platform: str, token: str) -> TokenCheck:
    """Check ``token`` with the platform; TokenRefused says why it cannot be saved."""
    name = platform_label(platform, platform_infos())
    try:
        provider = deps.providers.new_provider(platform, token)
    except (AuthError, ValueError):
        raise TokenRefused(
            "That is not a token: it has spaces, line breaks or unusual characters. "
            "Copy it again from the platform."
        ) from None
    try:
        return await provider.check_token()
    except AuthError:
        raise TokenRefused(
            f"{name} refused this token (401): it is wrong, expired or "
            "revoked. Create a new one and paste it here."
        ) from None
    except ProviderError as exc:
        # The message names the platform and what failed, never the token.
        raise TokenRefused(
            f"{name} could not check the token: {exc.message}. Nothing was saved; try again."
        ) from None
    finally:
        await provider.aclose()


async def connect(deps: Deps, actor: Actor, values: ConnectValues) -> ConnectOutcome:
    """Check the submitted token live and save the connection (or replace its token)."""
    assert values.platform is not None
    try:
        await require_connect_admin(deps, actor)
    except UserError as exc:
        return ConnectOutcome(problem=exc.user_message())
    if deps.cipher is None:
        return ConnectOutcome(
            problem="This app has no ENCRYPTION_KEY, so it cannot store tokens. Ask whoever "
            "runs it to set ENCRYPTION_KEY and restart it."
        )
    clash = await _name_clash(deps, actor.team_id, values)
    if clash is not None:
        return ConnectOutcome(errors={"name": clash})
    try:
        checked = await check_token(deps, values.platform, values.token)
    except TokenRefused as exc:
        return ConnectOutcome(errors={"token": exc.message})
    saved = await _save(deps, actor.team_id, values, checked)
    if isinstance(saved, ConnectOutcome):
        return saved
    connection, created = saved
    info = platform_info(values.platform)
    url = (
        webhook_url(deps.settings.public_url, connection.platform, connection.webhook_key)
        if info.has_webhooks and connection.webhook_key
        else None
    )
    log.info(
        "connection_connected",
        team_id=actor.team_id,
        connection=connection.name,
        platform=connection.platform,
        created=created,
        by=actor.user_id,
        organizations=len(checked.organizations),
        missing_scopes=checked.missing,
        webhook_key=mask_key(connection.webhook_key) if connection.webhook_key else None,
    )
    return ConnectOutcome(
        connected=Connected(
            name=connection.name,
            info=info,
            rotated=not created,
            account=checked.account,
            organizations=len(checked.organizations),
            webhook_url=url,
            poll_interval_seconds=deps.settings.poll_interval_seconds,
            missing=[(scope, info.scopes[scope]) for scope in checked.missing],
            unverified=checked.unverified,
        )
    )


async def _save(
    deps: Deps, team_id: str, values: ConnectValues, checked: TokenCheck
) -> tuple[Connection, bool] | ConnectOutcome:
    """Store the connection and its organizations: (row, created), or the name clash found."""
    assert values.platform is not None and deps.cipher is not None
    now = deps.clock()
    async with deps.sessions() as session, session.begin():
        existing = await find_connection_named(session, team_id=team_id, name=values.name)
        if existing is not None and existing.platform != values.platform:
            return ConnectOutcome(errors={"name": _clash_text(existing)})
        info = platform_info(values.platform)
        key: str | None = None
        if info.has_webhooks and (existing is None or not existing.webhook_key):
            key = new_webhook_key()
        connection, created = await upsert_connection(
            session,
            team_id=team_id,
            name=existing.name if existing is not None else values.name,
            platform=values.platform,
            token_encrypted=deps.cipher.encrypt(values.token),
            webhook_key=key,
            # Only what the platform refused (403) counts as missing later; a scope the check
            # could not reach is stored as not known to be missing.
            scopes=checked.granted + checked.unverified if info.scopes else None,
            now=now,
        )
        await upsert_organizations(
            session, connection_id=connection.id, organizations=checked.organizations, now=now
        )
    return connection, created


def _clash_text(existing: Connection) -> str:
    # Inline errors are plain text: no escaping, but no formatting either.
    return (
        f"“{existing.name}” is already the name of a {platform_label(existing.platform, platform_infos())} "
        "connection. Choose another name, or disconnect that one first."
    )


async def _name_clash(deps: Deps, team_id: str, values: ConnectValues) -> str | None:
    async with deps.sessions() as session:
        existing = await find_connection_named(session, team_id=team_id, name=values.name)
    if existing is not None and existing.platform != values.platform:
        return _clash_text(existing)
    return None


async def connection_names(deps: Deps, actor: Actor) -> list[str]:
    """The team's connection names, for the connect form (UserError for a non-admin)."""
    await require_connect_admin(deps, actor)
    async with deps.sessions() as session:
        return [c.name for c in await list_connections(session, actor.team_id)]


@dataclass(frozen=True)
class DisconnectPrompt:
    """What the disconnect confirmation names: the connection and what goes with it."""

    connection_id: int
    name: str
    platform: str
    own_subscriptions: int
    has_webhook: bool


async def prepare_disconnect(deps: Deps, actor: Actor, name: str) -> DisconnectPrompt:
    """The connection ``/reviews disconnect <name>`` names (UserError if none, or not an admin)."""
    await require_connect_admin(deps, actor)
    team_id = actor.team_id
    wanted = name.strip().strip('"“”')
    async with deps.sessions() as session:
        connections = await list_connections(session, team_id)
        found = (
            await find_connection_named(session, team_id=team_id, name=wanted) if wanted else None
        )
        own = 0
        if found is not None:
            own = await count_own_subscriptions(session, team_id=team_id, connection_id=found.id)
    names = ", ".join(f"`{shown_name(c.name)}`" for c in connections[:20])
    known = f"This workspace's connections: {names}." if names else "There are none."
    if not wanted:
        raise UserError(f"Which connection? Use `/reviews disconnect <name>`. {known}")
    if found is None:
        shown = shown_name(wanted[:40])
        raise UserError(f"There is no connection called `{shown}`. {known}")
    return DisconnectPrompt(
        connection_id=found.id,
        name=found.name,
        platform=found.platform,
        own_subscriptions=own,
        has_webhook=bool(found.webhook_key) and platform_info(found.platform).has_webhooks,
    )


async def disconnect(deps: Deps, actor: Actor, connection_id: int) -> str:
    """Remove the team's connection ``connection_id``; returns what to tell the admin."""
    await require_connect_admin(deps, actor)
    team_id, user_id = actor.team_id, actor.user_id
    async with deps.sessions() as session, session.begin():
        found = await session.get(Connection, connection_id, populate_existing=True)
        if found is None or found.team_id != team_id:
            return "That connection was already removed. `/reviews status` lists the others."
        name, platform, had_webhook = found.name, found.platform, bool(found.webhook_key)
        await delete_connection(session, team_id=team_id, connection_id=connection_id)
    # Its cached client (and pacing) goes too; a running poll finds the row gone.
    deps.providers.forget(connection_id)
    deps.signals.schedules_changed()  # digest jobs of subscriptions that went with it
    log.info(
        "connection_disconnected",
        team_id=team_id,
        connection=name,
        platform=platform,
        by=user_id,
    )
    return (
        f"🗑️ <@{user_id}> disconnected *{shown_name(name)}* "
        f"({platform_label(platform, platform_infos())}). Its reviews no longer arrive"
        + (" and its webhook URL answers 404." if had_webhook else ".")
    )
