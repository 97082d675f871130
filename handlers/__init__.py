"""Slack listeners, one module per feature ("room"); ``register_all`` wires them all.

Each room's ``register(app, deps)`` attaches all of that feature's listeners (actions, views,
options, shortcuts, events); its ``/reviews`` subcommands are registered with
``@subcommand`` in the same module and routed by ``handlers/subcommands.py``.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from handlers import (
    browse,
    cards,
    connect,
    digests,
    errors,
    home,
    invites,
    status,
    subcommands,
    subscriptions,
    workspace,
)

__all__ = ["register_all"]


def register_all(app: AsyncApp, deps: Deps) -> None:
    """Attach every listener to ``app`` (called once, by the composition root)."""
    errors.register(app)
    subcommands.register(app, deps)
    for room in (subscriptions, browse, invites, connect, status, digests, home, cards, workspace):
        room.register(app, deps)
