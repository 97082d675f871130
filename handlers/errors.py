"""The single error handler: unexpected errors get one sentence for the user, detail in the log.

The sentence ends with a short reference, the request id every log line of the request
carries, so "it says reference 3f9c…" leads straight to the traceback.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.deps import Deps
from bot.log import current_request_id, get_logger, new_request_id

log = get_logger(__name__)

SORRY = (
    "Sorry, something went wrong on our side and nothing was changed. "
    "Try again in a minute; if it keeps happening, tell your Slack admin."
)


def sorry(reference: str) -> str:
    """The user's sentence with the reference that finds its log line."""
    return f"{SORRY} (Reference: `{reference}`)"


def _reference() -> str:
    # Bound by the request middleware; a fresh one (logged below) if work ran outside one.
    return current_request_id() or new_request_id()


def sorry_for_request() -> str:
    """The sentence with this request's id: for replies to a failure logged under that id."""
    return sorry(_reference())


def register(app: AsyncApp) -> None:
    """Install the app-wide error handler."""

    @app.error
    async def on_error(
        error: Exception, body: dict[str, Any], respond: AsyncRespond | None
    ) -> None:
        reference = _reference()
        log.error(
            "slack_listener_failed",
            reference=reference,
            error_type=type(error).__name__,
            request_type=body.get("type") or ("slash_command" if "command" in body else None),
            exc_info=error,
        )
        if respond is not None and _has_response_url(body):
            try:
                await respond(
                    text=sorry(reference), response_type="ephemeral", replace_original=False
                )
            except Exception:  # the user message is best effort; the log has the error
                log.warning("slack_error_reply_failed")


def _has_response_url(body: dict[str, Any]) -> bool:
    return bool(body.get("response_url") or body.get("response_urls"))


def spawn_reported(
    deps: Deps,
    work: Coroutine[Any, Any, Any],
    *,
    respond: AsyncRespond | None,
    name: str,
) -> None:
    """Run a listener's after-ack work in the background; a failure gets SORRY and a log line.

    The same report as :func:`on_error`, for work that runs after the listener returned.
    """

    async def reported() -> None:
        try:
            await work
        except Exception as exc:  # the one place after-ack failures are reported
            reference = _reference()
            log.error(
                "slack_background_failed",
                reference=reference,
                task=name,
                error_type=type(exc).__name__,
                exc_info=exc,
            )
            if respond is not None and respond.response_url:
                try:
                    await respond(
                        text=sorry(reference), response_type="ephemeral", replace_original=False
                    )
                except Exception:  # best effort, as in on_error
                    log.warning("slack_error_reply_failed")

    deps.spawn(reported(), name=name)
