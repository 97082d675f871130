"""`reviewbot sandbox`: the stand-ins together, with the settings a person points the app at."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import load_settings
from bot.providers.cloutly import CloutlyClient
from bot.providers.gumado import GumadoClient
from sandbox.session import start_session


async def test_the_printed_settings_work_with_the_real_clients(tmp_path: Path) -> None:
    session = await start_session(gumado_port=0, cloutly_port=0, slack_port=0, folder=tmp_path)
    try:
        env = session.environment()
        settings = load_settings(env, require_slack=True)
        assert settings.database_url.endswith(f"{tmp_path}/reviewbot-sandbox.db")
        async with GumadoClient(env["GUMADO_API_URL"], env["GUMADO_API_TOKEN"]) as gumado:
            assert (await gumado.me()).name
        async with CloutlyClient(env["CLOUTLY_API_URL"], env["CLOUTLY_API_KEY"]) as cloutly:
            assert len(await cloutly.list_businesses()) >= 3
        slack = AsyncWebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_API_URL"])
        assert (await slack.auth_test())["team_id"] == "T0DEMO"
        hooks = session.gumado.webhook_subscriptions
        assert [hook.url for hook in hooks] == [
            f"http://127.0.0.1:3000/webhooks/gumado/{env['GUMADO_WEBHOOK_KEY']}"
        ]
        assert all(line.startswith("export ") for line in session.exports().splitlines())
    finally:
        await session.stop()
    async with httpx.AsyncClient() as client:
        try:
            await client.get(env["GUMADO_API_URL"] + "/me", timeout=1)
            stopped = False
        except httpx.TransportError:
            stopped = True
    assert stopped


def test_cli_sandbox_refuses_a_busy_port_with_one_line() -> None:
    import socket
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "bot", "sandbox", "--gumado-port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 1
    assert "cannot listen" in result.stderr
    assert "Traceback" not in result.stderr
