"""The Slack Web API side of the app: which bot token speaks for which workspace."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import StartupError
from bot.metrics import Metrics
from bot.slack_images import ImageFallbackClient

__all__ = ["SlackWorkspace", "connect_workspace", "slack_session", "web_client"]

# Tokens are never logged; slack_sdk's own logger prints request bodies at DEBUG only.
SLACK_TIMEOUT_SECONDS = 10


class RateLimitCounter(AsyncRetryHandler):
    """Counts every 429 by method (the one retried too); never asks for a retry itself.

    First in the handler list, so the SDK shows it every answer before the retrying handlers.
    """

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(max_retry_count=1_000_000)
        self.metrics = metrics

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None and response.status_code == 429:
            # The URL ends with the method: .../api/chat.postMessage
            self.metrics.slack_rate_limited.labels(request.url.rsplit("/", 1)[-1]).inc()
        return False


def slack_session() -> aiohttp.ClientSession:
    """The app's one pool of kept-alive HTTP connections to the Slack Web API.

    An AsyncWebClient without a session opens a new one, so a new TCP (and TLS) connection,
    for every call. With a shared session slack_sdk applies the client's ``timeout`` no more
    (only to sessions it makes itself): the session carries it, the same for every client.
    Create it inside the running event loop; close it at shutdown.
    """
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT_SECONDS))


def web_client(
    base_url: str,
    token: str | None = None,
    *,
    metrics: Metrics | None = None,
    session: aiohttp.ClientSession | None = None,
) -> AsyncWebClient:
    """An AsyncWebClient on ``base_url`` that retries a dropped connection and one 429.

    It also sends a message or view again without an image Slack could not download
    (:class:`bot.slack_images.ImageFallbackClient`, counted in ``metrics``). ``session``: the
    app's shared connections (:func:`slack_session`); Bolt's per-request clients copy it.
    """
    return ImageFallbackClient(
        token=token,
        base_url=base_url,
        timeout=SLACK_TIMEOUT_SECONDS,
        session=session,
        retry_handlers=[
            *([RateLimitCounter(metrics)] if metrics is not None else []),
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=1),
        ],
        metrics=metrics,
    )


@dataclass(frozen=True)
class SlackWorkspace:
    """The one workspace of a single-workspace install, as ``auth.test`` described it."""

    team_id: str
    team_name: str
    bot_user_id: str
    bot_id: str | None
    client: AsyncWebClient
    enterprise_id: str | None = None

    def __repr__(self) -> str:
        return f"SlackWorkspace(team_id={self.team_id!r}, bot_user_id={self.bot_user_id!r})"

    def client_for(self, team_id: str) -> AsyncWebClient:
        """The Web API client that speaks for ``team_id``."""
        if team_id != self.team_id:
            raise LookupError(f"this app is installed in {self.team_id}, not {team_id}")
        return self.client

    def authorize_result(self) -> AuthorizeResult:
        """What Bolt's ``authorize`` returns for every request of this workspace."""
        return AuthorizeResult(
            enterprise_id=self.enterprise_id,
            team_id=self.team_id,
            bot_token=self.client.token,
            bot_id=self.bot_id,
            bot_user_id=self.bot_user_id,
        )


async def connect_workspace(
    base_url: str,
    token: str,
    *,
    metrics: Metrics | None = None,
    session: aiohttp.ClientSession | None = None,
) -> SlackWorkspace:
    """Call ``auth.test`` with the bot token; StartupError with a clear line when Slack refuses."""
    client = web_client(base_url, token, metrics=metrics, session=session)
    try:
        response = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown_error") if exc.response else "unknown_error"
        raise StartupError(
            f"Slack refused SLACK_BOT_TOKEN (auth.test said {error}); check the Bot User "
            "OAuth Token on the app's OAuth & Permissions page"
        ) from None
    except (SlackClientError, OSError, TimeoutError) as exc:
        raise StartupError(
            f"cannot reach the Slack Web API at {base_url} ({type(exc).__name__}); "
            "check SLACK_API_URL and the network"
        ) from None
    return SlackWorkspace(
        team_id=str(response["team_id"]),
        team_name=str(response.get("team") or ""),
        bot_user_id=str(response.get("user_id") or ""),
        bot_id=response.get("bot_id"),
        client=client,
        enterprise_id=response.get("enterprise_id") or None,
    )
