"""A brief database outage is one warning line a pass, without a traceback, and database_up says so.

The service reaches PostgreSQL through a TCP relay the test can cut: every open connection
drops and new ones are refused, as when the server restarts or the network fails.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from logs_capture import rendered_logs
from sqlalchemy.engine import make_url
from test_metrics import scrape, value

from bot.monitor import MONITOR_KEY
from bot.pipeline.assembly import PIPELINE_KEY
from harness import running_service, wait_for


class Relay:
    """Forwards 127.0.0.1:<port> to PostgreSQL until cut."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()


@pytest.mark.postgres
async def test_a_database_outage_is_a_warning_without_a_traceback(
    _postgres_database: str,
) -> None:
    url = make_url(_postgres_database)
    relay = Relay(url.port or 5432)
    await relay.start()
    relayed = url.set(port=relay.port).render_as_string(hide_password=False)
    async with running_service(relayed) as service:
        await service.settle()
        monitor = service.app[MONITOR_KEY]
        await monitor.run_once()
        assert value(await scrape(service), "reviewbot_database_up") == 1
        with rendered_logs() as logs:
            await relay.cut()
            # The router's next pass finds the database gone.
            router = service.app[PIPELINE_KEY].router
            router.wake.set()
            await wait_for(
                lambda: bool(logs.events("pipeline_pass_database_unavailable")),
                what="the outage warning",
            )
            await monitor.run_once()
            # Kept current by the monitor: no /healthz was asked.
            assert value(await scrape(service), "reviewbot_database_up") == 0
            await relay.start()  # the database is back (same port)
            await monitor.run_once()
            assert value(await scrape(service), "reviewbot_database_up") == 1
        (warning, *_) = logs.events("pipeline_pass_database_unavailable")
        assert warning["level"] == "warning" and warning["stage"] == "router"
        assert "Traceback" not in logs.text
        assert not [r for r in logs.records() if r["level"] in ("error", "critical")]
    await relay.cut()
