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
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from cryptography.fernet import Fernet
from slack_sdk.signature import SignatureVerifier

from bot.config import load_settings
from bot.crypto import new_webhook_key
from bot.server import DEPS_KEY
from sandbox.runner import start_sandboxes
from sandbox.slack import SlackStandIn, new_trigger_id
from sandbox.slack_seed import TEAM_ID

__all__ = ["run_demo"]

CHANNEL_ID, CHANNEL_NAME = "C0REVIEWS", "reviews"
ADMIN_ID, ADMIN_NAME = "U0ADMIN", "ada"
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


def _slash_body(text: str, response_url: str) -> str:
    return urlencode(
        {
            "team_id": TEAM_ID,
            "team_domain": "demo",
            "channel_id": CHANNEL_ID,
            "channel_name": CHANNEL_NAME,
            "user_id": ADMIN_ID,
            "user_name": ADMIN_NAME,
            "command": "/reviews",
            "text": text,
            "api_app_id": "A0DEMO",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": new_trigger_id(time.time()),
        }
    )


async def run_demo(out: TextIO, *, poll_seconds: int = 10) -> None:
    """Run the demo, writing what happens (and the channel at the end) to ``out``."""
    from bot.app import build_app  # the composition root pulls in everything; import late

    started = time.monotonic()

    def say(line: str) -> None:
        out.write(f"[{time.monotonic() - started:5.1f}s] {line}\n")
        out.flush()

    slack = SlackStandIn(bot_tokens={BOT_TOKEN: TEAM_ID})
    await slack.start()
    sandboxes = await start_sandboxes()
    gumado, cloutly = sandboxes.gumado, sandboxes.cloutly
    workdir = tempfile.TemporaryDirectory(prefix="reviewbot-demo-")
    webhook_key = new_webhook_key()
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{Path(workdir.name) / 'demo.db'}",
            "ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "GUMADO_API_URL": sandboxes.gumado_url,
            "GUMADO_API_TOKEN": gumado.tokens["full"],
            "GUMADO_WEBHOOK_KEY": webhook_key,
            "CLOUTLY_API_URL": sandboxes.cloutly_url,
            "CLOUTLY_API_KEY": cloutly.tokens["api_key"],
            "POLL_INTERVAL_SECONDS": str(poll_seconds),
            "ADMIN_USER_IDS": ADMIN_ID,
            "LOG_LEVEL": "WARNING",
        }
    )
    runner: web.AppRunner | None = None
    http = aiohttp.ClientSession()
    try:
        app = await build_app(settings)
        deps = app[DEPS_KEY]
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        say(f"reviewbot is serving on {base_url} (SQLite in a temporary folder)")
        say(
            f"Slack stand-in {slack.api_url}; Gumado sandbox {sandboxes.gumado_url}; "
            f"Cloutly sandbox {sandboxes.cloutly_url}"
        )

        gumado.register_webhook(f"{base_url}/webhooks/gumado/{webhook_key}")
        say("Gumado: webhook URL registered (Settings → API & Webhooks)")

        async def slash(text: str) -> None:
            response_url = slack.new_response_url(channel=CHANNEL_ID, user_id=ADMIN_ID)
            body = _slash_body(text, response_url)
            stamp = str(int(time.time()))
            signature = str(
                SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=stamp, body=body)
            )
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signature,
            }
            async with http.post(f"{base_url}/slack/events", data=body, headers=headers) as r:
                if r.status != 200:
                    raise DemoError(f"/reviews {text} answered HTTP {r.status}")
            await _until(
                lambda: bool(slack.responses(response_url)), f"the reply to /reviews {text}"
            )

        say("@ada runs: /reviews subscribe all mention:@frontdesk alert:<=2")
        await slash("subscribe all mention:@frontdesk alert:<=2")

        def cards() -> int:
            return sum(1 for m in slack.messages(CHANNEL_ID) if m.get("metadata"))

        say("Gumado: a 5★ review arrives (webhook review-created)")
        gumado.add_review(
            rating=5,
            source="Google",
            author="Maya Chen",
            title="Best dentist in town",
            message="Quick, painless and friendly. The front desk remembered my name!",
        )
        await _until(lambda: cards() >= 1, "the 5★ card")

        say("Gumado: a 1★ review arrives; @frontdesk is mentioned (alert at ≤2★)")
        low = gumado.add_review(
            rating=1,
            source="Yelp",
            author="Tom <!channel> Baker",
            title="Waited *two hours*",
            message="Nobody told us the doctor was running late. <!here> avoid.",
        )
        await _until(lambda: cards() >= 2, "the 1★ card")

        say("Gumado: the business replies to the 1★ review (webhook review-updated)")
        review_id = low["data"]["id"] if "data" in low else low["id"]
        gumado.update_review(
            review_id, reply_message="We're sorry, Tom. Please call us so we can make it right."
        )
        await _until(
            lambda: (
                any(
                    m.get("thread_ts") not in (None, m.get("ts"))
                    for m in slack.messages(CHANNEL_ID)
                )
                or _thread_notes(slack) > 0
            ),
            "the thread note about the reply",
        )

        # The first poll (at start-up) records existing reviews as the baseline; a review
        # added while it runs would be part of that baseline and get no card.
        await _until(lambda: not deps.busy(), "the first poll to finish")
        say(f"Cloutly: a 4★ review arrives; the poller finds it (every {poll_seconds} s)")
        cloutly.add_review(rating=4, source="Facebook")
        await _until(lambda: cards() >= 3, "the Cloutly card", timeout=poll_seconds + 10)
        await _settle(slack)

        out.write(
            "\n" + "═" * 60 + f"\n#{CHANNEL_NAME} as @{ADMIN_NAME} sees it\n" + "═" * 60 + "\n\n"
        )
        out.write(slack.transcript(CHANNEL_ID, viewer=ADMIN_ID) + "\n\n")
        say("done")
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
