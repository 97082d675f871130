"""Socket Mode: Bolt's AsyncSocketModeHandler against the fake Slack's WebSocket, over loopback.

``apps.connections.open`` on the fake Slack returns a ``ws://`` URL on loopback; the service
connects at start-up, receives envelopes there and acks them, while webhooks, /healthz and
/metrics stay on HTTP.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from bot.app import build_app
from bot.config import load_settings
from bot.errors import StartupError
from fakes.slack import running_fake_slack
from harness import running_service, service_environment
from sandbox.runner import start_sandboxes
from sandbox.signing import slash_command_body

APP_TOKEN = "xapp-1-A0DEMO-1-standin"


def _slash_payload(text: str) -> dict[str, str]:
    """A slash command as a Socket Mode envelope carries it: the form fields as JSON."""
    return dict(parse_qsl(slash_command_body(text)))


async def test_socket_mode_handles_a_command_and_http_keeps_serving(database_url: str) -> None:
    async with running_service(database_url, env={"SLACK_APP_TOKEN": APP_TOKEN}) as service:
        socket = service.slack.socket
        await socket.wait_connected()
        (opened,) = service.slack.calls_to("apps.connections.open")
        assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"

        ack = await socket.send("slash_commands", _slash_payload("help"))
        assert "envelope_id" in ack
        payload = ack["payload"]
        assert "/reviews list" in str(payload["blocks"]) and payload.get("text")

        # Webhooks, health and metrics are still plain HTTP on PORT.
        async with service.http.get(f"{service.base_url}/healthz") as response:
            assert response.status == 200
        async with service.http.get(f"{service.base_url}/metrics") as response:
            assert response.status == 200
        async with service.http.post(
            service.webhook_url, data=b"{not json", headers={"Content-Type": "application/json"}
        ) as response:
            assert response.status == 400
    assert service.slack.socket.open_connections == 0, "the socket is closed at shutdown"


async def test_without_a_signing_secret_slack_events_is_not_served(database_url: str) -> None:
    env = {"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_SIGNING_SECRET": ""}
    async with running_service(database_url, env=env) as service:
        await service.slack.socket.wait_connected()
        # Unsigned requests could not be verified: the route is not there at all.
        async with service.http.post(
            f"{service.base_url}/slack/events", data=b"command=%2Freviews&text=help"
        ) as response:
            assert response.status == 404
        ack = await service.slack.socket.send("slash_commands", _slash_payload("help"))
        assert "/reviews list" in str(ack["payload"])


async def test_a_refused_app_token_stops_start_up(tmp_path: object) -> None:
    async with running_fake_slack() as slack:
        boxes = await start_sandboxes()
        try:
            env = service_environment(
                boxes,
                slack,
                f"sqlite:///{tmp_path}/db.sqlite",
                SLACK_APP_TOKEN="xapp-1-A0DEMO-1-wrong",
            )
            app = await build_app(load_settings(env))
            from aiohttp import web

            runner = web.AppRunner(app)
            with pytest.raises(StartupError, match="SLACK_APP_TOKEN"):
                await runner.setup()
            await runner.cleanup()
        finally:
            await boxes.stop()
