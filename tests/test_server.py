"""Health and metrics routes over real HTTP, including the database-down case."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from aiohttp.test_utils import TestServer

from bot.config import load_settings
from bot.deps import Deps
from bot.metrics import Metrics
from bot.providers.registry import ProviderRegistry
from bot.server import build_web_app
from harness import running_service
from storage.engine import create_engine, make_sessionmaker

SLACK = {"SLACK_BOT_TOKEN": "xoxb-1-2-3", "SLACK_SIGNING_SECRET": "secret"}


async def test_healthz_ok_on_a_migrated_database(database_url: str) -> None:
    async with (
        running_service(database_url) as service,
        httpx.AsyncClient(base_url=service.base_url) as client,
    ):
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["database"] == {"kind": service.settings.database_kind, "ok": True}
        metrics = await client.get("/metrics")
        assert "reviewbot_database_up 1.0" in metrics.text
        assert metrics.headers["content-type"].startswith("text/plain")


async def test_healthz_503_quickly_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:1/unreachable"
    settings = load_settings({**SLACK, "DATABASE_URL": url})
    engine = create_engine(settings.database_url)
    deps = Deps(
        settings,
        engine,
        make_sessionmaker(engine),
        Metrics(),
        providers=ProviderRegistry(settings, None),
    )
    server = TestServer(build_web_app(deps))
    await server.start_server()
    try:
        async with httpx.AsyncClient(base_url=str(server.make_url(""))) as client:
            started = time.perf_counter()
            response = await client.get("/healthz", timeout=10)
            elapsed = time.perf_counter() - started
            assert response.status_code == 503
            assert response.json() == {
                "status": "unavailable",
                "database": {"kind": "postgresql", "ok": False},
            }
            assert elapsed < 5
            metrics = await client.get("/metrics")
            assert "reviewbot_database_up 0.0" in metrics.text
            unknown = await client.get("/nope")
            assert unknown.status_code == 404
    finally:
        await server.close()
        await engine.dispose()
