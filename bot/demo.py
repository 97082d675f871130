"""``reviewbot demo``: the whole flow on this machine, no credentials, no network.

Starts the Gumado and Cloutly sandboxes, the Slack Web API stand-in and the real server on
loopback; subscribes #reviews through a signed slash command; lets Gumado send webhooks (a 5★,
a 1★ that mentions @frontdesk, then an update of it) and Cloutly receive a review that the
poller finds; then prints the channel as a person would see it.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TextIO

import aiohttp
from aiohttp import web
from cryptography.fernet import Fernet

from bot.config import Settings, load_settings
from bot.crypto import new_webhook_key
from bot.server import DEPS_KEY
from sandbox.runner import RunningSandboxes, start_sandboxes
from sandbox.signing import (
    CHANNEL_ID,
    CHANNEL_NAME,
    USER_ID,
    USER_NAME,
    signed_headers,
    slash_command_body,
)
from sandbox.slack import SlackStandIn
from sandbox.slack_seed import TEAM_ID

__all__ = ["run_demo"]

ADMIN_ID, ADMIN_NAME = USER_ID, USER_NAME
BOT_TOKEN = "xoxb-demo"  # noqa: S105 - the local stand-in's token, not a real one
SIGNING_SECRET = "demo-signing-secret"  # noqa: S105 - a local stand-in, not a real secret
STEP_TIMEOUT = 15.0


class DemoError(RuntimeError):
    """A step of the demo did not produce what it should have."""


async def _until(condition: Callable[[], bool], what: str, timeout: float = STEP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise DemoError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _demo_settings(
    slack: SlackStandIn, sandboxes: RunningSandboxes, workdir: Path, webhook_key: str, poll: int
) -> Settings:
    return load_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{workdir / 'demo.db'}",
            "ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "GUMADO_API_URL": sandboxes.gumado_url,
            "GUMADO_API_TOKEN": sandboxes.gumado.tokens["full"],
            "GUMADO_WEBHOOK_KEY": webhook_key,
            "CLOUTLY_API_URL": sandboxes.cloutly_url,
            "CLOUTLY_API_KEY": sandboxes.cloutly.tokens["api_key"],
            "POLL_INTERVAL_SECONDS": str(poll),
            "ADMIN_USER_IDS": ADMIN_ID,
            "LOG_LEVEL": "WARNING",
        }
    )


class _Demo:
    """The story, one method a step, against a running server, the sandboxes and the stand-in."""

    def __init__(
        self,
        out: TextIO,
        slack: SlackStandIn,
        sandboxes: RunningSandboxes,
        http: aiohttp.ClientSession,
        base_url: str,
    ) -> None:
        self.out, self.slack, self.sandboxes, self.http = out, slack, sandboxes, http
        self.base_url = base_url
        self.started = time.monotonic()

    def say(self, line: str) -> None:
        self.out.write(f"[{time.monotonic() - self.started:5.1f}s] {line}\n")
        self.out.flush()

    def cards(self) -> int:
        return sum(1 for m in self.slack.messages(CHANNEL_ID) if m.get("metadata"))

    async def slash(self, text: str) -> None:
        """Send ``/reviews text`` signed as Slack signs it; wait for the reply."""
        self.say(f"@{ADMIN_NAME} runs: /reviews {text}")
        response_url = self.slack.new_response_url(channel=CHANNEL_ID, user_id=ADMIN_ID)
        body = slash_command_body(text, response_url=response_url)
        headers = signed_headers(body, SIGNING_SECRET)
        url = f"{self.base_url}/slack/events"
        async with self.http.post(url, data=body, headers=headers) as response:
            if response.status != 200:
                raise DemoError(f"/reviews {text} answered HTTP {response.status}")
        await _until(
            lambda: bool(self.slack.responses(response_url)), f"the reply to /reviews {text}"
        )

    async def gumado_reviews(self) -> None:
        """A 5★, a 1★ that mentions @frontdesk, then the business's reply to the 1★."""
        gumado = self.sandboxes.gumado
        self.say("Gumado: a 5★ review arrives (webhook review-created)")
        gumado.add_review(
            rating=5,
            source="Google",
            author="Maya Chen",
            title="Best dentist in town",
            message="Quick, painless and friendly. The front desk remembered my name!",
        )
        await _until(lambda: self.cards() >= 1, "the 5★ card")

        self.say("Gumado: a 1★ review arrives; @frontdesk is mentioned (alert at ≤2★)")
        low = gumado.add_review(
            rating=1,
            source="Yelp",
            author="Tom <!channel> Baker",
            title="Waited *two hours*",
            message="Nobody told us the doctor was running late. <!here> avoid.",
        )
        await _until(lambda: self.cards() >= 2, "the 1★ card")

        self.say("Gumado: the business replies to the 1★ review (webhook review-updated)")
        review_id = low["data"]["id"] if "data" in low else low["id"]
        gumado.update_review(
            review_id, reply_message="We're sorry, Tom. Please call us so we can make it right."
        )
        await _until(lambda: _thread_notes(self.slack) > 0, "the thread note about the reply")

    async def cloutly_review(self, busy: Callable[[], bool], poll_seconds: int) -> None:
        # The first poll (at start-up) records existing reviews as the baseline; a review
        # added while it runs would be part of that baseline and get no card.
        await _until(lambda: not busy(), "the first poll to finish")
        self.say(f"Cloutly: a 4★ review arrives; the poller finds it (every {poll_seconds} s)")
        self.sandboxes.cloutly.add_review(rating=4, source="Facebook")
        await _until(lambda: self.cards() >= 3, "the Cloutly card", timeout=poll_seconds + 10)

    async def show_channel(self) -> None:
        await _settle(self.slack)
        rule = "═" * 60
        self.out.write(f"\n{rule}\n#{CHANNEL_NAME} as @{ADMIN_NAME} sees it\n{rule}\n\n")
        self.out.write(self.slack.transcript(CHANNEL_ID, viewer=ADMIN_ID) + "\n\n")
        self.say("done")


