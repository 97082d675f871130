"""Chaos: replicas of ``reviewbot serve`` on one PostgreSQL, hurt while a webhook burst goes on.

    python bench/chaos.py [--replicas 3] [--reviews 120] [--scale 1.0] [--scenarios kill9,...]

Its small version runs in the test suite (tests/chaos/), which imports this module: nothing
here runs on import, and ``run_scenario`` takes the database (and any settings) it is given.

For each scenario, with ``--replicas`` replicas and again with one: the Gumado and Cloutly
sandboxes and the Slack stand-in run in this process; the replicas run as child processes on
a fresh PostgreSQL database reached through a TCP proxy here (so "the database is unreachable"
is real for them without stopping the shared server). A client plays Gumado: it sends each
review as a ``review-created`` webhook to the replicas in turn and sends it again (to the next
replica) until it is answered 200. Six channels subscribe: one per star rating and one to
everything, so every review should end with exactly two cards.

Scenarios (durations times ``--scale``):
- ``kill9``: kill -9 of a replica while Slack is slow, so its posts are in flight; restarted.
- ``pg-down``: the database unreachable for 10 s mid-burst (connections cut, new ones refused).
- ``db-blip-slow-slack``: the database unreachable for 2 s while Slack takes 2 s per message.
- ``slack-5xx``: Slack answers 503 to chat.postMessage for 60 s, history at Tier 1.
- ``sigterm``: SIGTERM of a replica mid-burst; restarted.

The table: sent (reviews), acknowledged, redelivered (webhook attempts after the first),
cards, lost (acknowledged reviews missing a card in a matching channel), doubled (cards beyond
one per review and channel) and the time from the end of the burst until every card was there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet
from databases import PG_ADMIN, prepare_database
from sqlalchemy import make_url

from bot.filters import parse
from sandbox.runner import RunningSandboxes, start_sandboxes
from sandbox.slack import SlackStandIn
from sandbox.slack_seed import TEAM_ID, Channel
from storage.engine import create_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Subscription

ROOT = Path(__file__).resolve().parent.parent
BY_RATING = [f"C0CHAOS{rating}" for rating in range(1, 6)]
EVERYTHING = "C0CHAOSALL"
CHANNELS = [*BY_RATING, EVERYTHING]
WEBHOOK_KEY = "chaos-webhook-key-0123456789abcdef"
BOT_TOKEN = "xoxb-demo"
SIGNING_SECRET = "chaos-signing-secret"
FIRST_ID = 700_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DatabaseProxy:
    """A TCP proxy to PostgreSQL that can cut every connection and refuse new ones for a while.

    What a restart or failover does to the app, without stopping a shared server: sessions
    (and anything held by them) are gone, and connecting fails until the outage ends.
    """

    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5432) -> None:
        self.target_host, self.target_port = target_host, target_port
        self.port = _free_port()
        self._down_until = 0.0
        self._open: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    @classmethod
    def to(cls, database_url: str) -> DatabaseProxy:
        """A proxy to the server of ``database_url`` (not started)."""
        url = make_url(database_url)
        return cls(url.host or "127.0.0.1", url.port or 5432)

    def url_for(self, database_url: str) -> str:
        """``database_url`` reached through this proxy."""
        url = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self._cut()

    def outage(self, seconds: float) -> None:
        """Drop every connection now and refuse new ones for ``seconds``."""
        self._down_until = time.monotonic() + seconds
        self._cut()

    def _cut(self) -> None:
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self._down_until:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._open.update({writer, up_writer})

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._open.difference_update({writer, up_writer})


class Replica:
    """``python -m bot serve`` as a child process."""

    def __init__(self, env: dict[str, str], workdir: Path, name: str) -> None:
        self.port = _free_port()
        self.env = {**env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        self.workdir, self.name = workdir, name
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/gumado/{WEBHOOK_KEY}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}-{self.starts}.log"

    async def start(self, tries: int = 3) -> None:
        self.starts += 1
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "serve", env=self.env, cwd=ROOT,
                stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if not self.alive:
                    if "cannot listen on" in self._log_tail() and tries > 1:
                        # The port was free when picked; an outgoing connection took it since.
                        self.port = _free_port()
                        self.env["PORT"] = str(self.port)
                        return await self.start(tries - 1)
                    raise RuntimeError(f"{self.name} exited:\n{self._log_tail()}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start:\n{self._log_tail()}")

    def _log_tail(self, lines: int = 30) -> str:
        """The end of this start's stderr (the workdir may be gone once the error is seen)."""
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:]) or "(nothing on stderr)"

    async def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive:
            assert self.process is not None
            self.process.send_signal(sig)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), 60)

    async def stop(self) -> None:
        await self.kill(signal.SIGTERM)


