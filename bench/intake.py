"""Webhook intake, end-to-end and slash-ack benchmark against the real server.

    python bench/intake.py [--requests 6000] [--concurrency 32] [--rounds 3]
                           [--databases sqlite,postgresql] [--profile DIR]

For each database: ``reviewbot serve`` runs as a subprocess (pointed at an in-process Slack
stand-in and Gumado sandbox), and this process drives it over loopback HTTP:

1. intake: Gumado ``review-created`` webhooks (~1.5 KB, each a new review) at the given
   concurrency, while the router and sender run; req/s and p50/p99 latency; then the same load
   against ``bench/bare_intake.py`` (a bare aiohttp handler doing one INSERT + COMMIT per
   request: stdlib sqlite3 in WAL mode with synchronous=NORMAL, or an asyncpg pool; same
   table, same database) and the ratio. Rounds alternate baseline and intake (medians are
   shown); each line also gives the server's CPU time per request, the figure a shared
   machine disturbs least (PostgreSQL's own CPU is not in it). ``--profile DIR`` attaches
   py-spy to each server during the first round (folded stacks in DIR);
2. end to end: a subscribed channel, one webhook at a time, time until the card reaches the
   Slack stand-in (spaced out so Slack's ~1 msg/s per channel pacing never applies);
3. slash-command ack latency (signed ``/reviews help``), unloaded and at the given concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from cryptography.fernet import Fernet
from databases import prepare_database
from slack_sdk.signature import SignatureVerifier

from sandbox.gumado import GumadoSandbox
from sandbox.slack import SlackStandIn, new_trigger_id
from sandbox.slack_seed import TEAM_ID

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-demo"
WEBHOOK_KEY = "bench-webhook-key-0123456789abcdefghijkl"
CHANNEL = "C0REVIEWS"
ADMIN = "U0ADMIN"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def review_id_of(n: int) -> int:
    return 10_000_000 + n


def has_card(slack: SlackStandIn, review_id: str) -> bool:
    for message in slack.messages(CHANNEL):
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        if str(payload.get("review_id")) == review_id:
            return True
    return False


async def wait_metric(http: aiohttp.ClientSession, url: str, name: str, at_least: int) -> None:
    """Wait until the sum of a Prometheus counter's samples reaches ``at_least``."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        async with http.get(url) as r:
            text = await r.text()
        total = sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(name + "{") or line.startswith(name + " ")
        )
        if total >= at_least:
            return
        await asyncio.sleep(0.5)
    raise SystemExit(f"{name} never reached {at_least}")


def review_body(n: int, template: dict[str, Any]) -> bytes:
    payload = dict(template)
    payload["id"] = review_id_of(n)
    payload["updated_at"] = f"2026-11-2{n % 3}T10:{(n // 60) % 60:02d}:{n % 60:02d}+00:00"
    body = json.dumps(payload).encode()
    pad = 1500 - len(body)
    if pad > 0:
        payload["message"] = str(payload.get("message") or "") + " " + "x" * pad
        body = json.dumps(payload).encode()
    return body


