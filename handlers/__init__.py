"""Slack listeners, one module per surface; ``register(app)`` wires them all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.services.directory import Directory
from handlers import (
    actions,
    browse,
    commands,
    connect,
    digest_settings,
    errors,
    events,
    home,
    invites,
    shortcuts,
    status,
    views,
)


def register(app: AsyncApp, *, directory: Directory | None = None) -> None:
    """Attach every listener to ``app`` (called once, by the composition root).

    Listeners also get ``directory``: the cached Slack people and user groups of this app.
    """
    shared = directory or Directory()

    @app.middleware
    async def inject_directory(
        context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> None:
        context["directory"] = shared
        await next()

    errors.register(app)
    commands.register(app)
    actions.register(app)
    views.register(app)
    shortcuts.register(app)
    browse.register(app)
    invites.register(app)
    digest_settings.register(app)
    connect.register(app)
    status.register(app)
    home.register(app)
    events.register(app)
