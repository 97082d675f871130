"""A local stand-in for the Slack Web API that the real AsyncWebClient and Bolt AsyncApp use.

Serves ``/api/<method>`` (arguments from JSON body, form body and query string, merged), the
file upload URLs it hands out, and response_urls; keeps the workspace in memory; can fail or
slow down chosen methods so the app's retry logic can be tested. Like Slack, it downloads the
images of messages and views and refuses the call when one fails
(:mod:`sandbox.slack_images`).
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.blocks.preview import render_message
from sandbox import slack_chat, slack_conversations, slack_directory, slack_files, slack_views
from sandbox.slack_images import ImageDownloads
from sandbox.slack_oauth import CREDENTIAL_METHODS, SlackOAuthStandIn
from sandbox.slack_seed import TEAM_ID, Channel, make_user
from sandbox.slack_socket import SlackSocketStandIn
from sandbox.slack_state import (
    DEFAULT_SCOPES,
    JSON,
    ApiRequest,
    Call,
    Clock,
    Handler,
    ResponseUrl,
    SlackError,
    SlackState,
    UploadedFile,
    new_trigger_id,
    read_args,
)
from sandbox.slack_tiers import HISTORY_METHODS, HistoryTiers, Tier

__all__ = ["DEFAULT_SCOPES", "Call", "SlackStandIn", "UploadedFile", "new_trigger_id"]

HANDLERS: dict[str, Handler] = {
    **slack_chat.HANDLERS,
    **slack_conversations.HANDLERS,
    **slack_directory.HANDLERS,
    **slack_files.HANDLERS,
    **slack_views.HANDLERS,
}


@dataclass(frozen=True)
class Fault:
    """How to answer one injected call: an HTTP status, a Slack error, and/or a delay."""

    status: int
    retry_after: int
    error: str | None
    delay: float


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class SlackStandIn:
    """An in-memory Slack workspace served over HTTP like the Slack Web API."""

    def __init__(
        self,
        *,
        bot_tokens: Mapping[str, str] | None = None,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        clock: Clock = time.time,
        team_name: str = "Demo Co",
        unreachable_images: Iterable[str] = (),
        history_tier: Tier | None = None,
        history_window_seconds: float = 60.0,
    ) -> None:
        self.bot_tokens = dict(bot_tokens or {"xoxb-demo": TEAM_ID})
        self.state = SlackState(clock=clock, scopes=scopes, team_name=team_name)
        self.calls: list[Call] = []
        self.root_url: str | None = None
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._limits: dict[str, float] = {}
        self._outages: dict[str, tuple[float, int]] = {}
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None
        self.oauth = SlackOAuthStandIn(self.bot_tokens, clock)
        """OAuth v2: the authorize page, oauth.v2.access, app-level tokens."""
        self.socket = SlackSocketStandIn()
        """Socket Mode: the WebSocket apps.connections.open hands out."""
        self.images = ImageDownloads(set(unreachable_images))
        """Which image URLs "fail to download" (add hosts to ``images.unreachable``)."""
        self.history = HistoryTiers(
            self.oauth.issued_tokens, history_tier, window_seconds=history_window_seconds
        )
        """conversations.history/replies at Tier 1 for OAuth-installed tokens (SLACK_FACTS §6)."""

    # -- server ---------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        """The aiohttp application serving the Web API, upload URLs and response_urls."""
        app = web.Application(client_max_size=100 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/v1/{key}", self._upload)
        app.router.add_post("/response/{url_id}", self._response)
        app.router.add_get("/oauth/v2/authorize", self.oauth.authorize_page)
        app.router.add_get("/socket/{ticket}", self.socket.handle)
        app.router.add_get("/channel/{name}", self._channel_page)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 = any free port); return the Web API base URL ("…/api/")."""
        runner = web.AppRunner(self.make_app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        bound_port = runner.addresses[0][1]
        self.root_url = f"http://{host}:{bound_port}"
        return self.api_url

    async def stop(self) -> None:
        """Stop serving."""
        await self.socket.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        """The base_url to give AsyncWebClient."""
        if self.root_url is None:
            raise RuntimeError("SlackStandIn is not started; call start() or set root_url")
        return f"{self.root_url}/api/"

    # -- fault injection ------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        error: str | None = None,
        count: int = 1,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` with a fault.

        ``error`` → HTTP 200 ``{"ok": false, "error": error}``; else ``status`` 429 (with
        ``Retry-After``) or 5xx; ``status=200`` without error only applies ``delay``.
        ``method`` may also be "upload" or "response_url".
        """
        for _ in range(count):
            self._faults[method].append(Fault(status, retry_after, error, delay))

    def outage(self, method: str, seconds: float, *, status: int = 503) -> None:
        """Answer every call of ``method`` with ``status`` for the next ``seconds``."""
        self._outages[method] = (time.monotonic() + seconds, status)

    def rate_limit(self, method: str, per_second: float | None) -> None:
        """Answer 429 once ``method`` is called more than ``per_second`` times in a second."""
        if per_second is None:
            self._limits.pop(method, None)
        else:
            self._limits[method] = per_second

    async def _injected(self, method: str) -> web.Response | None:
        until, status = self._outages.get(method, (0.0, 0))
        if time.monotonic() < until:
            return web.json_response({"ok": False, "error": "fatal_error"}, status=status)
        queue = self._faults.get(method)
        fault = queue.popleft() if queue else None
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.error:
                return web.json_response({"ok": False, "error": fault.error})
            if fault.status == 429:
                headers = {"Retry-After": str(fault.retry_after)}
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers=headers
                )
            if fault.status >= 400:
                return web.json_response({"ok": False, "error": "fatal_error"}, status=fault.status)
        limit = self._limits.get(method)
        if limit is not None:
            now, recent = time.monotonic(), self._recent[method]
            while recent and now - recent[0] >= 1.0:
                recent.popleft()
            if len(recent) >= limit:
                headers = {"Retry-After": "1"}
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers=headers
                )
            recent.append(now)
        return None

    # -- HTTP handlers --------------------------------------------------------------------

    def _record(self, method: str, args: JSON, request: web.Request) -> None:
        headers = {key.lower(): value for key, value in request.headers.items()}
        peer = request.transport.get_extra_info("peername") if request.transport else None
        connection = f"{peer[0]}:{peer[1]}" if peer else ""
        self.calls.append(
            Call(method, copy.deepcopy(args), headers, self.state.clock(), connection)
        )

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await read_args(request)
        self._record(method, args, request)
        injected = await self._injected(method)
        if injected is not None:
            return injected
        authorization = request.headers.get("Authorization", "")
        if method in CREDENTIAL_METHODS:
            body = self.oauth.call(method, args, authorization)
            if method == "apps.connections.open" and body["ok"]:
                body["url"] = self.socket.new_url(str(request.url.origin()))
            return web.json_response(body)
        handler = HANDLERS.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method", "req_method": method})
        token = authorization.removeprefix("Bearer ").strip() or str(args.pop("token", ""))
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        team_id = self.bot_tokens.get(token)
        if team_id is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        wait = self.history.retry_after(method, token, team_id)
        if wait is not None:
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(wait)},
            )
        limit = self.history.page_limit(token, _number(args.get("limit")))
        if method in HISTORY_METHODS and limit is not None:
            args["limit"] = limit
        origin = str(request.url.origin())
        # Downloaded first (the handlers are synchronous), refused where Slack checks blocks.
        image_failure = await self.images.failure(method, args)
        try:
            body = handler(ApiRequest(self.state, args, team_id, origin, image_failure))
        except SlackError as exc:
            body = exc.body()
        headers = {"x-oauth-scopes": ",".join(sorted(self.state.scopes))}
        if body.get("needed"):
            headers["x-accepted-oauth-scopes"] = body["needed"]
        return web.json_response(body, headers=headers)

    async def _upload(self, request: web.Request) -> web.Response:
        content = await request.read()
        self._record("upload", {"key": request.match_info["key"], "length": len(content)}, request)
        injected = await self._injected("upload")
        if injected is not None:
            return injected
        status, text = slack_files.receive_upload(self.state, request.match_info["key"], content)
        return web.Response(status=status, text=text, content_type="text/plain")

    async def _response(self, request: web.Request) -> web.Response:
        args = await read_args(request)
        if isinstance(args.get("payload"), str):
            args = json.loads(args["payload"])
        self._record("response_url", args, request)
        injected = await self._injected("response_url")
        if injected is not None:
            return injected
        url_id = request.match_info["url_id"]
        status, body = slack_chat.post_to_response_url(self.state, url_id, args)
        return web.json_response(body, status=status)

    async def _channel_page(self, request: web.Request) -> web.Response:
        """``GET /channel/<name or id>[?as=<user id>]``: :meth:`transcript` as plain text."""
        wanted = request.match_info["name"].lstrip("#")
        channel = next(
            (c for c in self.state.channels.values() if wanted in (c.id, c.name) and c.name),
            None,
        )
        if channel is None:
            known = ", ".join(sorted(f"#{c.name}" for c in self.state.channels.values() if c.name))
            return web.Response(status=404, text=f"no channel #{wanted}; there are {known}\n")
        text = self.transcript(channel.id, viewer=request.query.get("as"), terminal=True)
        return web.Response(text=(text or f"#{channel.name} has no messages yet.") + "\n")

    # -- helpers for tests and the demo ---------------------------------------------------

    @property
    def scopes(self) -> set[str]:
        """The bot token's scopes (mutable: remove one to test ``missing_scope``)."""
        return self.state.scopes

    def issue_trigger_id(
        self, *, issued_at: float | None = None, view_id: str | None = None
    ) -> str:
        """A trigger id issued now (or at ``issued_at``); ``view_id``: it came from that modal."""
        trigger_id = new_trigger_id(self.state.clock() if issued_at is None else issued_at)
        if view_id is not None:
            self.state.trigger_views[trigger_id] = view_id
        return trigger_id

    def new_response_url(
        self,
        *,
        channel: str | None = None,
        user_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A response_url on this server; with ``channel`` its posts also act on the workspace."""
        if self.root_url is None:
            raise RuntimeError("SlackStandIn is not started; call start() or set root_url")
        url_id = secrets.token_hex(8)
        record = ResponseUrl(url_id, self.state.clock(), channel, user_id, message_ts)
        self.state.response_urls[url_id] = record
        return f"{self.root_url}/response/{url_id}"

    def post_as_user(
        self, channel: str, user_id: str, text: str, *, thread_ts: str | None = None
    ) -> str:
        """Post a message as a person (e.g. the target of a message shortcut); return its ts."""
        self.state.user(user_id)
        message = {"type": "message", "user": user_id, "text": text, "team": self.state.team_id}
        return str(self.state.add_message(self.state.channel(channel).id, message, thread_ts)["ts"])

    def add_user(self, user_id: str, name: str, real_name: str, **flags: Any) -> None:
        """Add a person (flags as :func:`sandbox.slack_seed.make_user`)."""
        self.state.users[user_id] = make_user(user_id, name, real_name, **flags)

    def add_channel(self, channel: Channel) -> None:
        """Add a conversation."""
        self.state.channels[channel.id] = channel

    def connections(self) -> set[str]:
        """The client connections the recorded calls came over (address:port each)."""
        return {call.connection for call in self.calls}

    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call of ``method``, oldest first."""
        return [call for call in self.calls if call.method == method]

    def messages(self, channel: str) -> list[JSON]:
        """Top-level messages of ``channel``, oldest first, with metadata."""
        stored = self.state.messages.get(channel, [])
        return [copy.deepcopy(m) for m in stored if m.get("thread_ts") in (None, m["ts"])]

    def thread(self, channel: str, ts: str) -> list[JSON]:
        """Replies in the thread of ``ts`` (without the parent), oldest first."""
        stored = self.state.messages.get(channel, [])
        return [copy.deepcopy(m) for m in stored if m.get("thread_ts") == ts and m["ts"] != ts]

    def ephemeral(self, channel: str, user_id: str | None = None) -> list[JSON]:
        """Ephemeral messages in ``channel`` (for one user if given), oldest first."""
        stored = self.state.ephemerals.get(channel, [])
        return [copy.deepcopy(m) for m in stored if user_id in (None, m["visible_to"])]

    def responses(self, url: str) -> list[JSON]:
        """Bodies posted to a response_url (given as URL or id), oldest first."""
        record = self.state.response_urls.get(url.rstrip("/").rsplit("/", 1)[-1])
        return copy.deepcopy(record.posts) if record else []

    @property
    def views(self) -> dict[str, JSON]:
        """Every view by id: modals opened, pushed or updated, and published Home tabs."""
        return self.state.views

    def published_home(self, user_id: str) -> JSON | None:
        """The Home tab last published for ``user_id``."""
        view_id = self.state.home_views.get(user_id)
        return copy.deepcopy(self.state.views[view_id]) if view_id else None

    @property
    def files(self) -> list[UploadedFile]:
        """Files announced for upload, with their bytes and where they were shared."""
        return list(self.state.files.values())

    def render(self, message: JSON, *, terminal: bool = False) -> str:
        """One message as a person sees it, with the workspace's names for mentions.

        ``terminal``: without mrkdwn's emphasis marks, for printing.
        """
        state = self.state
        return render_message(
            message,
            users={user_id: user["name"] for user_id, user in state.users.items()},
            channels={channel_id: c.name for channel_id, c in state.channels.items()},
            usergroups={group["id"]: group["handle"] for group in state.usergroups},
            terminal=terminal,
        )

    def transcript(self, channel: str, *, viewer: str | None = None, terminal: bool = False) -> str:
        """``channel`` as a person sees it: messages, thread replies and their ephemerals.

        ``terminal``: without mrkdwn's emphasis marks, for printing.
        """
        state = self.state
        shown = list(state.messages.get(channel, []))
        shown += [m for m in state.ephemerals.get(channel, []) if viewer in (None, m["visible_to"])]
        # Thread replies sort right after their parent, as Slack shows them expanded.
        shown.sort(key=lambda m: (float(m.get("thread_ts") or m["ts"]), float(m["ts"])))
        return "\n\n".join(self.render(m, terminal=terminal) for m in shown)