async def run_demo(out: TextIO, *, poll_seconds: int = 10) -> None:
    """Run the demo, writing what happens (and the channel at the end) to ``out``."""
    from bot.app import build_app  # the composition root pulls in everything; import late

    slack = SlackStandIn(bot_tokens={BOT_TOKEN: TEAM_ID})
    await slack.start()
    sandboxes = await start_sandboxes()
    workdir = tempfile.TemporaryDirectory(prefix="reviewbot-demo-")
    webhook_key = new_webhook_key()
    settings = _demo_settings(slack, sandboxes, Path(workdir.name), webhook_key, poll_seconds)
    runner: web.AppRunner | None = None
    http = aiohttp.ClientSession()
    try:
        app = await build_app(settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        demo = _Demo(out, slack, sandboxes, http, base_url)
        demo.say(f"reviewbot is serving on {base_url} (SQLite in a temporary folder)")
        demo.say(
            f"Slack stand-in {slack.api_url}; Gumado sandbox {sandboxes.gumado_url}; "
            f"Cloutly sandbox {sandboxes.cloutly_url}"
        )
        sandboxes.gumado.register_webhook(f"{base_url}/webhooks/gumado/{webhook_key}")
        demo.say("Gumado: webhook URL registered (Settings → API & Webhooks)")
        await demo.slash("subscribe all mention:@frontdesk alert:<=2")
        await demo.gumado_reviews()
        await demo.cloutly_review(app[DEPS_KEY].busy, poll_seconds)
        await demo.show_channel()
    finally:
        await http.close()
        if runner is not None:
            await runner.cleanup()
        await sandboxes.stop()
        await slack.stop()
        workdir.cleanup()


def _thread_notes(slack: SlackStandIn) -> int:
    return sum(
        len(slack.thread(CHANNEL_ID, m["ts"]))
        for m in slack.messages(CHANNEL_ID)
        if m.get("metadata")
    )


async def _settle(slack: SlackStandIn, quiet: float = 0.3) -> None:
    """Wait until the stand-in has seen no call for ``quiet`` seconds (edits land)."""
    seen = -1
    while seen != len(slack.calls):
        seen = len(slack.calls)
        await asyncio.sleep(quiet)


def main_demo(out: TextIO, runner: Callable[[TextIO], Coroutine[Any, Any, None]] = run_demo) -> int:
    """Run the demo; 0 on success, 1 with one line on failure."""
    try:
        asyncio.run(runner(out))
    except DemoError as exc:
        out.write(f"demo failed: {exc}\n")
        return 1
    return 0
