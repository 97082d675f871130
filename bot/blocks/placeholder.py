"""The modal *Request a review…* and the global shortcut open until review invites arrive."""

from __future__ import annotations

from typing import Any

from bot.blocks.ids import CALLBACK_INVITE_PLACEHOLDER

__all__ = ["build_invite_placeholder_modal"]


def build_invite_placeholder_modal() -> dict[str, Any]:
    """A read-only modal saying that review invites arrive with the next release."""
    text = (
        "*Review invites arrive with the next release.*\n"
        "Then this button, the *Request a review* shortcut and `/reviews invite` will open a "
        "form to ask a customer for a review by email or text message through Gumado or "
        "Cloutly. Until then, send invites from your Gumado or Cloutly dashboard."
    )
    return {
        "type": "modal",
        "callback_id": CALLBACK_INVITE_PLACEHOLDER,
        "title": {"type": "plain_text", "text": "Request a review"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }
