"""The Slack Web API stand-in for tests, plus conveniences for starting it and pointing clients at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import DEFAULT_SCOPES, Call, UploadedFile, new_trigger_id
from bot.sandbox.slack import SlackStandIn as FakeSlack
from bot.sandbox.slack_seed import Channel

__all__ = [
    "DEFAULT_SCOPES",
    "DEMO_TOKEN",
    "Call",
    "Channel",
    "FakeSlack",
    "UploadedFile",
    "new_trigger_id",
    "running_fake_slack",
    "web_client",
]

DEMO_TOKEN = "xoxb-demo"


@asynccontextmanager
async def running_fake_slack(**kwargs: Any) -> AsyncIterator[FakeSlack]:
    """Start a FakeSlack (constructor arguments as given) and stop it afterwards."""
    fake = FakeSlack(**kwargs)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def web_client(
    fake: FakeSlack,
    *,
    token: str = DEMO_TOKEN,
    retry_handlers: Sequence[AsyncRetryHandler] | None = None,
) -> AsyncWebClient:
    """A real AsyncWebClient talking to ``fake`` (retry_handlers replace the SDK defaults)."""
    handlers = list(retry_handlers) if retry_handlers is not None else None
    return AsyncWebClient(token=token, base_url=fake.api_url, retry_handlers=handlers)
