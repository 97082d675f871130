"""The Bolt AsyncApp: request verification, authorization and the deps context middleware."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import cast

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult

from bot.deps import Deps
from bot.log import get_logger
from bot.slack_web import web_client

__all__ = ["build_bolt_app"]

log = get_logger(__name__)


class _EnvTokenNotice(logging.Filter):
    """Drops Bolt's start-up notice that SLACK_BOT_TOKEN from the environment goes unused.

    AsyncApp reads SLACK_BOT_TOKEN itself when no token is passed; ours comes from ``authorize``
    on every request, which is the intended set-up, so the warning only confuses operators.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_ENV_TOKEN_NOTICE = _EnvTokenNotice()


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

    # Bolt passes only the arguments it finds by name with inspect.getfullargspec(...).args:
    # keyword-only parameters would never be filled, so these must be positional-or-keyword.
    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult | None:
        workspace = deps.workspace
        if workspace is None or team_id != workspace.team_id:
            log.warning("slack_request_unknown_team", team_id=team_id)
            return None
        return workspace.authorize_result()

    logging.getLogger("slack_bolt.AsyncApp").addFilter(_ENV_TOKEN_NOTICE)
    app = AsyncApp(
        # No token here: every request gets a client with the token ``authorize`` returns.
        client=web_client(settings.slack_api_url),
        signing_secret=signing_secret,
        # Bolt accepts None (authorization failed) though its annotation says otherwise.
        authorize=cast(Callable[..., Awaitable[AuthorizeResult]], authorize),
        process_before_response=True,
        request_verification_enabled=not settings.socket_mode,
        raise_error_for_unhandled_request=False,
    )

    @app.middleware
    async def inject_deps(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        context["deps"] = deps
        await next()

    return app
