"""Composition root: settings in, a ready aiohttp application out. The only place that wires."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from bot.config import Settings
from bot.deps import Deps, utc_now
from bot.metrics import Metrics
from bot.server import build_web_app
from storage.engine import create_engine, make_sessionmaker
from storage.migrate import upgrade


async def migrate_database(settings: Settings) -> None:
    """Bring the database schema to the newest migration (StartupError when it cannot)."""
    await upgrade(settings.database_url)


async def create_deps(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Deps:
    """Migrate the database and build every long-lived resource."""
    await migrate_database(settings)
    engine = create_engine(settings.database_url)
    return Deps(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        metrics=Metrics(),
        clock=clock,
    )


async def build_app(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now
) -> web.Application:
    """The whole service as an aiohttp application; its cleanup drains work and closes the pool."""
    deps = await create_deps(settings, clock=clock)
    app = build_web_app(deps)

    async def close_resources(_: web.Application) -> None:
        await deps.drain()
        await deps.engine.dispose()

    app.on_cleanup.append(close_resources)
    return app