async def drive(
    send: Callable[[int], Awaitable[int]], total: int, concurrency: int
) -> tuple[float, list[float], int]:
    """Run ``send(i)`` for i < total with ``concurrency`` workers; (req/s, latencies ms, errors)."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            started = time.perf_counter()
            status = await send(i)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return total / elapsed, latencies, errors


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by process ``pid`` (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    send: Callable[[int], Awaitable[int]], args: argparse.Namespace, pid: int
) -> tuple[float, float, float, int, float]:
    """One round: (req/s, p50 ms, p99 ms, non-200s, server CPU ms per request).

    CPU per request is what a neighbour's load on a shared machine does not change much.
    """
    cpu = cpu_seconds(pid)
    rps, lat, errors = await drive(send, args.requests, args.concurrency)
    cpu_ms = (cpu_seconds(pid) - cpu) * 1000 / args.requests
    return rps, percentile(lat, 0.5), percentile(lat, 0.99), errors, cpu_ms


async def wait_healthy(
    http: aiohttp.ClientSession, url: str, proc: asyncio.subprocess.Process
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise SystemExit(f"server exited early ({proc.returncode})")
        try:
            async with http.get(url) as r:
                if r.status in (200, 404):
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit(f"{url} never came up")


async def stop(proc: asyncio.subprocess.Process, *, interrupt: bool = False) -> None:
    if proc.returncode is None:
        # py-spy writes its profile on SIGINT (and passes it on to the server).
        proc.send_signal(signal.SIGINT if interrupt else signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def start_profile(
    directory: str | None, name: str, pid: int
) -> asyncio.subprocess.Process | None:
    """Attach py-spy to ``pid`` (``--profile DIR``): folded stacks in DIR/name.txt."""
    if directory is None:
        return None
    path = Path(directory) / f"{name}.txt"
    os.makedirs(directory, exist_ok=True)
    spy = await asyncio.create_subprocess_exec(
        "py-spy",
        "record",
        "--pid",
        str(pid),
        "--rate",
        "250",
        "--format",
        "raw",
        "--output",
        str(path),
        stdout=asyncio.subprocess.DEVNULL,
    )
    await asyncio.sleep(1.0)  # let it attach before the load starts
    return spy


def signed(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET).generate_signature(
            timestamp=stamp, body=body
        ),
    }


def slash_body(text: str, response_url: str) -> str:
    return urlencode(
        {
            "team_id": TEAM_ID,
            "channel_id": CHANNEL,
            "user_id": ADMIN,
            "command": "/reviews",
            "text": text,
            "response_url": response_url,
            "trigger_id": new_trigger_id(time.time()),
            "api_app_id": "A0DEMO",
        }
    )


async def connection_id(database_url: str) -> int:
    from sqlalchemy import select

    from storage.engine import create_engine
    from storage.models import Connection

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            value = await conn.scalar(select(Connection.id).where(Connection.name == "gumado"))
    finally:
        await engine.dispose()
    if value is None:
        raise SystemExit("the server did not create the gumado connection")
    return int(value)


async def bench_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"database": kind}
    slack = SlackStandIn(bot_tokens={BOT_TOKEN: TEAM_ID})
    await slack.start()
    gumado = GumadoSandbox()
    gumado_url = await gumado.start()
    template = gumado.add_review(rating=4, message="Lovely staff and a clean waiting room.")
    tmp = Path(tempfile.mkdtemp(prefix="reviewbot-bench-"))
    database_url, drop = await prepare_database(kind, tmp, "bench")
    port = free_port()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "GUMADO_", "CLOUTLY_"))
        },
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "GUMADO_API_URL": gumado_url,
        "GUMADO_API_TOKEN": gumado.tokens["full"],
        "GUMADO_WEBHOOK_KEY": WEBHOOK_KEY,
        "POLL_INTERVAL_SECONDS": "86400",
        "ADMIN_USER_IDS": ADMIN,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    base = f"http://127.0.0.1:{port}"
    hook = f"{base}/webhooks/gumado/{WEBHOOK_KEY}"
    connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
    http = aiohttp.ClientSession(connector=connector)
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", env=env, cwd=str(ROOT)
    )
    bare: asyncio.subprocess.Process | None = None
    try:
        await wait_healthy(http, f"{base}/healthz", server)
        # The baseline runs beside it on the same database and table (its rows are written
        # ``done``, so the router leaves them alone).
        bare_port = free_port()
        bare = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bench" / "bare_intake.py"),
            database_url,
            str(bare_port),
            str(await connection_id(database_url)),
            env={**env, "PYTHONPATH": str(ROOT)},
            cwd=str(ROOT),
        )
        await wait_healthy(http, f"http://127.0.0.1:{bare_port}/", bare)
        bare_hook = f"http://127.0.0.1:{bare_port}/webhooks/gumado/{WEBHOOK_KEY}"
        offset = 0

        async def post_review(i: int, url: str = hook) -> int:
            async with http.post(
                url,
                data=review_body(offset + i, template),
                headers={"Content-Type": "application/json"},
            ) as r:
                await r.read()
                return r.status

        async def post_bare(i: int) -> int:
            return await post_review(i, bare_hook)

        await drive(post_review, 300, args.concurrency)  # warm-up
        offset = 500_000
        await drive(post_bare, 300, args.concurrency)
        # Rounds alternate baseline and intake, so a neighbour's load on this machine hits
        # both alike; the median round of each is reported.
        routed = 300
        rounds: dict[str, list[tuple[float, float, float, int, float]]] = {"intake": [], "bare": []}
        for n in range(args.rounds):
            # The baseline gets a quiet machine: the router has drained intake's last round.
            await wait_metric(http, f"{base}/metrics", "reviewbot_inbound_events_total", routed)
            offset = 600_000 + n * args.requests
            spy = await start_profile(args.profile if n == 0 else None, f"bare-{kind}", bare.pid)
            rounds["bare"].append(await measure(post_bare, args, bare.pid))
            if spy is not None:
                await stop(spy, interrupt=True)
            offset = 1_000 + n * args.requests
            spy = await start_profile(
                args.profile if n == 0 else None, f"intake-{kind}", server.pid
            )
            rounds["intake"].append(await measure(post_review, args, server.pid))
            if spy is not None:
                await stop(spy, interrupt=True)
            routed += args.requests
        for name, figures in rounds.items():
            results[name] = sorted(figures)[len(figures) // 2]
        results["ratios"] = [
            i[0] / b[0] for i, b in zip(rounds["intake"], rounds["bare"], strict=True)
        ]

        # Slash-command acks: unloaded, then at the same concurrency.
        async def slash(_: int) -> int:
            body = slash_body("help", slack.new_response_url(channel=CHANNEL, user_id=ADMIN))
            async with http.post(f"{base}/slack/events", data=body, headers=signed(body)) as r:
                await r.read()
                return r.status

        await drive(slash, 50, 1)
        _, lat, errors = await drive(slash, args.slash, 1)
        results["slash_unloaded"] = (percentile(lat, 0.5), percentile(lat, 0.99), errors)
        _, lat, errors = await drive(slash, args.slash * 4, args.concurrency)
        results["slash_loaded"] = (percentile(lat, 0.5), percentile(lat, 0.99), errors)

        # End to end. First let the router drain the intake backlog (those reviews must not
        # become cards), then subscribe, then one review at a time until *its* card arrives.
        await wait_metric(http, f"{base}/metrics", "reviewbot_inbound_events_total", routed)
        body = slash_body("subscribe all", slack.new_response_url(channel=CHANNEL, user_id=ADMIN))
        async with http.post(f"{base}/slack/events", data=body, headers=signed(body)) as r:
            await r.read()
        await asyncio.sleep(1.0)
        offset = 100_000
        e2e: list[float] = []
        for i in range(args.e2e):
            review_id = str(review_id_of(offset + i))
            started = time.perf_counter()
            status = await post_review(i)
            if status != 200:
                continue
            while not has_card(slack, review_id):
                if time.perf_counter() - started > 10:
                    raise SystemExit(f"no card for review {review_id} after 10 s")
                await asyncio.sleep(0.0005)
            e2e.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(1.1)  # stay under Slack's ~1 message/s per channel
        results["e2e"] = (percentile(e2e, 0.5), percentile(e2e, 0.99), len(e2e))
    finally:
        await stop(server)
        if bare is not None:
            await stop(bare)
        await http.close()
        await gumado.stop()
        await slack.stop()
        await drop()
    return results


def report(r: dict[str, Any], args: argparse.Namespace) -> None:
    rps, p50, p99, errors, cpu = r["intake"]
    brps, bp50, bp99, berrors, bcpu = r["bare"]
    print(
        f"\n== {r['database']} ({args.requests} webhooks of ~1.5 KB, concurrency {args.concurrency})"
    )
    print(
        f"intake          {rps:8.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   non-200 {errors}"
        f"   CPU {cpu:.3f} ms/req"
    )
    print(
        f"bare INSERT     {brps:8.0f} req/s   p50 {bp50:6.2f} ms   p99 {bp99:6.2f} ms   non-200 {berrors}"
        f"   CPU {bcpu:.3f} ms/req"
    )
    each = ", ".join(f"{ratio:.2f}" for ratio in r["ratios"])
    print(f"ratio intake/bare  {rps / brps:.2f}×   (median of {len(r['ratios'])} rounds: {each})")
    e50, e99, n = r["e2e"]
    print(f"webhook → card  p50 {e50:6.2f} ms   p99 {e99:6.2f} ms   ({n} reviews, one at a time)")
    s50, s99, serr = r["slash_unloaded"]
    print(
        f"slash ack       p50 {s50:6.2f} ms   p99 {s99:6.2f} ms   unloaded ({args.slash} requests)"
    )
    l50, l99, lerr = r["slash_loaded"]
    print(
        f"slash ack       p50 {l50:6.2f} ms   p99 {l99:6.2f} ms   concurrency {args.concurrency}"
        f" ({args.slash * 4} requests, non-200 {serr + lerr})"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--e2e", type=int, default=20)
    parser.add_argument("--slash", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--profile", metavar="DIR", help="record the server with py-spy into DIR")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for kind in args.databases.split(","):
        report(await bench_database(kind.strip(), args), args)


if __name__ == "__main__":
    asyncio.run(main())
