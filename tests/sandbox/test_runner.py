"""`reviewbot sandbox`: both sandboxes together, described so a person can use them."""

from __future__ import annotations

import shlex
import subprocess

import httpx

from bot.providers.cloutly import CloutlyClient
from bot.providers.gumado import GumadoClient
from sandbox.runner import describe, start_sandboxes


async def test_both_sandboxes_answer_the_real_clients_with_the_printed_credentials() -> None:
    running = await start_sandboxes()
    try:
        text = describe(running)
        exports = [line.strip() for line in text.splitlines() if line.strip().startswith("export")]
        env: dict[str, str] = {}
        for line in exports:
            for word in shlex.split(line)[1:]:
                name, _, value = word.partition("=")
                env[name] = value
        assert set(env) == {
            "GUMADO_API_URL",
            "GUMADO_API_TOKEN",
            "CLOUTLY_API_URL",
            "CLOUTLY_API_KEY",
        }
        async with GumadoClient(env["GUMADO_API_URL"], env["GUMADO_API_TOKEN"]) as gumado:
            assert (await gumado.me()).name
        async with CloutlyClient(env["CLOUTLY_API_URL"], env["CLOUTLY_API_KEY"]) as cloutly:
            assert len(await cloutly.list_businesses()) >= 3
        for business_id in running.cloutly.campaigns:
            assert business_id in text
    finally:
        await running.stop()
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
