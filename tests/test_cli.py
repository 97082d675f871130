"""The ``reviewbot`` command as a user runs it: a real process, real HTTP, real signals."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.config import EXPECTED
from fakes.slack import running_fake_slack

SLACK = {"SLACK_BOT_TOKEN": "xoxb-111-222-cli", "SLACK_SIGNING_SECRET": "cli-signing-secret"}


def clean_env(**extra: str) -> dict[str, str]:
    """The process environment without any of our variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in EXPECTED}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def reviewbot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = reviewbot("--help", env=clean_env(), cwd=tmp_path)
    assert result.returncode == 0
    for command in ["serve", "demo", "sandbox", "migrate", "digest"]:
        assert command in result.stdout


def test_missing_variable_is_one_clear_line(tmp_path: Path) -> None:
    result = reviewbot("serve", env=clean_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "SLACK_BOT_TOKEN is required" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_variable_is_one_clear_line(tmp_path: Path) -> None:
    result = reviewbot("serve", env=clean_env(**SLACK, PORT="eighty"), cwd=tmp_path)
    assert result.returncode == 2
    assert "PORT is invalid" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_creates_the_default_sqlite_file(tmp_path: Path) -> None:
    result = reviewbot("migrate", env=clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "reviewbot.db").exists()


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere")
    result = reviewbot("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot start" in result.stderr
    assert "Traceback" not in result.stderr


async def test_serve_healthz_metrics_and_clean_sigterm(tmp_path: Path) -> None:
    async with running_fake_slack(bot_tokens={SLACK["SLACK_BOT_TOKEN"]: "T0DEMO"}) as slack:
        port = free_port()
        env = clean_env(
            **SLACK,
            SLACK_API_URL=slack.api_url,
            PORT=str(port),
            HOST="127.0.0.1",
            LOG_LEVEL="INFO",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with httpx.AsyncClient(timeout=5) as http:
                deadline = time.monotonic() + 30
                health = None
                while time.monotonic() < deadline:
                    try:
                        health = await http.get(f"http://127.0.0.1:{port}/healthz")
                        break
                    except httpx.TransportError:
                        if process.returncode is not None:
                            _, err_bytes = await process.communicate()
                            pytest.fail(f"serve exited early: {err_bytes.decode()}")
                        await asyncio.sleep(0.1)
                assert health is not None and health.status_code == 200
                assert health.json() == {"status": "ok", "database": {"kind": "sqlite", "ok": True}}
                assert (tmp_path / "reviewbot.db").exists()
                metrics = await http.get(f"http://127.0.0.1:{port}/metrics")
            assert metrics.status_code == 200
            assert (
                'reviewbot_http_requests_total{route="/healthz",status="200"} 1.0' in metrics.text
            )
            process.send_signal(signal.SIGTERM)
            _, err_bytes = await asyncio.wait_for(process.communicate(), timeout=20)
        finally:
            if process.returncode is None:
                process.kill()
                await process.communicate()
        assert slack.calls_to("auth.test"), "serve asks Slack who it is at start"
    err = err_bytes.decode()
    assert process.returncode == 0, err
    started = [line for line in err.splitlines() if "reviewbot started" in line]
    assert len(started) == 1
    assert "single-workspace" in started[0] and "sqlite" in started[0]
    assert "reviewbot stopped" in err
    assert "xoxb-111-222-cli" not in err and "cli-signing-secret" not in err
