"""``reviewbot demo``: the whole flow on this machine, no credentials, no network.

Starts the Gumado and Cloutly sandboxes, the Slack Web API stand-in and the real server on
loopback; subscribes #reviews through a signed slash command (with a reply deadline, a roll-up
of the good reviews and a backfill of the recent past); lets Gumado send webhooks (two good
reviews that go into the roll-up, a 1★ that mentions @frontdesk and the business's reply to
it, a 2★ nobody answered in time) and Cloutly receive a review that the poller finds; then
prints the channel as a person would see it.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
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
SUBSCRIBE = "subscribe all mention:@frontdesk alert:<=2 respond:30m rollup:>=4 every:15m backfill:3"
PROGRESS_SECONDS = 3.0
NEXT_STEPS = """
Next:
  reviewbot sandbox      the same sandboxes and Slack stand-in, for your own `reviewbot serve`
                         (README: "Try it with your own server")
  README "Set-up guide"  connect a real Slack workspace, Gumado and Cloutly
"""
_POSTING = re.compile(r"Posting the (?:(\d+) )?most recent")


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
        self.backfilled = 0

    def say(self, line: str) -> None:
        self.out.write(f"[{time.monotonic() - self.started:5.1f}s] {line}\n")
        self.out.flush()

    def _posts(self, event_type: str) -> list[dict[str, Any]]:
        return [
            m
            for m in self.slack.messages(CHANNEL_ID)
            if (m.get("metadata") or {}).get("event_type") == event_type
        ]

    def cards(self) -> int:
        return len(self._posts("review_card"))

    def _replies(self, event_type: str) -> int:
        return sum(
            1
            for card in self._posts("review_card")
            for reply in self.slack.thread(CHANNEL_ID, card["ts"])
            if (reply.get("metadata") or {}).get("event_type") == event_type
        )

    async def slash(self, text: str) -> str:
        """Send ``/reviews text`` signed as Slack signs it; wait for the reply; its response_url."""
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
        return response_url

    async def subscribe(self) -> None:
        """Subscribe #reviews; the recent past (backfill:3) arrives oldest first."""
        response_url = await self.slash(SUBSCRIBE)

        def backfill_told() -> str | None:
            for post in self.slack.responses(response_url):
                text = str(post.get("text") or "")
                if _POSTING.search(text) or "nothing from the past" in text:
                    return text
            return None

        await _until(lambda: backfill_told() is not None, "the backfill's answer")
        match = _POSTING.search(backfill_told() or "")
        coming = int(match.group(1) or 1) if match else 0
        self.say(f"Backfill: {coming} recent review(s) of the sandbox's past are posted first")
        await _until(lambda: self.cards() >= coming, "the backfilled cards")
        self.backfilled = coming

    async def rollup(self) -> None:
        """Two good reviews of 20 minutes ago: one roll-up for their (ended) 15-minute period."""
        gumado = self.sandboxes.gumado
        earlier = datetime.now(UTC) - timedelta(minutes=20)
        self.say("Gumado: a 5★ and a 4★ review of 20 minutes ago arrive (webhooks)")
        self.say("  good reviews go into the 15-minute roll-up; their period has ended: posted now")
        gumado.add_review(
            rating=5,
            source="Google",
            author="Maya Chen",
            title="Best dentist in town",
            message="Quick, painless and friendly. The front desk remembered my name!",
            published_on=earlier,
        )
        gumado.add_review(
            rating=4,
            source="Facebook",
            author="Luis García",
            message="Muy buena atención, aunque el parking es pequeño.",
            published_on=earlier + timedelta(minutes=1),
        )
        await _until(
            lambda: any("2 reviews" in str(m.get("text")) for m in self._posts("review_rollup")),
            "the roll-up of both reviews",
        )

    async def gumado_reviews(self) -> None:
        """A 1★ that mentions @frontdesk, then the business's reply to it."""
        gumado = self.sandboxes.gumado
        self.say("Gumado: a 1★ review arrives; @frontdesk is mentioned (alert at ≤2★)")
        low = gumado.add_review(
            rating=1,
            source="Yelp",
            author="Tom <!channel> Baker",
            title="Waited *two hours*",
            message="Nobody told us the doctor was running late. <!here> avoid.",
        )
        await _until(lambda: self.cards() >= self.backfilled + 1, "the 1★ card")
        self.say(
            "  its author and text contain <!channel> and <!here>: the card shows them as text, "
            "nobody is notified"
        )

        self.say("Gumado: the business replies to the 1★ review (webhook review-updated)")
        review_id = low["data"]["id"] if "data" in low else low["id"]
        gumado.update_review(
            review_id, reply_message="We're sorry, Tom. Please call us so we can make it right."
        )
        await _until(
            lambda: self._replies("review_card_update") > 0, "the thread note about the reply"
        )

    async def overdue_review(self) -> None:
        """A 2★ of 45 minutes ago nobody answered: past its 30-minute deadline on arrival."""
        self.say("Gumado: a 2★ review of 45 minutes ago arrives, still unanswered (respond:30m)")
        self.sandboxes.gumado.add_review(
            rating=2,
            source="Google",
            author="Priya N.",
            message="The receptionist was rude and my bill was wrong.",
            published_on=datetime.now(UTC) - timedelta(minutes=45),
        )
        await _until(lambda: self.cards() >= self.backfilled + 2, "the 2★ card")
        await _until(lambda: self._replies("review_reminder") > 0, "the overdue reminder")
        self.say("  its deadline has passed: the card shows Overdue, a reminder goes in its thread")

    async def cloutly_review(self, busy: Callable[[], bool], poll_seconds: int) -> None:
        # The first poll (at start-up) records existing reviews as the baseline; a review
        # added while it runs would be part of that baseline and get no card.
        await _until(lambda: not busy(), "the first poll to finish")
        self.say(f"Cloutly: a 3★ review arrives; the poller finds it (every {poll_seconds} s)")
        self.sandboxes.cloutly.add_review(rating=3, source="Facebook")
        added = time.monotonic()
        found = asyncio.create_task(
            _until(
                lambda: self.cards() >= self.backfilled + 3,
                "the Cloutly card",
                timeout=poll_seconds + 10,
            )
        )
        while not found.done():
            await asyncio.wait({found}, timeout=PROGRESS_SECONDS)
            if not found.done():
                self.say(f"  waiting for the next poll… {time.monotonic() - added:.0f} s")
        await found
        self.say(f"  the poller found it after {time.monotonic() - added:.1f} s")

    async def show_channel(self) -> None:
        await _settle(self.slack)
        rule = "═" * 60
        self.out.write(f"\n{rule}\n#{CHANNEL_NAME} as @{ADMIN_NAME} sees it\n{rule}\n\n")
        self.out.write(self.slack.transcript(CHANNEL_ID, viewer=ADMIN_ID, terminal=True))
        self.out.write(f"\n\n{rule}\n")
        self.say("done. Slack would show *bold* as bold; here the marks are left out.")
        self.out.write(NEXT_STEPS)


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
        await demo.subscribe()
        await demo.rollup()
        await demo.gumado_reviews()
        await demo.overdue_review()
        await demo.cloutly_review(app[DEPS_KEY].busy, poll_seconds)
        await demo.show_channel()
    finally:
        await http.close()
        if runner is not None:
            await runner.cleanup()
        await sandboxes.stop()
        await slack.stop()
        workdir.cleanup()


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
