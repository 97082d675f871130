"""Slack listeners, one module per surface; ``register(app)`` wires them all."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import actions, commands, errors, events, shortcuts, views


def register(app: AsyncApp) -> None:
    """Attach every listener to ``app`` (called once, by the composition root)."""
    errors.register(app)
    commands.register(app)
    actions.register(app)
    views.register(app)
    shortcuts.register(app)
    events.register(app)
