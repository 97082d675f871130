"""Socket Mode of the stand-in: the WebSocket that ``apps.connections.open`` points at.

Slack's side of the protocol (*Socket Mode*): a ``hello`` on connect, then envelopes
``{"envelope_id", "type", "payload", "accepts_response_payload"}``; the app answers each with
``{"envelope_id", "payload"?}`` within 3 seconds. :meth:`SlackSocketStandIn.send` delivers one
envelope and returns the app's acknowledgement.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.slack_seed import APP_ID
from sandbox.slack_state import JSON

__all__ = ["SlackSocketStandIn"]

ACK_TIMEOUT_SECONDS = 3.0  # Slack's deadline for acknowledging an envelope


class SlackSocketStandIn:
    """Issues WebSocket URLs, keeps the open connections, sends envelopes, collects acks."""

    def __init__(self) -> None:
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[JSON]] = {}
        self._connected = asyncio.Condition()
        self.received: list[JSON] = []
        """Every message the app sent over a socket, in order."""
        self.connections_opened = 0

    def new_url(self, root_url: str) -> str:
        """A one-time ``ws://`` URL on this server (what ``apps.connections.open`` returns)."""
        ticket = secrets.token_hex(12)
        self._tickets.add(ticket)
        scheme, _, rest = root_url.partition("://")
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/socket/{ticket}"

    @property
    def open_connections(self) -> int:
        """How many sockets are open now."""
        return sum(1 for ws in self._sockets if not ws.closed)

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Return once at least one socket is open (TimeoutError after ``timeout``)."""
        async with asyncio.timeout(timeout), self._connected:
            await self._connected.wait_for(lambda: self.open_connections > 0)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``GET /socket/{ticket}``: the WebSocket; each ticket works once."""
        ticket = request.match_info["ticket"]
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid or used socket URL")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections_opened += 1
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": self.open_connections + 1,
                "debug_info": {"host": "applink-standin", "approximate_connection_time": 18060},
                "connection_info": {"app_id": APP_ID},
            }
        )
        async with self._connected:
            self._sockets.append(ws)
            self._connected.notify_all()
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                self._received(message.data)
        finally:
            self._sockets.remove(ws)
        return ws

    def _received(self, data: str) -> None:
        try:
            body = json.loads(data)
        except json.JSONDecodeError:
            return
        if not isinstance(body, dict):
            return
        self.received.append(body)
        future = self._acks.pop(str(body.get("envelope_id")), None)
        if future is not None and not future.done():
            future.set_result(body)

    async def send(self, envelope_type: str, payload: JSON, **extra: Any) -> JSON:
        """Send one envelope on an open socket; return the app's ack (TimeoutError after 3 s)."""
        await self.wait_connected()
        ws = next(ws for ws in self._sockets if not ws.closed)
        envelope_id = str(uuid.uuid4())
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        envelope = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": envelope_type != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
            **extra,
        }
        await ws.send_json(envelope)
        try:
            return await asyncio.wait_for(future, ACK_TIMEOUT_SECONDS)
        finally:
            self._acks.pop(envelope_id, None)

    async def close_all(self) -> None:
        """Close every socket (the server going away)."""
        for ws in list(self._sockets):
            await ws.close()
