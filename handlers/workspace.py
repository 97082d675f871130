"""Workspace events: the app uninstalled or its tokens revoked (Bolt acknowledges events)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.deps import Deps
from bot.installations import forget_workspace
from bot.log import get_logger
from bot.services.directory import Directory

__all__ = ["register"]

log = get_logger(__name__)


async def app_removed(
    event: dict[str, Any],
    body: dict[str, Any],
    context: AsyncBoltContext,
    directory: Directory,
    deps: Deps,
) -> None:
    """The app was uninstalled or its tokens revoked: forget cached people, say so in the log.

    In OAuth mode also forget the installation (``tokens_revoked``: the revoked tokens only;
    ``app_uninstalled``: the installation and the workspace's data), so nothing more is
    posted there. With SLACK_BOT_TOKEN there is nothing stored to forget.
    """
    directory.forget()
    log.warning("slack_app_removed", event_type=event.get("type"), team_id=body.get("team_id"))
    if deps.installations is None:
        return
    enterprise_id, team_id = context.enterprise_id, context.team_id
    if event.get("type") == "app_uninstalled":
        await forget_workspace(
            deps.installations, deps.sessions, enterprise_id=enterprise_id, team_id=team_id
        )
        deps.signals.schedules_changed()  # the workspace's digest jobs
        return
    tokens = event.get("tokens") or {}
    await deps.installations.revoke(
        enterprise_id=enterprise_id,
        team_id=team_id,
        bot_user_ids=[str(user) for user in tokens.get("bot") or ()],
        user_ids=[str(user) for user in tokens.get("oauth") or ()],
    )


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the workspace event listeners."""
    app.event("app_uninstalled")(app_removed)
    app.event("tokens_revoked")(app_removed)
