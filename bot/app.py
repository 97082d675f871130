"""Composition root: settings in, a ready aiohttp application out. The only place that wires."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from aiohttp import web

import handlers
from bot.config import Settings
from bot.crypto import TokenCipher
from bot.deps import Deps, utc_now
from bot.digest.resources import DigestResources
from bot.digest.runner import DigestService
from bot.digest.schedule import install_digests
from bot.log import get_logger
from bot.metrics import Metrics
from bot.monitor import install_monitor
from bot.pipeline.assembly import install_pipeline
from bot.pipeline.records import NameCache
from bot.pipeline.write_gate import WriteGate
from bot.providers.registry import ProviderRegistry
from bot.server import build_web_app
from bot.services.connections import bootstrap_env_connections
from bot.slack_app import build_bolt_app, install_socket_mode
from bot.slack_connection import SlackConnection, connect_slack
from bot.slack_web import slack_session
from storage.engine import create_engine, make_sessionmaker
from storage.migrate import upgrade

log = get_logger(__name__)


async def migrate_database(settings: Settings) -> None:
    """Bring the database schema to the newest migration (MigrationError when it cannot)."""
    await upgrade(settings.database_url)


async def create_deps(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    connect: bool = True,
) -> Deps:
    """Build every long-lived resource, the digest service included, and migrate the database.

    ``connect``: also connect the Slack that ``settings`` name (``auth.test`` with a bot token;
    see ``bot/slack_connection.py``); a dry run leaves Slack alone. Slack is asked first, so a
    refused token leaves no new database file behind. The caller closes the resources with
    :meth:`Deps.aclose`.
    """
    engine = create_engine(settings.database_url)
    cipher = (
        TokenCipher(settings.encryption_key.get_secret_value())
        if settings.encryption_key is not None
        else None
    )
    metrics = Metrics()
    providers = ProviderRegistry(settings, cipher, on_status=metrics.provider_answered)
    session = slack_session()
    try:
        slack = (
            await connect_slack(
                settings, engine=engine, cipher=cipher, metrics=metrics, session=session
            )
            if connect
            else SlackConnection()
        )
        await migrate_database(settings)
    except BaseException:
        await providers.aclose()
        await session.close()
        await engine.dispose()
        raise
    deps = Deps(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        metrics=metrics,
        providers=providers,
        cipher=cipher,
        slack_session=session,
        slack=slack,
        clock=clock,
        gate=WriteGate(serialize=engine.dialect.name != "postgresql"),
        names=NameCache(),
    )
    return dataclasses.replace(deps, digests=_digest_service(deps))


def _digest_service(deps: Deps) -> DigestService:
    """The digest service, on the resources (and the write gate and name cache) of ``deps``."""
    resources = DigestResources(
        sessions=deps.sessions,
        engine=deps.engine,
        providers=deps.providers,
        metrics=deps.metrics,
        clock=deps.clock,
        slack_client=deps.slack.client_for,
        outbound=deps.signals.outbound,
    )
    return DigestService(resources, deps.gate, deps.names)


async def build_app(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now
) -> web.Application:
    """The whole service as an aiohttp application.

    Start-up: migrate, ``auth.test`` with the bot token (team id), connections from the
    environment, then the pipeline stages. Cleanup drains background work and closes pools.
    """
    deps = await create_deps(settings, clock=clock)
    try:
        if deps.workspace is not None:
            await bootstrap_env_connections(deps, deps.workspace.team_id)
    except BaseException:
        await deps.aclose()
        raise

    bolt = build_bolt_app(deps)
    handlers.register_all(bolt, deps)
    app = build_web_app(deps, bolt)
    install_socket_mode(app, bolt, settings)
    install_pipeline(app, deps)
    install_digests(app, deps)
    install_monitor(app, deps)

    async def close_resources(_: web.Application) -> None:
        await deps.drain()
        await deps.aclose()

    app.on_cleanup.append(close_resources)
    return app
