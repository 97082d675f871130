"""Sandbox mode as a newcomer runs it: `reviewbot sandbox`, its exports, `reviewbot serve`,
`sandbox slash`, `sandbox send-review`, `sandbox show` — each its own process, real HTTP."""

from __future__ import annotations

import asyncio
import shlex
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest
from test_cli import clean_env, free_port

STARTUP_SECONDS = 20.0


async def _start(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _run(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await _start(*args, env=env, cwd=cwd)
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _read_until(process: asyncio.subprocess.Process, last: str) -> str:
    """stdout of ``process`` up to and including the line containing ``last``."""
    assert process.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(STARTUP_SECONDS):
        while not lines or last not in lines[-1]:
            line = await process.stdout.readline()
            if not line:
                assert process.stderr is not None
                err = (await process.stderr.read()).decode()
                pytest.fail(f"sandbox exited early: {''.join(lines)}{err}")
            lines.append(line.decode())
    return "".join(lines)


def _exports(text: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = shlex.split(line)[1].partition("=")
            env[name] = value
    return env


async def _wait_healthy(url: str, process: asyncio.subprocess.Process) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient(timeout=5) as http:
        while time.monotonic() < deadline:
            try:
                return await http.get(url)
            except httpx.TransportError:
                if process.returncode is not None:
                    _, err = await process.communicate()
                    pytest.fail(f"serve exited early: {err.decode()}")
                await asyncio.sleep(0.1)
    pytest.fail(f"{url} did not answer within {STARTUP_SECONDS} s")


async def _stop(process: asyncio.subprocess.Process, sig: signal.Signals) -> tuple[int, str]:
    if process.returncode is None:
        process.send_signal(sig)
    try:
        _, err = await asyncio.wait_for(process.communicate(), timeout=20)
    except TimeoutError:
        process.kill()
        _, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_sandbox_exports_run_serve_and_a_review_becomes_a_card(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("gumado", "cloutly", "slack", "app")}
    app_url = f"http://127.0.0.1:{ports['app']}"
    sandbox = await _start(
        "sandbox",
        f"--gumado-port={ports['gumado']}",
        f"--cloutly-port={ports['cloutly']}",
        f"--slack-port={ports['slack']}",
        f"--app-url={app_url}",
        env=clean_env(),
        cwd=tmp_path,
    )
    serve: asyncio.subprocess.Process | None = None
    try:
        printed = await _read_until(sandbox, "Stop with Ctrl-C.")
        exports = _exports(printed)
        assert set(exports) == {
            "SLACK_API_URL",
            "SLACK_BOT_TOKEN",
            "SLACK_SIGNING_SECRET",
            "ENCRYPTION_KEY",
            "GUMADO_API_URL",
            "GUMADO_API_TOKEN",
            "GUMADO_WEBHOOK_KEY",
            "CLOUTLY_API_URL",
            "CLOUTLY_API_KEY",
            "DATABASE_URL",
            "ADMIN_USER_IDS",
            "HOST",
            "PORT",
        }
        assert exports["DATABASE_URL"].startswith("sqlite:////")  # an absolute path
        assert exports["DATABASE_URL"].endswith(f"/{tmp_path.name}/reviewbot-sandbox.db")
        assert exports["PORT"] == str(ports["app"])
        # The next steps come after the one block of exports.
        block = [i for i, line in enumerate(printed.splitlines()) if line.startswith("export ")]
        assert block == list(range(block[0], block[0] + len(exports)))
        assert "reviewbot serve" in printed and "reviewbot sandbox send-review" in printed

        # Another terminal: the exports pasted, then `reviewbot serve`.
        env = clean_env(**exports)
        serve = await _start("serve", env=env, cwd=tmp_path)
        health = await _wait_healthy(f"{app_url}/healthz", serve)
        assert health.status_code == 200
        assert (tmp_path / "reviewbot-sandbox.db").exists()

        # A third terminal: subscribe #reviews, then Gumado gets a review.
        status, out, err = await _run("sandbox", "slash", "subscribe all", env=env, cwd=tmp_path)
        assert status == 0, err
        assert "subscribed #reviews" in out
        status, out, err = await _run(
            "sandbox",
            "send-review",
            "--rating=2",
            "--text=The coffee was cold <!channel>",
            "--author=Sam Newcomer",
            env=env,
            cwd=tmp_path,
        )
        assert status == 0, err
        assert "2★ by Sam Newcomer" in out
        assert "Gumado delivered its webhook to your app (HTTP 200)" in out

        deadline = time.monotonic() + 15
        shown = ""
        while "The coffee was cold" not in shown and time.monotonic() < deadline:
            status, shown, err = await _run("sandbox", "show", env=env, cwd=tmp_path)
            assert status == 0, err
            await asyncio.sleep(0.2)
        assert "★★☆☆☆ 2/5" in shown
        assert "Sam Newcomer" in shown and "The coffee was cold" in shown
        async with httpx.AsyncClient() as http:
            page = await http.get(f"http://127.0.0.1:{ports['slack']}/channel/reviews")
        assert page.status_code == 200
        assert "The coffee was cold" in page.text

        serve_status, serve_err = await _stop(serve, signal.SIGTERM)
        assert serve_status == 0, serve_err
        assert exports["SLACK_BOT_TOKEN"] not in serve_err
        assert exports["SLACK_SIGNING_SECRET"] not in serve_err
    finally:
        if serve is not None:
            await _stop(serve, signal.SIGTERM)
        sandbox_status, sandbox_err = await _stop(sandbox, signal.SIGINT)
    assert sandbox_status == 0, sandbox_err
    assert "Traceback" not in sandbox_err


async def test_helpers_without_a_running_sandbox_say_to_start_it(tmp_path: Path) -> None:
    env = clean_env(SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/")
    status, out, err = await _run("sandbox", "show", env=env, cwd=tmp_path)
    assert status == 1
    assert "start `reviewbot sandbox` first" in err
    assert "Traceback" not in err and out == ""


async def test_a_second_run_replaces_the_first_runs_database_and_tells_when_serve_is_down(
    tmp_path: Path,
) -> None:
    (tmp_path / "reviewbot-sandbox.db").write_text("the previous run's, encrypted with its key")
    ports = [f"--{name}-port={free_port()}" for name in ("gumado", "cloutly", "slack")]
    app_url = f"http://127.0.0.1:{free_port()}"
    sandbox = await _start("sandbox", *ports, f"--app-url={app_url}", env=clean_env(), cwd=tmp_path)
    try:
        env = clean_env(**_exports(await _read_until(sandbox, "Stop with Ctrl-C.")))
        assert not (tmp_path / "reviewbot-sandbox.db").exists()
        # No `reviewbot serve` yet: the helper says the webhook found nobody.
        status, out, err = await _run("sandbox", "send-review", env=env, cwd=tmp_path)
        assert status == 1
        assert out == ""
        assert f"its webhook to {app_url}/webhooks/gumado/" in err
        assert "is `reviewbot serve` running?" in err
        assert env["GUMADO_WEBHOOK_KEY"] not in err
    finally:
        status, err = await _stop(sandbox, signal.SIGINT)
    assert status == 0, err
