"""``reviewbot sandbox``: Gumado, Cloutly and Slack stand-ins for a ``reviewbot serve`` of your own.

One run has fixed credentials (bot token, signing secret, a fresh encryption key, the Gumado
webhook key), printed as ``export`` lines. The Gumado sandbox sends its webhooks to the app at
``app_url``; the Slack stand-in shows a channel at ``/channel/<name>`` and sends a signed
``/reviews`` command to the app at ``POST /_sandbox/slash`` (see :mod:`sandbox.session_client`).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from cryptography.fernet import Fernet

from sandbox.cloutly import CloutlySandbox
from sandbox.gumado import GumadoSandbox
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

DATABASE_FILE = "reviewbot-sandbox.db"
SLASH_REPLY_SECONDS = 10.0
SLASH_QUIET_SECONDS = 1.0


class PortBusy(OSError):
    """A port of the sandbox is taken; names the option that moves it."""

    def __init__(self, option: str, host: str, port: int, reason: str) -> None:
        super().__init__(
            f"cannot listen on {host}:{port} ({reason}); choose another port with {option} PORT"
        )


@dataclass(frozen=True)
class Credentials:
    """What this run's app uses: fixed for the run so the printed exports stay valid."""

    bot_token: str
    signing_secret: str
    encryption_key: str
    webhook_key: str

    @classmethod
    def fresh(cls) -> Credentials:
        return cls(
            bot_token=f"xoxb-sandbox-{secrets.token_hex(12)}",
            signing_secret=secrets.token_hex(16),
            encryption_key=Fernet.generate_key().decode(),
            webhook_key=secrets.token_urlsafe(24),
        )


class SessionSlack(SlackStandIn):
    """The Slack stand-in plus a route that sends ``/reviews`` to the app as Slack would."""

    def __init__(self, credentials: Credentials, app_url: str) -> None:
        super().__init__(bot_tokens={credentials.bot_token: TEAM_ID})
        self.signing_secret = credentials.signing_secret
        self.app_url = app_url

    def make_app(self) -> web.Application:
        app = super().make_app()
        app.router.add_post("/_sandbox/slash", self._slash)
        return app

    async def _slash(self, request: web.Request) -> web.Response:
        """``{"text": "subscribe all"}``: ``/reviews <text>`` by @ada in #reviews, and the replies."""
        body: Any = await request.json()
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str):
            return web.json_response({"ok": False, "error": "text is required"}, status=400)
        response_url = self.new_response_url(channel=CHANNEL_ID, user_id=USER_ID)
        form = slash_command_body(text, response_url=response_url)
        url = f"{self.app_url}/slack/events"
        timeout = aiohttp.ClientTimeout(total=SLASH_REPLY_SECONDS)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.post(url, data=form, headers=signed_headers(form, self.signing_secret)) as ack,
            ):
                status = ack.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"cannot reach the app at {url} ({exc or type(exc).__name__})"
            return web.json_response({"ok": False, "error": error}, status=502)
        if status != 200:
            error = f"the app answered HTTP {status} (is SLACK_SIGNING_SECRET this run's?)"
            return web.json_response({"ok": False, "error": error}, status=502)
        replies = await self._replies(response_url)
        return web.json_response({"ok": True, "replies": [self.render(p) for p in replies]})

    async def _replies(self, response_url: str) -> list[dict[str, Any]]:
        """The posts to ``response_url`` once they stop coming (a backfill answers twice)."""
        deadline = time.monotonic() + SLASH_REPLY_SECONDS
        seen, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            count = len(self.responses(response_url))
            if count != seen:
                seen, quiet_since = count, time.monotonic()
            elif count and time.monotonic() - quiet_since >= SLASH_QUIET_SECONDS:
                break
            await asyncio.sleep(0.05)
        return self.responses(response_url)


