"""Composition root: settings in, a ready aiohttp application out. The only place that wires."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

import handlers
from bot.config import Settings
from bot.crypto import TokenCipher
from bot.deps import Deps, utc_now
from bot.digest.schedule import install_digests
from bot.installations import open_installations
from bot.log import get_logger
from bot.metrics import Metrics
from bot.monitor import install_monitor
from bot.pipeline.workers import install_pipeline
from bot.providers.registry import ProviderRegistry
from bot.server import build_web_app
from bot.services.connections import bootstrap_env_connections
from bot.slack_app import build_bolt_app, install_socket_mode
from bot.slack_web import connect_workspace, slack_session
from storage.engine import create_engine, make_sessionmaker
from storage.migrate import upgrade

log = get_logger(__name__)


async def migrate_database(settings: Settings) -> None:
    """Bring the database schema to the newest migration (StartupError when it cannot)."""
    await upgrade(settings.database_url)


async def create_deps(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Deps:
    """Migrate the database and build every long-lived resource (no Slack calls yet).

    The caller closes them with :meth:`Deps.aclose`.
    """
    await migrate_database(settings)
    engine = create_engine(settings.database_url)
    cipher = (
        TokenCipher(settings.encryption_key.get_secret_value())
        if settings.encryption_key is not None
        else None
    )
    metrics = Metrics()
    return Deps(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        metrics=metrics,
        providers=ProviderRegistry(settings, cipher, on_status=metrics.provider_answered),
        cipher=cipher,
        slack_session=slack_session(),
        clock=clock,
    )


async def build_app(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now
) -> web.Application:
    """The whole service as an aiohttp application.

    Start-up: migrate, ``auth.test`` with the bot token (team id), connections from the
    environment, then the pipeline workers. Cleanup drains background work and closes pools.
    """
    deps = await create_deps(settings, clock=clock)
    try:
        if settings.oauth_enabled:
            deps.installations = open_installations(
                settings,
                deps.engine,
                deps.cipher,
                metrics=deps.metrics,
                session=deps.slack_session,
            )
        if settings.slack_bot_token is not None and not settings.oauth_enabled:
            deps.workspace = await connect_workspace(
                settings.slack_api_url,
                settings.slack_bot_token.get_secret_value(),
                metrics=deps.metrics,
                session=deps.slack_session,
            )
            await bootstrap_env_connections(deps, deps.workspace.team_id)
    except BaseException:
        await deps.aclose()
        raise

    bolt = build_bolt_app(deps)
    handlers.register_all(bolt, deps)
    app = build_web_app(deps, bolt)
    install_socket_mode(app, bolt, settings)
    pipeline = install_pipeline(app, deps)
    install_digests(app, deps, pipeline)
    install_monitor(app, deps)

    async def close_resources(_: web.Application) -> None:
        await deps.drain()
        await deps.aclose()

    app.on_cleanup.append(close_resources)
    return app
