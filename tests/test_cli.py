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


def test_serve_with_no_environment_names_every_missing_variable_at_once(tmp_path: Path) -> None:
    result = reviewbot("serve", env=clean_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    # Nothing before the message: it is the first line on stderr.
    assert result.stderr.startswith("reviewbot: configuration error: 2 problems:\n")
    assert "SLACK_BOT_TOKEN is required: " + EXPECTED["SLACK_BOT_TOKEN"] in result.stderr
    assert "SLACK_SIGNING_SECRET is required: " + EXPECTED["SLACK_SIGNING_SECRET"] in result.stderr
    assert "OAuth & Permissions" in result.stderr and "App Credentials" in result.stderr
    assert "reviewbot sandbox" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "reviewbot.db").exists()


def test_malformed_variable_is_one_clear_line(tmp_path: Path) -> None:
    result = reviewbot("serve", env=clean_env(**SLACK, PORT="eighty"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "PORT is invalid" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_invalid_and_missing_variable_in_one_message(tmp_path: Path) -> None:
    env = clean_env(
        PORT="eighty",
        LOG_LEVEL="LOUD",
        ENCRYPTION_KEY="not-a-key",
        SLACK_SIGNING_SECRET="cli-signing-secret",
    )
    result = reviewbot("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "4 problems:" in result.stderr
    for line in [
        f"PORT is invalid (Input should be a valid integer, unable to parse string as an "
        f"integer); expected {EXPECTED['PORT']}",
        "LOG_LEVEL is invalid",
        "ENCRYPTION_KEY is invalid (",
        "SLACK_BOT_TOKEN is required",
    ]:
        assert line in result.stderr
    assert "SLACK_SIGNING_SECRET is required" not in result.stderr
    assert "not-a-key" not in result.stderr
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


def test_serve_asks_slack_before_it_creates_the_database_and_says_one_line(
    tmp_path: Path,
) -> None:
    env = clean_env(**SLACK, SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/")
    result = reviewbot("serve", env=env, cwd=tmp_path)
    assert result.returncode == 1
    # slack_sdk's "A retry handler found" note does not come first: only our line.
    assert result.stderr.splitlines() == [
        f"reviewbot: cannot start: cannot reach the Slack Web API at {env['SLACK_API_URL']} "
        "(ClientConnectorError); check SLACK_API_URL and the network"
    ]
    assert not (tmp_path / "reviewbot.db").exists()


async def test_a_refused_bot_token_leaves_no_database_file(tmp_path: Path) -> None:
    async with running_fake_slack(bot_tokens={"xoxb-another-token": "T0DEMO"}) as slack:
        env = clean_env(**SLACK, SLACK_API_URL=slack.api_url)
        result = await asyncio.to_thread(reviewbot, "serve", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "invalid_auth" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "reviewbot.db").exists()


def test_migrate_says_which_database_it_migrated(tmp_path: Path) -> None:
    result = reviewbot("migrate", env=clean_env(LOG_LEVEL="WARNING"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "Migrated the sqlite database at sqlite:///./reviewbot.db: it has the newest schema.\n"
    )


@pytest.mark.postgres
def test_migrate_names_the_postgres_database_without_its_password(
    tmp_path: Path, postgres_server: str
) -> None:
    from sqlalchemy import make_url

    url = make_url(postgres_server).set(password="s3cret-pw")  # trust auth ignores it
    env = clean_env(DATABASE_URL=url.render_as_string(hide_password=False), LOG_LEVEL="WARNING")
    result = reviewbot("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Migrated the postgresql database at postgresql://")
    assert "***" in result.stdout and "s3cret-pw" not in result.stdout


@pytest.mark.postgres
def test_a_missing_postgres_database_names_the_command_that_creates_it(
    tmp_path: Path, postgres_server: str
) -> None:
    from sqlalchemy import make_url

    url = make_url(postgres_server).set(database="reviewbot_never_created")
    env = clean_env(DATABASE_URL=url.render_as_string(hide_password=False))
    result = reviewbot("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1
    assert "'reviewbot_never_created' does not exist" in result.stderr
    user = f" -U {url.username}" if url.username else ""
    assert f"`createdb -h {url.host}" in result.stderr
    assert f"{user} reviewbot_never_created`" in result.stderr
    assert "CREATE DATABASE" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_week_is_an_argument_error(tmp_path: Path) -> None:
    result = reviewbot(
        "digest", "--org", "Acme", "--week", "2026-47", "--dry-run", env=clean_env(), cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.startswith("usage: reviewbot digest")
    assert "argument --week: '2026-47' is not an ISO week such as 2026-W47" in result.stderr
    assert "configuration error" not in result.stderr
    assert not (tmp_path / "reviewbot.db").exists()


@pytest.mark.parametrize("option", ["--gumado-port", "--cloutly-port", "--slack-port"])
def test_a_busy_sandbox_port_names_its_option(tmp_path: Path, option: str) -> None:
    others = {"--gumado-port", "--cloutly-port", "--slack-port"} - {option}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = [f"{other}={free_port()}" for other in sorted(others)]
        result = reviewbot("sandbox", f"{option}={port}", *args, env=clean_env(), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"reviewbot sandbox: cannot listen on 127.0.0.1:{port} (address already in use); "
        f"choose another port with {option} PORT"
    ]


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("serve", ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL", "[0.0.0.0, 3000]"]),
        ("demo", ["no credentials", "variables: none"]),
        ("sandbox", ["export", "--slack-port 8103", "--app-url http://127.0.0.1:3000"]),
        ("migrate", ["DATABASE_URL", "default sqlite:///./reviewbot.db", "createdb"]),
        ("rotate-key", ["ENCRYPTION_KEY", "NEW,OLD", "DATABASE_URL"]),
        ("digest", ["ISO week", "SLACK_BOT_TOKEN", "--dry-run", "DATABASE_URL"]),
    ],
)
def test_help_of_each_command_says_what_it_does_and_what_it_needs(
    tmp_path: Path, command: str, says: list[str]
) -> None:
    result = reviewbot(command, "--help", env=clean_env(), cwd=tmp_path)
    assert result.returncode == 0
    usage, _, rest = result.stdout.partition("\n\n")
    assert usage.startswith(f"usage: reviewbot {command}")
    assert len(rest.splitlines()) > 5, "more than a usage line"
    for words in says:
        assert words in result.stdout, words