def _review(n: int) -> dict[str, Any]:
    stamp = datetime.now(UTC).isoformat()
    return {
        "webhook_event": "review-created",
        "id": FIRST_ID + n,
        "organization_id": 1,
        "location_id": None,
        "source_name": "google",
        "author": f"Reviewer {n}",
        "rating": n % 5 + 1,
        "message": f"Review number {n}",
        "url": f"https://maps.google.com/review/{n}",
        "published_on": stamp,
        "updated_at": stamp,
        "created_at": stamp,
    }


@dataclass
class Gumado:
    """Sends each review until a replica answers 200, to the replicas in turn (as Gumado would)."""

    replicas: list[Replica]
    reviews: int
    rate: float = 20.0
    acknowledged: set[int] = field(default_factory=set)
    attempts: int = 0
    _turn: int = 0

    def _next_url(self) -> str:
        self._turn += 1
        return self.replicas[self._turn % len(self.replicas)].url

    async def _deliver(self, http: aiohttp.ClientSession, n: int) -> None:
        body = json.dumps(_review(n))
        headers = {"Content-Type": "application/json", "User-Agent": "ReviewManagement/V1"}
        for attempt in range(200):
            self.attempts += 1
            try:
                timeout = aiohttp.ClientTimeout(total=30)  # the document's per-attempt timeout
                async with http.post(
                    self._next_url(), data=body, headers=headers, timeout=timeout
                ) as response:
                    if response.status == 200:
                        self.acknowledged.add(FIRST_ID + n)
                        return
            except (aiohttp.ClientError, OSError, TimeoutError):
                pass
            await asyncio.sleep(min(5.0, 0.25 * 2**attempt))

    async def burst(self) -> None:
        async with aiohttp.ClientSession() as http:
            tasks = []
            for n in range(self.reviews):
                tasks.append(asyncio.create_task(self._deliver(http, n)))
                await asyncio.sleep(1 / self.rate)
            await asyncio.gather(*tasks)


def _cards(slack: SlackStandIn) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for channel in CHANNELS:
        for message in slack.messages(channel):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == "review_card":
                found[(channel, str(metadata["event_payload"]["review_id"]))] += 1
    return found


def _expected(review_id: int) -> set[tuple[str, str]]:
    rating = (review_id - FIRST_ID) % 5 + 1
    return {(BY_RATING[rating - 1], str(review_id)), (EVERYTHING, str(review_id))}


@dataclass
class Outcome:
    scenario: str
    replicas: int
    sent: int
    acknowledged: int
    redelivered: int
    cards: int
    lost: int
    doubled: int
    drain: float | None


async def _subscribe(database_url: str, *, migrate: bool) -> None:
    if migrate:
        await upgrade(database_url)
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            for channel, text in [
                *zip(BY_RATING, [f"rating:{r}" for r in range(1, 6)], strict=True),
                (EVERYTHING, "all"),
            ]:
                session.add(
                    Subscription(
                        team_id=TEAM_ID,
                        channel_id=channel,
                        filter_text=text,
                        filter=parse(text).to_json(),
                        mentions=[],
                        created_by="U0ADMIN",
                    )
                )
    finally:
        await engine.dispose()


Hurt = Callable[[list[Replica], DatabaseProxy, SlackStandIn, float], Awaitable[None]]


async def _kill9(
    replicas: list[Replica], proxy: DatabaseProxy, slack: SlackStandIn, scale: float
) -> None:
    slack.fail_next("chat.postMessage", status=200, delay=1.5, count=12)  # posts in flight
    await asyncio.sleep(2.0 * scale + 1.0)
    await replicas[0].kill(signal.SIGKILL)
    await asyncio.sleep(1.0)
    await replicas[0].start()


async def _sigterm(
    replicas: list[Replica], proxy: DatabaseProxy, slack: SlackStandIn, scale: float
) -> None:
    slack.fail_next("chat.postMessage", status=200, delay=1.0, count=6)
    await asyncio.sleep(2.0 * scale + 1.0)
    await replicas[0].kill(signal.SIGTERM)
    await replicas[0].start()


async def _pg_down(
    replicas: list[Replica], proxy: DatabaseProxy, slack: SlackStandIn, scale: float
) -> None:
    await asyncio.sleep(2.0 * scale + 1.0)
    proxy.outage(10.0 * scale)


async def _db_blip_slow_slack(
    replicas: list[Replica], proxy: DatabaseProxy, slack: SlackStandIn, scale: float
) -> None:
    slack.fail_next("chat.postMessage", status=200, delay=2.0, count=15)
    await asyncio.sleep(2.0 * scale + 1.0)
    proxy.outage(2.0 * scale)


