"""Who acts, where, and the Slack reads made on their behalf: what every service is handed."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.directory import Directory
from bot.services.reads import SlackReads

__all__ = ["Actor", "SlackReads"]


@dataclass(frozen=True, slots=True)
class Actor:
    """The person in Slack a service acts for: their workspace, themselves, the channel."""

    team_id: str
    user_id: str
    channel_id: str | None
    """Where they asked from (None for a global shortcut or the Home tab)."""
    client: SlackReads
    directory: Directory
    """The app's cached Slack people and groups."""
