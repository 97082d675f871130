"""The app's exception tree: one root per boundary, each with a message a user can act on."""

from __future__ import annotations

from collections.abc import Mapping


class ReviewBotError(Exception):
    """Root of every error this app raises on purpose."""


class UserError(ReviewBotError):
    """Something the person in Slack can fix; ``user_message()`` is the mrkdwn sentence saying what.

    Services raise it (or a subclass carrying more detail, such as ``FilterSyntaxError``);
    handlers show the sentence as it is.
    """

    def user_message(self) -> str:
        """The sentence to show (the exception's message unless a subclass words it)."""
        return str(self.args[0]) if self.args else ""


class SlackRefused(ReviewBotError):
    """A Slack Web API read answered ``ok: false``; ``error`` is Slack's code (``missing_scope``…).

    Raised by the reader services use (``bot/slack_reads.py``), so ``bot/services`` never
    names slack_sdk's exceptions.
    """

    def __init__(self, error: str) -> None:
        super().__init__(f"Slack said {error}")
        self.error = error


class ConfigError(ReviewBotError):
    """A setting is missing or malformed; the message names the variable and what is expected."""


class StartupError(ReviewBotError):
    """The service cannot start (database unreachable, migrations failed, …)."""


class ProviderError(ReviewBotError):
    """Root of every error from a review platform (Gumado, Cloutly).

    Messages never contain the token; ``platform`` names the platform and ``status`` the
    HTTP status when there was one.
    """

    def __init__(self, message: str, *, platform: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.platform = platform
        self.status = status


class AuthError(ProviderError):
    """The token is missing, invalid or revoked (HTTP 401)."""


class ScopeError(ProviderError):
    """The token is valid but lacks a permission scope (HTTP 403)."""

    def __init__(
        self, message: str, *, platform: str, scope: str | None, status: int | None = 403
    ) -> None:
        super().__init__(message, platform=platform, status=status)
        self.scope = scope


class NotFound(ProviderError):
    """The resource does not exist (HTTP 404)."""


class Invalid(ProviderError):
    """The platform rejected the request body (Gumado 422, Cloutly 400).

    ``field_errors`` maps each of *our* field names to the platform's messages for it.
    """

    def __init__(
        self,
        message: str,
        *,
        platform: str,
        field_errors: Mapping[str, list[str]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, platform=platform, status=status)
        self.field_errors: dict[str, list[str]] = {
            k: list(v) for k, v in (field_errors or {}).items()
        }


class RateLimited(ProviderError):
    """The platform answered 429 and we ran out of retries; retry after ``retry_after`` s."""

    def __init__(
        self, message: str, *, platform: str, retry_after: float, status: int | None = 429
    ) -> None:
        super().__init__(message, platform=platform, status=status)
        self.retry_after = retry_after


class Unavailable(ProviderError):
    """Timeouts, connection failures and 5xx answers that persisted through our retries."""
