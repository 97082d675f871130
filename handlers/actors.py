"""Reading interaction payloads: who they come from (the Actor services take) and what a form holds."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.services.actor import Actor
from bot.services.directory import Directory
from bot.slack_reads import SlackReader

__all__ = ["actor_of", "channel_of", "state_values", "team_of"]


def team_of(body: dict[str, Any]) -> str:
    """The workspace of a block_actions / view_submission / shortcut payload."""
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    return str(team or (body.get("view") or {}).get("team_id") or "")


def state_values(view: dict[str, Any]) -> dict[str, Any]:
    """A submitted view's ``state.values`` (empty when Slack sent none)."""
    return (view.get("state") or {}).get("values") or {}


def channel_of(body: dict[str, Any]) -> str | None:
    """The channel of the message whose button was clicked (None outside a channel)."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    return str(channel) if channel else None


def actor_of(
    body: dict[str, Any],
    client: AsyncWebClient,
    directory: Directory,
    *,
    team_id: str | None = None,
    channel_id: str | None = None,
) -> Actor:
    """The person who clicked or submitted, in ``channel_id``."""
    user_id = str(body["user"]["id"])
    return Actor(team_id or team_of(body), user_id, channel_id, SlackReader(client), directory)
