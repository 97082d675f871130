"""What the invite modal carries in ``private_metadata``: where it came from, how to read phones."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from bot.providers.registry import PLATFORMS

__all__ = ["InviteContext", "Origin"]

Origin = Literal["command", "card", "shortcut"]
_ORIGINS: tuple[Origin, ...] = ("command", "card", "shortcut")


@dataclass(frozen=True, slots=True)
class InviteContext:
    """The channel the modal was opened from (None: the global shortcut), and form settings."""

    channel_id: str | None
    origin: Origin
    region: str
    """Country for phone numbers typed without a ``+`` code (the user's Slack locale)."""
    platform: str = ""
    """The platform whose campaign field the form shows."""

    def dump(self) -> str:
        """As ``private_metadata`` (well under Slack's 3000 characters)."""
        data = {"ch": self.channel_id, "o": self.origin, "r": self.region, "pl": self.platform}
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def load(cls, text: str | None, *, default_region: str) -> InviteContext:
        """Read ``private_metadata``; anything unreadable falls back to safe defaults."""
        try:
            data = json.loads(text or "")
        except json.JSONDecodeError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        channel = data.get("ch")
        origin = data.get("o")
        region = data.get("r")
        platform = data.get("pl")
        return cls(
            channel_id=channel if isinstance(channel, str) and channel else None,
            origin=origin if origin in _ORIGINS else "shortcut",
            region=region if isinstance(region, str) and len(region) == 2 else default_region,
            platform=platform if isinstance(platform, str) and platform in PLATFORMS else "",
        )
