"""The Bolt AsyncApp: request verification, authorization and the one context middleware."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import cast

import structlog
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.config import Settings, hidden_from_bolt
from bot.deps import Deps
from bot.errors import StartupError
from bot.log import current_request_id, get_logger, new_request_id
from bot.oauth import oauth_settings
from bot.services.directory import Directory
from bot.services.invite_access import InviteAccess
from bot.services.invite_form import CampaignCache
from bot.slack_images import with_image_fallback
from bot.slack_web import web_client

__all__ = ["build_bolt_app", "install_socket_mode", "verifies_requests"]

log = get_logger(__name__)


def build_bolt_app(deps: Deps) -> AsyncApp:
    """An AsyncApp that puts ``deps`` into every listener's context.

    ``process_before_response=True``: the HTTP answer leaves when the listener returns, which
    for an ack-then-spawn listener is ~0.3 ms instead of the default runner's ≥ 11 ms polling
    (ARCHITECTURE.md § Paths). Slow work goes to ``deps.spawn``.
    """
    settings = deps.settings
    signing_secret = (
        settings.slack_signing_secret.get_secret_value()
        if settings.slack_signing_secret is not None
        else None
    )
    if deps.installations is not None:
        # OAuth: Bolt's installation-store authorize (with token rotation) on our stores.
        installations = deps.installations
        with hidden_from_bolt():
            app = AsyncApp(
                client=web_client(
                    settings.slack_api_url, metrics=deps.metrics, session=deps.slack_session
                ),
                signing_secret=signing_secret,
                # Given to the app as well as the OAuth settings, so Bolt's authorize and its
                # token rotator use our client (SLACK_API_URL), not a default one on slack.com.
                installation_store=installations.store,
                installation_store_bot_only=True,
                oauth_settings=oauth_settings(settings, installations),
                process_before_response=True,
                request_verification_enabled=verifies_requests(settings),
                raise_error_for_unhandled_request=False,
            )
        return _with_deps(app, deps)

    # Bolt passes only the arguments it finds by name with inspect.getfullargspec(...).args:
    # keyword-only parameters would never be filled, so these must be positional-or-keyword.
    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult | None:
        workspace = deps.workspace
        if workspace is None or team_id != workspace.team_id:
            log.warning("slack_request_unknown_team", team_id=team_id)
            return None
        return workspace.authorize_result()

    # Hidden: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET in os.environ would make Bolt add an
    # OAuth flow on files in ~ to this single-workspace app (SLACK_FACTS §8).
    with hidden_from_bolt():
        app = AsyncApp(
            # No token here: every request gets a client with the token ``authorize`` returns.
            client=web_client(
                settings.slack_api_url, metrics=deps.metrics, session=deps.slack_session
            ),
            signing_secret=signing_secret,
            # Bolt accepts None (authorization failed) though its annotation says otherwise.
            authorize=cast(Callable[..., Awaitable[AuthorizeResult]], authorize),
            process_before_response=True,
            request_verification_enabled=verifies_requests(settings),
            raise_error_for_unhandled_request=False,
        )
    return _with_deps(app, deps)


def verifies_requests(settings: Settings) -> bool:
    """Whether Slack's request signature is checked (and so ``POST /slack/events`` served).

    Always over HTTP. In Socket Mode Slack sends nothing over HTTP and Bolt skips the check
    for socket envelopes, so the HTTP route stays only when a signing secret guards it.
    """
    return not settings.socket_mode or settings.slack_signing_secret is not None


@dataclass(frozen=True)
class ListenerCaches:
    """Slack reads cached for every listener of one app (each cache expires its own entries)."""

    directory: Directory = field(default_factory=Directory)
    """Slack people and user groups."""
    invite_access: InviteAccess = field(default_factory=InviteAccess)
    """Members of INVITE_USER_GROUP."""
    campaign_cache: CampaignCache = field(default_factory=CampaignCache)
    """Gumado campaigns for the invite modal's typeahead."""


def _with_deps(app: AsyncApp, deps: Deps) -> AsyncApp:
    caches = ListenerCaches()

    @app.middleware
    async def put_context(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        """The one wiring middleware: listeners ask for these by name (``deps``, ``directory``…)."""
        context["deps"] = deps
        context["directory"] = caches.directory
        context["invite_access"] = caches.invite_access
        context["campaign_cache"] = caches.campaign_cache
        # Bolt gives each request a plain AsyncWebClient copied from app.client
        # (AsyncApp._init_context): listeners get one that survives an image Slack cannot
        # download instead. Bolt's authorization has already put the team's token in it.
        context["client"] = with_image_fallback(context.client, deps.metrics)
        # Every line this request logs names the workspace and the person (ids only). Bound,
        # not scoped to next(): Bolt runs the listener after the middleware returns. Over HTTP
        # the request middleware clears them afterwards; over Socket Mode each envelope runs
        # in a task of its own, and gets its request id here.
        structlog.contextvars.bind_contextvars(
            request_id=current_request_id() or new_request_id(),
            team_id=context.team_id,
            user_id=context.user_id,
        )
        await next()

    return app


SOCKET_MODE_KEY = web.AppKey("socket_mode", AsyncSocketModeHandler)
SOCKET_CONNECT_TIMEOUT_SECONDS = 30.0


def install_socket_mode(app: web.Application, bolt: AsyncApp, settings: Settings) -> None:
    """Connect to Slack over Socket Mode when the web app starts; close it on cleanup.

    The HTTP server still serves webhooks, /healthz and /metrics (and OAuth) on PORT.
    A refused app token stops start-up with one clear line.
    """
    if settings.slack_app_token is None:
        return
    app_token = settings.slack_app_token.get_secret_value()

    async def connect(web_app: web.Application) -> None:
        client = web_client(settings.slack_api_url)
        handler = AsyncSocketModeHandler(
            bolt, app_token, logger=logging.getLogger("bot.socket_mode"), web_client=client
        )
        try:
            # slack_sdk's connect() retries a refused token forever: ask once ourselves and
            # hand it the URL, so a wrong SLACK_APP_TOKEN stops start-up instead.
            opened = await client.apps_connections_open(app_token=app_token)
            handler.client.wss_uri = str(opened["url"])
            await asyncio.wait_for(
                handler.connect_async(),  # type: ignore[no-untyped-call]
                SOCKET_CONNECT_TIMEOUT_SECONDS,
            )
        except SlackApiError as exc:
            await handler.close_async()  # type: ignore[no-untyped-call]
            error = exc.response.get("error", "unknown_error") if exc.response else "unknown"
            raise StartupError(
                f"Slack refused SLACK_APP_TOKEN (apps.connections.open said {error}); use an "
                "app-level token with connections:write (Basic Information → App-Level Tokens)"
            ) from None
        except (SlackClientError, OSError, TimeoutError) as exc:
            await handler.close_async()  # type: ignore[no-untyped-call]
            raise StartupError(
                f"cannot open a Socket Mode connection ({type(exc).__name__}); "
                "check SLACK_API_URL and the network"
            ) from None
        web_app[SOCKET_MODE_KEY] = handler
        log.info("socket_mode_connected")

    async def close(web_app: web.Application) -> None:
        handler = web_app.get(SOCKET_MODE_KEY)
        if handler is not None:
            await handler.close_async()  # type: ignore[no-untyped-call]

    app.on_startup.append(connect)
    # on_shutdown: before the pipeline drains, so no new Slack request arrives meanwhile.
    app.on_shutdown.append(close)
