"""Events API listeners: App Home opened, app uninstalled, tokens revoked."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.log import get_logger
from bot.services.directory import Directory

__all__ = ["register"]

log = get_logger(__name__)


async def app_home_opened() -> None:
    """Nothing to show yet (the Home tab is a later issue); answering 200 stops Slack's retries."""


async def app_removed(event: dict[str, Any], body: dict[str, Any], directory: Directory) -> None:
    """The app was uninstalled or its tokens revoked: forget cached people, say so in the log."""
    directory.forget()
    log.warning("slack_app_removed", event_type=event.get("type"), team_id=body.get("team_id"))


def register(app: AsyncApp) -> None:
    """Attach the event listeners (Bolt acknowledges events itself)."""
    app.event("app_home_opened")(app_home_opened)
    app.event("app_uninstalled")(app_removed)
    app.event("tokens_revoked")(app_removed)
