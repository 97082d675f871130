"""The whole service on loopback: real server, fake Slack, both platform sandboxes.

``running_service`` starts the real aiohttp application built by ``bot.app.build_app`` on a
free port, pointed at a SlackStandIn and the Gumado/Cloutly sandboxes, and offers signed-request
helpers. Nothing here mocks our own code: requests go over HTTP exactly as Slack sends them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.fernet import Fernet

from bot.app import build_app
from bot.config import Settings, load_settings
from bot.deps import Deps, utc_now
from bot.server import DEPS_KEY
from fakes.slack import DEMO_TOKEN
from sandbox.runner import RunningSandboxes, start_sandboxes
from sandbox.signing import (
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    interaction_body,
    signed_headers,
    slash_command_body,
)
from sandbox.slack import SlackStandIn

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
ENCRYPTION_KEY = Fernet.generate_key().decode()
WEBHOOK_KEY = "test-webhook-key-0123456789abcdefghij"

JSON = dict[str, Any]


@dataclass
class Service:
    """A running service and everything around it."""

    base_url: str
    deps: Deps
    slack: SlackStandIn
    sandboxes: RunningSandboxes
    settings: Settings
    http: aiohttp.ClientSession
    app: web.Application
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def webhook_url(self) -> str:
        """The Gumado webhook URL of the environment connection."""
        return f"{self.base_url}/webhooks/gumado/{WEBHOOK_KEY}"

    async def post_signed(
        self, body: str, *, timestamp: int | None = None
    ) -> aiohttp.ClientResponse:
        """POST ``body`` to /slack/events signed as Slack signs it; the response is read."""
        async with self.http.post(
            f"{self.base_url}/slack/events",
            data=body.encode(),
            headers=signed_headers(body, SIGNING_SECRET, timestamp),
        ) as response:
            await response.read()
            return response

    async def slash(
        self,
        text: str,
        *,
        user_id: str = USER_ID,
        channel_id: str = CHANNEL_ID,
        team_id: str = TEAM_ID,
        trigger_id: str | None = None,
    ) -> tuple[aiohttp.ClientResponse, str]:
        """Run ``/reviews <text>``; returns (HTTP response, the response_url it was given)."""
        response_url = self.slack.new_response_url(channel=channel_id, user_id=user_id)
        body = slash_command_body(
            text,
            user_id=user_id,
            channel_id=channel_id,
            team_id=team_id,
            response_url=response_url,
            trigger_id=trigger_id,
        )
        return await self.post_signed(body), response_url

    async def interact(self, payload: JSON) -> aiohttp.ClientResponse:
        """Send an interactivity payload (block_actions, view_submission, shortcut…)."""
        return await self.post_signed(interaction_body(payload))

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until the app's background work (spawned tasks, pipeline queues) is idle."""
        await wait_for(lambda: _idle(self.deps), timeout=timeout, what="background work")


def _idle(deps: Deps) -> bool:
    busy = getattr(deps, "busy", None)
    return not deps.tasks and not (callable(busy) and busy())


async def wait_for(
    condition: Callable[[], bool | Awaitable[bool]],
    *,
    timeout: float = 10.0,
    what: str = "condition",
    interval: float = 0.01,
) -> None:
    """Poll ``condition`` until true; fail the test with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)


def service_environment(
    sandboxes: RunningSandboxes, slack: SlackStandIn, database_url: str, **overrides: str
) -> dict[str, str]:
    """The environment a service under test runs with (overrides win; "" removes a variable)."""
    env = {
        "SLACK_BOT_TOKEN": DEMO_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "ENCRYPTION_KEY": ENCRYPTION_KEY,
        "PUBLIC_URL": "https://reviews.example.test",
        "GUMADO_API_URL": sandboxes.gumado_url,
        "GUMADO_API_TOKEN": sandboxes.gumado.tokens["full"],
        "GUMADO_WEBHOOK_KEY": WEBHOOK_KEY,
        "CLOUTLY_API_URL": sandboxes.cloutly_url,
        "CLOUTLY_API_KEY": sandboxes.cloutly.tokens["api_key"],
        "POLL_INTERVAL_SECONDS": "3600",
        "ADMIN_USER_IDS": USER_ID,
        "LOG_LEVEL": "WARNING",
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value != ""}


@asynccontextmanager
async def running_service(
    database_url: str,
    *,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] = utc_now,
    slack: SlackStandIn | None = None,
    sandboxes: RunningSandboxes | None = None,
) -> AsyncIterator[Service]:
    """Start fake Slack, sandboxes (unless given) and the real server; stop them afterwards."""
    own_slack = slack is None
    own_sandboxes = sandboxes is None
    fake = slack or SlackStandIn()
    if own_slack:
        await fake.start()
    boxes = sandboxes or await start_sandboxes()
    runner: web.AppRunner | None = None
    http = aiohttp.ClientSession()
    try:
        settings = load_settings(service_environment(boxes, fake, database_url, **dict(env or {})))
        app = await build_app(settings, clock=clock)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        yield Service(
            base_url=f"http://127.0.0.1:{port}",
            deps=app[DEPS_KEY],
            slack=fake,
            sandboxes=boxes,
            settings=settings,
            http=http,
            app=app,
        )
    finally:
        await http.close()
        if runner is not None:
            await runner.cleanup()
        if own_sandboxes:
            await boxes.stop()
        if own_slack:
            await fake.stop()


@asynccontextmanager
async def two_replicas(
    database_url: str, *, clock: Callable[[], datetime] = utc_now
) -> AsyncIterator[tuple[Service, Service]]:
    """Two servers on one database, sharing the Slack stand-in and the sandboxes; both settled."""
    async with (
        running_service(database_url, clock=clock) as first,
        running_service(
            database_url, clock=clock, slack=first.slack, sandboxes=first.sandboxes
        ) as second,
    ):
        await first.settle()
        await second.settle()
        yield first, second