async def _slack_5xx(
    replicas: list[Replica], proxy: DatabaseProxy, slack: SlackStandIn, scale: float
) -> None:
    await asyncio.sleep(1.0)
    slack.outage("chat.postMessage", 60.0 * scale)


SCENARIOS: dict[str, Hurt] = {
    "kill9": _kill9,
    "pg-down": _pg_down,
    "db-blip-slow-slack": _db_blip_slow_slack,
    "slack-5xx": _slack_5xx,
    "sigterm": _sigterm,
}


async def run_scenario(
    name: str,
    replicas_count: int,
    reviews: int,
    scale: float,
    workdir: Path,
    database_url: str,
    *,
    migrate: bool = True,
    settings: dict[str, str] | None = None,
    rate: float = 20.0,
    drain_limit: float = 300.0,
    late_wait: float = 3.0,
) -> Outcome:
    """One scenario on ``database_url`` (a fresh PostgreSQL database); the outcome row.

    ``migrate=False``: the database is migrated already (Alembic's context is process-global,
    so runs side by side must not migrate). ``settings`` are extra environment variables for
    the replicas; ``rate`` is the webhooks sent per second; ``late_wait`` is how long to keep
    watching, once every card is there, for a second one.
    """
    slack = SlackStandIn(history_tier="tier1" if name == "slack-5xx" else None)
    await slack.start()
    for channel in CHANNELS:
        slack.add_channel(Channel(channel, channel.lower()))
    sandboxes: RunningSandboxes = await start_sandboxes()
    proxy = DatabaseProxy.to(database_url)
    await proxy.start()
    replicas: list[Replica] = []
    try:
        await _subscribe(database_url, migrate=migrate)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "GUMADO_", "CLOUTLY_"))
        }
        env.update(
            {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "DATABASE_URL": proxy.url_for(database_url),
                "ENCRYPTION_KEY": Fernet.generate_key().decode(),
                "GUMADO_API_URL": sandboxes.gumado_url,
                "GUMADO_API_TOKEN": sandboxes.gumado.tokens["full"],
                "GUMADO_WEBHOOK_KEY": WEBHOOK_KEY,
                "POLL_INTERVAL_SECONDS": "3600",
                "LOG_LEVEL": "WARNING",
                **(settings or {}),
            }
        )
        replicas = [Replica(env, workdir, f"{name}-{i}") for i in range(replicas_count)]
        await asyncio.gather(*(replica.start() for replica in replicas))
        gumado = Gumado(replicas, reviews, rate)
        burst = asyncio.create_task(gumado.burst())
        await SCENARIOS[name](replicas, proxy, slack, scale)
        await burst
        ended = time.monotonic()
        wanted = (
            set().union(*(_expected(r) for r in gumado.acknowledged))
            if gumado.acknowledged
            else set()
        )
        drain: float | None = None
        while time.monotonic() - ended < drain_limit:
            if wanted <= set(_cards(slack)):
                drain = time.monotonic() - ended
                break
            await asyncio.sleep(0.25)
        await asyncio.sleep(late_wait)  # anything late (a second card) shows up
        cards = _cards(slack)
        return Outcome(
            scenario=name,
            replicas=replicas_count,
            sent=reviews,
            acknowledged=len(gumado.acknowledged),
            redelivered=gumado.attempts - reviews,
            cards=sum(cards.values()),
            lost=len(wanted - set(cards)),
            doubled=sum(count - 1 for count in cards.values() if count > 1),
            drain=drain,
        )
    finally:
        await asyncio.gather(*(replica.stop() for replica in replicas), return_exceptions=True)
        await proxy.stop()
        await sandboxes.stop()
        await slack.stop()


def _row(outcome: Outcome) -> str:
    drain = f"{outcome.drain:.1f} s" if outcome.drain is not None else "not drained"
    return (
        f"| {outcome.scenario} | {outcome.replicas} | {outcome.sent} | {outcome.acknowledged} | "
        f"{outcome.redelivered} | {outcome.cards} | {outcome.lost} | {outcome.doubled} | {drain} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--reviews", type=int, default=120)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies outage lengths")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = parser.parse_args()
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)} (known: {', '.join(SCENARIOS)})")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, PostgreSQL at {PG_ADMIN.rsplit('@', 1)[-1]}"
    )
    print(
        "| scenario | replicas | sent | acknowledged | redelivered | cards | lost | doubled | drained in |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        for name in names:
            for count in dict.fromkeys([args.replicas, 1]):
                database_url, drop = await prepare_database(
                    "postgresql", Path(tmp), f"chaos-{name}"
                )
                try:
                    outcome = await run_scenario(
                        name, count, args.reviews, args.scale, Path(tmp), database_url
                    )
                finally:
                    await drop()
                print(_row(outcome), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
