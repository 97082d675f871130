"""Global shortcuts: *Request a review*."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from handlers.actions import open_invite_placeholder
from handlers.errors import spawn_reported
from handlers.ids import SHORTCUT_REQUEST_REVIEW

__all__ = ["register"]


async def request_review_shortcut(
    ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    """The *Request a review* shortcut opens the invite modal (a placeholder in this release)."""
    await ack()
    work = open_invite_placeholder(client, str(shortcut.get("trigger_id") or ""))
    # Global shortcuts carry no response_url: a failure is logged only.
    spawn_reported(deps, work, respond=None, name="request_review_shortcut")


def register(app: AsyncApp) -> None:
    """Attach the shortcut listeners."""
    app.shortcut(SHORTCUT_REQUEST_REVIEW)(request_review_shortcut)