@dataclass
class SandboxSession:
    """The three stand-ins, running, and the settings that point ``reviewbot serve`` at them."""

    credentials: Credentials
    app_url: str
    database_path: Path
    slack: SessionSlack
    gumado: GumadoSandbox
    cloutly: CloutlySandbox

    @property
    def webhook_url(self) -> str:
        return f"{self.app_url}/webhooks/gumado/{self.credentials.webhook_key}"

    @property
    def slack_url(self) -> str:
        return self.slack.api_url.removesuffix("/api/")

    def environment(self) -> dict[str, str]:
        """The variables ``reviewbot serve`` needs for this run, in the order they are printed."""
        gumado_url, cloutly_url = self.gumado.base_url, self.cloutly.base_url
        assert gumado_url is not None and cloutly_url is not None  # both started
        env = {
            "SLACK_API_URL": self.slack.api_url,
            "SLACK_BOT_TOKEN": self.credentials.bot_token,
            "SLACK_SIGNING_SECRET": self.credentials.signing_secret,
            "ENCRYPTION_KEY": self.credentials.encryption_key,
            "GUMADO_API_URL": gumado_url,
            "GUMADO_API_TOKEN": self.gumado.tokens["full"],
            "GUMADO_WEBHOOK_KEY": self.credentials.webhook_key,
            "CLOUTLY_API_URL": cloutly_url,
            "CLOUTLY_API_KEY": self.cloutly.tokens["api_key"],
            "DATABASE_URL": f"sqlite:///{self.database_path}",
            "ADMIN_USER_IDS": USER_ID,
        }
        app = urlsplit(self.app_url)
        if app.hostname in ("127.0.0.1", "localhost") and app.port is not None:
            # Where the webhooks go: serve listens there (on loopback only).
            env.update(HOST="127.0.0.1", PORT=str(app.port))
        return env

    def exports(self) -> str:
        """One block of ``export NAME=value`` lines, quoted for a POSIX shell."""
        return "\n".join(
            f"export {name}={shlex.quote(value)}" for name, value in self.environment().items()
        )

    def next_steps(self) -> str:
        return "\n".join(
            [
                "Next, in another terminal: paste the export lines above, then",
                f"  reviewbot serve                     # the app on {self.app_url} "
                f"(curl {self.app_url}/healthz)",
                "In a third terminal (with the same exports, which tell these where to go):",
                '  reviewbot sandbox slash "subscribe all"        '
                f"# /reviews in #{CHANNEL_NAME} as @{USER_NAME} (an admin)",
                '  reviewbot sandbox send-review --rating 2 --text "Cold coffee"   '
                "# Gumado sends the webhook",
                f"  reviewbot sandbox show                         # #{CHANNEL_NAME} with its cards "
                f"(or open {self.slack_url}/channel/{CHANNEL_NAME})",
                f"Gumado delivers its webhooks to {self.app_url}/webhooks/gumado/$GUMADO_WEBHOOK_KEY;"
                f" the database is {self.database_path.name} here (replaced by the next run).",
                "Stop with Ctrl-C.",
            ]
        )

    async def stop(self) -> None:
        await self.gumado.stop()
        await self.cloutly.stop()
        await self.slack.stop()


async def _listen(option: str, host: str, port: int, start: Any) -> str:
    try:
        return str(await start(host=host, port=port))
    except OSError as exc:
        # asyncio words it "error while attempting to bind on address …": the errno says it.
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise PortBusy(option, host, port, reason[:1].lower() + reason[1:]) from None


async def start_session(
    *,
    host: str = "127.0.0.1",
    gumado_port: int = 8101,
    cloutly_port: int = 8102,
    slack_port: int = 8103,
    app_url: str = "http://127.0.0.1:3000",
    folder: Path | None = None,
) -> SandboxSession:
    """Start the stand-ins (port 0: any free port); the previous run's database is replaced.

    Its tokens were encrypted with that run's ENCRYPTION_KEY, which this run no longer has.
    PortBusy names the option of a port that is taken.
    """
    credentials = Credentials.fresh()
    app_url = app_url.rstrip("/")
    database_path = (folder or Path.cwd()).resolve() / DATABASE_FILE
    slack = SessionSlack(credentials, app_url)
    gumado, cloutly = GumadoSandbox(), CloutlySandbox()
    started: list[Any] = []
    try:
        await _listen("--slack-port", host, slack_port, slack.start)
        started.append(slack)
        await _listen("--gumado-port", host, gumado_port, gumado.start)
        started.append(gumado)
        await _listen("--cloutly-port", host, cloutly_port, cloutly.start)
        started.append(cloutly)
    except BaseException:
        for service in reversed(started):
            await service.stop()
        raise
    session = SandboxSession(credentials, app_url, database_path, slack, gumado, cloutly)
    _remove_database(database_path)
    gumado.register_webhook(session.webhook_url)
    return session


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
