"""Global shortcuts: *Request a review* (the invite modal, handlers.invites)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.ids import SHORTCUT_REQUEST_REVIEW
from handlers.invites import request_review_shortcut

__all__ = ["register"]


def register(app: AsyncApp) -> None:
    """Attach the shortcut listeners."""
    app.shortcut(SHORTCUT_REQUEST_REVIEW)(request_review_shortcut)
