"""Conveniences for tests: start the Slack stand-in (``sandbox.slack``) and point clients at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import SlackStandIn

DEMO_TOKEN = "xoxb-demo"


@asynccontextmanager
async def running_fake_slack(**kwargs: Any) -> AsyncIterator[SlackStandIn]:
    """Start a SlackStandIn (constructor arguments as given) and stop it afterwards."""
    fake = SlackStandIn(**kwargs)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def web_client(
    fake: SlackStandIn,
    *,
    token: str = DEMO_TOKEN,
    retry_handlers: Sequence[AsyncRetryHandler] | None = None,
) -> AsyncWebClient:
    """A real AsyncWebClient talking to ``fake`` (retry_handlers replace the SDK defaults)."""
    handlers = list(retry_handlers) if retry_handlers is not None else None
    return AsyncWebClient(token=token, base_url=fake.api_url, retry_handlers=handlers)
