"""The single error handler: unexpected errors get one sentence for the user, detail in the log."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.log import get_logger

log = get_logger(__name__)

SORRY = (
    "Sorry, something went wrong on our side and nothing was changed. "
    "Try again in a minute; if it keeps happening, tell your Slack admin."
)


def register(app: AsyncApp) -> None:
    """Install the app-wide error handler."""

    @app.error
    async def on_error(
        error: Exception, body: dict[str, Any], respond: AsyncRespond | None
    ) -> None:
        log.error(
            "slack_listener_failed",
            error_type=type(error).__name__,
            request_type=body.get("type") or ("slash_command" if "command" in body else None),
            exc_info=error,
        )
        if respond is not None and _has_response_url(body):
            try:
                await respond(text=SORRY, response_type="ephemeral", replace_original=False)
            except Exception:  # the user message is best effort; the log has the error
                log.warning("slack_error_reply_failed")


def _has_response_url(body: dict[str, Any]) -> bool:
    return bool(body.get("response_url") or body.get("response_urls"))
