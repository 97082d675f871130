"""Every id a listener matches on: the slash command, shortcut callback ids and block ids.

Block and action ids are defined in ``bot/blocks/ids.py`` (pure builders need them and ``bot``
may not import ``handlers``) and re-exported here. ``manifest.yml`` names the slash command and
the shortcut callback ids; ``tests/handlers/test_manifest.py`` checks both directions.
"""

from __future__ import annotations

from bot.blocks.ids import *  # noqa: F403  (re-export: the one list of ids)
from bot.blocks.ids import __all__ as _block_ids

SLASH_COMMAND = "/reviews"
SHORTCUT_REQUEST_REVIEW = "request_review"
"""Global shortcut "Request a review" (manifest ``features.shortcuts``)."""

MANIFEST_CALLBACK_IDS = frozenset({SHORTCUT_REQUEST_REVIEW})
"""The callback ids that must appear in ``manifest.yml`` (shortcuts)."""
MANIFEST_COMMANDS = frozenset({SLASH_COMMAND})
"""The slash commands ``manifest.yml`` must declare."""

__all__ = [
    *_block_ids,
    "MANIFEST_CALLBACK_IDS",
    "MANIFEST_COMMANDS",
    "SHORTCUT_REQUEST_REVIEW",
    "SLASH_COMMAND",
]
