"""``kill -9`` of ``reviewbot serve`` in the middle of a webhook burst loses and doubles nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from pipeline_helpers import cards

from bot.config import EXPECTED
from bot.filters import parse
from harness import WEBHOOK_KEY, service_environment, wait_for
from sandbox.runner import RunningSandboxes, start_sandboxes
from sandbox.slack import SlackStandIn
from sandbox.slack_seed import Channel
from storage.engine import create_engine, make_sessionmaker
from storage.models import Subscription

CHANNELS = [f"C0KILL{rating}" for rating in range(1, 6)]
# An upper bound: the burst runs until the kill, which comes after a few posts. The router gives
# way to a stream of webhooks (it routes about one event a second meanwhile), so the burst must
# outlast the first posts by a wide margin or the kill lands after it.
REVIEWS = 400


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _subscribe_by_rating(database_url: str) -> None:
    """One channel per star rating, so the cards spread over channels (each paced ~1/s)."""
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            for rating, channel in enumerate(CHANNELS, start=1):
                session.add(
                    Subscription(
                        team_id="T0DEMO",
                        channel_id=channel,
                        filter_text=f"rating:{rating}",
                        filter=parse(f"rating:{rating}").to_json(),
                        mentions=[],
                        created_by="U0ADMIN",
                    )
                )
    finally:
        await engine.dispose()


def _review(n: int) -> dict[str, Any]:
    stamp = datetime.now(UTC).isoformat()
    return {
        "webhook_event": "review-created",
        "id": 900_000 + n,
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


class Server:
    """``python -m bot serve`` as a child process."""

    def __init__(self, env: dict[str, str], cwd: Path, port: int) -> None:
        self.env, self.cwd, self.port = env, cwd, port
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, log_name: str) -> None:
        with (self.cwd / log_name).open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "serve", env=self.env, cwd=self.cwd,
                stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                assert self.process.returncode is None, (self.cwd / log_name).read_text()
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError("serve did not start")

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no cleanup, no drain, nothing committed late
        await self.process.wait()

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), 30)
        return self.process.returncode or 0


async def _burst(url: str, acked: list[int], stop: asyncio.Event) -> None:
    """Send reviews once each, 4 at a time (~16/s), until the server dies (``stop``)."""
    queue = list(range(REVIEWS))
    headers = {"Content-Type": "application/json", "User-Agent": "ReviewManagement/V1"}

    async def worker(http: aiohttp.ClientSession) -> None:
        while queue and not stop.is_set():
            n = queue.pop(0)
            try:
                async with http.post(url, data=json.dumps(_review(n)), headers=headers) as r:
                    if r.status == 200:
                        acked.append(900_000 + n)
            except (aiohttp.ClientError, OSError):
                return
            await asyncio.sleep(0.25)

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(worker(http) for _ in range(4)))


def _card_counts(slack: SlackStandIn) -> dict[str, int]:
    counts: dict[str, int] = {}
    for channel in CHANNELS:
        for card in cards(slack_view(slack), channel):
            review_id = str(card["metadata"]["event_payload"]["review_id"])
            counts[review_id] = counts.get(review_id, 0) + 1
    return counts


class slack_view:
    def __init__(self, slack: SlackStandIn) -> None:
        self.slack = slack


async def test_kill_9_mid_burst_then_restart_gives_each_acked_review_one_card(
    database_url: str, tmp_path: Path
) -> None:
    await _subscribe_by_rating(database_url)
    slack = SlackStandIn()
    await slack.start()
    for channel in CHANNELS:
        slack.add_channel(Channel(channel, channel.lower()))
    sandboxes: RunningSandboxes = await start_sandboxes()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in EXPECTED}
    env.update(
        service_environment(
            sandboxes,
            slack,
            database_url,
            PORT=str(port),
            HOST="127.0.0.1",
            LOG_LEVEL="WARNING",
            # The killed process's leases lapse after this; the default 60 s outlasts the test.
            DELIVERY_LEASE_SECONDS="15",
        )
    )
    server = Server(env, tmp_path, port)
    url = f"http://127.0.0.1:{port}/webhooks/gumado/{WEBHOOK_KEY}"
    try:
        await server.start("first.log")
        # Slow Slack down so posts are in flight when the process dies.
        slack.fail_next("chat.postMessage", status=200, delay=1.0, count=6)
        acked: list[int] = []
        stop = asyncio.Event()
        burst = asyncio.create_task(_burst(url, acked, stop))
        await wait_for(
            lambda: len(acked) >= 10 and len(slack.calls_to("chat.postMessage")) >= 3,
            timeout=30,
            what="a burst under way",
        )
        await server.kill()
        stop.set()
        await burst
        assert 10 <= len(acked) < REVIEWS, "the kill landed mid-burst"
        # Slack still answers the posts that were in flight: they land, unrecorded.
        await asyncio.sleep(1.2)

        await server.start("second.log")
        await wait_for(
            lambda: all(str(r) in _card_counts(slack) for r in acked),
            timeout=90,
            what="a card for every acknowledged webhook",
        )
        # Posts were in flight at the kill: once their leases lapse, the new process reconciles
        # them (and posts nothing). Let anything still queued go out, then count.
        await wait_for(
            lambda: bool(slack.calls_to("conversations.history")),
            timeout=40,
            what="the killed process's posts reconciled",
        )
        await asyncio.sleep(2.5)
        counts = _card_counts(slack)
        assert {str(r) for r in acked} <= set(counts)
        assert all(n == 1 for n in counts.values()), {r: n for r, n in counts.items() if n > 1}
        assert await server.stop() == 0
    finally:
        if server.process is not None and server.process.returncode is None:
            server.process.kill()
            await server.process.wait()
        await sandboxes.stop()
        await slack.stop()
