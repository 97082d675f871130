"""The Slack Web API calls the sender makes, with Slack's answers sorted into three outcomes.

``SlackRateLimited`` (429: wait ``Retry-After``), ``Transient`` (a 5xx answer, or no connection:
back off; nothing happened), its kind ``Unanswered`` (a timeout or a connection dropped after
the request went out: the call may or may not have taken effect) and ``Permanent``
(``channel_not_found``, ``invalid_auth`` …: retrying cannot help).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.log import get_logger
from bot.metrics import Metrics
from bot.providers.http import parse_retry_after

__all__ = [
    "Permanent",
    "SlackFailure",
    "SlackRateLimited",
    "Transient",
    "Unanswered",
    "find_message_with_metadata",
    "join_channel",
    "post_message",
    "read_joining",
    "sender_client",
    "slack_call",
]

log = get_logger(__name__)

SLACK_TIMEOUT_SECONDS = 10
# How far back reconciliation looks for a card that may have been posted: two pages.
HISTORY_PAGE = 100
HISTORY_PAGES = 2
_TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class SlackFailure(Exception):
    """A Slack call that did not succeed; ``reason`` is what ``last_error`` records."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SlackRateLimited(SlackFailure):
    """HTTP 429: nothing happened; try again after ``retry_after`` seconds."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Transient(SlackFailure):
    """A 5xx answer, or Slack could not be reached: try again later; nothing happened."""


class Unanswered(Transient):
    """A timeout or a connection dropped once the request was out: it may have taken effect."""


class Permanent(SlackFailure):
    """Slack refused for a reason retrying cannot change (``error`` is Slack's code)."""


def sender_client(client: AsyncWebClient) -> AsyncWebClient:
    """A copy of ``client`` without retry handlers: the sender decides every retry itself.

    An SDK-level retry of ``chat.postMessage`` after a dropped connection could post twice;
    the sender reconciles through message metadata before it posts again instead. A copy,
    not a new client: in OAuth mode ``client`` finds its team's token on each call; and it
    keeps resending without an image Slack could not download (that refusal posted nothing).
    The copy shares the client's connections (the app's one session, whose own timeout, the
    same ``SLACK_TIMEOUT_SECONDS``, is the one that applies then).
    """
    copied = copy.copy(client)
    copied.timeout = SLACK_TIMEOUT_SECONDS
    copied.retry_handlers = []
    return copied


def _classify(exc: SlackApiError, method: str, metrics: Metrics) -> SlackFailure:
    response = exc.response
    status = getattr(response, "status_code", 200)
    error = str(response.get("error") or "unknown_error") if response is not None else "unknown"
    if status == 429 or error == "ratelimited":
        metrics.slack_rate_limited.labels(method).inc()
        headers: Mapping[str, Any] = getattr(response, "headers", None) or {}
        retry_after = parse_retry_after(headers.get("Retry-After") or headers.get("retry-after"))
        return SlackRateLimited(f"rate limited by Slack ({method})", max(1.0, retry_after))
    if status >= 500 or error in _TRANSIENT_ERRORS:
        return Transient(f"Slack {method} answered {status} {error}")
    return Permanent(error)


async def slack_call(
    method: str, call: Callable[[], Awaitable[AsyncSlackResponse]], metrics: Metrics
) -> AsyncSlackResponse:
    """Run one Web API call, turning every failure into a :class:`SlackFailure`."""
    try:
        return await call()
    except SlackApiError as exc:
        raise _classify(exc, method, metrics) from exc
    except aiohttp.ClientConnectorError as exc:  # no connection: the request never went out
        raise Transient(f"Slack {method} failed: {type(exc).__name__}") from exc
    except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise Unanswered(f"Slack {method} failed: {type(exc).__name__}") from exc


async def join_channel(client: AsyncWebClient, channel: str, metrics: Metrics) -> bool:
    """Join a public channel; False when Slack refuses (private, archived, no scope)."""
    try:
        await slack_call(
            "conversations.join", lambda: client.conversations_join(channel=channel), metrics
        )
    except Permanent as exc:
        log.info("slack_join_refused", channel=channel, error=exc.reason)
        return False
    return True


async def post_message(
    client: AsyncWebClient, channel: str, payload: Mapping[str, Any], metrics: Metrics
) -> str:
    """``chat.postMessage``; on ``not_in_channel`` joins the (public) channel once and retries."""

    async def post() -> AsyncSlackResponse:
        return await client.chat_postMessage(channel=channel, **payload)

    try:
        response = await slack_call("chat.postMessage", post, metrics)
    except Permanent as exc:
        if exc.reason != "not_in_channel" or not await join_channel(client, channel, metrics):
            raise
        response = await slack_call("chat.postMessage", post, metrics)
    return str(response["ts"])


async def read_joining(
    client: AsyncWebClient,
    channel: str,
    method: str,
    read: Callable[[], Awaitable[AsyncSlackResponse]],
    metrics: Metrics,
) -> AsyncSlackResponse:
    """One history call; in a public channel the bot only posts to (``chat:write.public``)
    it joins on ``not_in_channel`` and reads once more."""
    try:
        return await slack_call(method, read, metrics)
    except Permanent as exc:
        if exc.reason != "not_in_channel" or not await join_channel(client, channel, metrics):
            raise
    return await slack_call(method, read, metrics)


def _metadata_payload(message: Mapping[str, Any], event_type: str) -> Mapping[str, Any] | None:
    metadata = message.get("metadata")
    if not isinstance(metadata, Mapping) or metadata.get("event_type") != event_type:
        return None
    payload = metadata.get("event_payload")
    return payload if isinstance(payload, Mapping) else None


async def _readable(
    client: AsyncWebClient,
    channel: str,
    read: Callable[[str | None], Awaitable[AsyncSlackResponse]],
    metrics: Metrics,
    method: str,
) -> list[AsyncSlackResponse] | None:
    """Pages of a history read; joins a public channel the bot only posts to (chat:write.public)."""
    pages: list[AsyncSlackResponse] = []
    cursor: str | None = None
    while len(pages) < HISTORY_PAGES:
        try:
            page = await read_joining(
                client, channel, method, functools.partial(read, cursor), metrics
            )
        except Permanent as exc:
            log.warning("slack_history_unreadable", channel=channel, error=exc.reason)
            return None
        pages.append(page)
        metadata = page.get("response_metadata") or {}
        cursor = metadata.get("next_cursor") or None
        if not page.get("has_more") or not cursor:
            break
    return pages


async def find_message_with_metadata(
    client: AsyncWebClient,
    channel: str,
    event_type: str,
    wanted: Callable[[Mapping[str, Any]], bool],
    metrics: Metrics,
) -> str | None:
    """The ts of a recent message of the channel whose ``event_type`` metadata is ``wanted``.

    None when it is not there — or when the history cannot be read (then the caller posts:
    at least once beats never).
    """

    async def read(cursor: str | None) -> AsyncSlackResponse:
        return await client.conversations_history(
            channel=channel, limit=HISTORY_PAGE, include_all_metadata=True, cursor=cursor
        )

    pages = await _readable(client, channel, read, metrics, "conversations.history")
    for page in pages or ():
        for message in page.get("messages") or ():
            payload = _metadata_payload(message, event_type)
            if payload is not None and wanted(payload):
                return str(message["ts"])
    return None
