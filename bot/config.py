"""Settings: every environment variable of PRODUCT.md § Interfaces, validated once at start.

This is the only module that reads the environment. A missing or malformed value becomes one
:class:`ConfigError` line that names the variable and says what is expected — never a traceback
and never the secret itself.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.crypto import split_keys
from bot.errors import ConfigError
from storage.engine import database_kind, normalize_database_url
from storage.errors import DatabaseURLError

DEFAULT_DATABASE_URL = "sqlite:///./reviewbot.db"
_SLACK_ID = re.compile(r"^[UWS][A-Z0-9]{2,}$")
_WEBHOOK_KEY = re.compile(r"^[A-Za-z0-9_-]{22,64}$")

CommaList = Annotated[list[str], NoDecode]

# What each variable must look like, in the words of the one-line error.
EXPECTED: dict[str, str] = {
    "SLACK_BOT_TOKEN": "a bot token starting with xoxb- (api.slack.com/apps → your app → "
    "OAuth & Permissions → Bot User OAuth Token)",
    "SLACK_SIGNING_SECRET": "the app's signing secret (api.slack.com/apps → your app → "
    "Basic Information → App Credentials)",
    "SLACK_APP_TOKEN": "an app-level token starting with xapp- (for Socket Mode)",
    "SLACK_CLIENT_ID": "the app's client id, e.g. 1234567890.1234567890",
    "SLACK_CLIENT_SECRET": "the app's client secret",
    "SLACK_API_URL": "an http(s) URL of the Slack Web API, default https://slack.com/api/",
    "DATABASE_URL": "sqlite:///path/to/file.db or postgresql://user@host:5432/db",
    "ENCRYPTION_KEY": "a Fernet key (32 url-safe base64 bytes), or several newest first "
    "separated by commas while rotating; make one with "
    '`python3 -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`',
    "PUBLIC_URL": "the https URL Slack and Gumado reach this server at, e.g. https://reviews.example.com",
    "HOST": "an interface to listen on, e.g. 0.0.0.0 or 127.0.0.1",
    "PORT": "an integer port between 1 and 65535",
    "GUMADO_API_URL": "an http(s) URL, default https://gumado.com/api/v1",
    "GUMADO_API_TOKEN": "a Gumado API token (Settings → API & Webhooks)",
    "GUMADO_WEBHOOK_KEY": "22–64 characters of A-Z a-z 0-9 _ - (at least 128 random bits); "
    'make one with `python3 -c "import secrets; print(secrets.token_urlsafe(24))"`',
    "CLOUTLY_API_URL": "an http(s) URL, default https://app.cloutly.com/api/v1",
    "CLOUTLY_API_KEY": "a Cloutly API key (Developers → Public API)",
    "POLL_INTERVAL_SECONDS": "an integer number of seconds between 10 and 86400",
    "ADMIN_USER_IDS": "comma-separated Slack user ids, e.g. U012ABCDEF,U034GHIJKL",
    "INVITE_ALLOWED_USER_IDS": "comma-separated Slack user or user-group ids (U…, S…)",
    "DEFAULT_PHONE_REGION": "a two-letter country code such as US or GB",
    "DIGEST_GRACE_HOURS": "an integer number of hours between 0 and 168",
    "LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR",
}


# Variables slack_bolt reads from os.environ by itself when an argument is missing or empty
# (SLACK_FACTS §1, §8): AsyncApp takes SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN and
# SLACK_VERIFICATION_TOKEN, and turns OAuth on when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are
# set; AsyncOAuthSettings takes scopes, redirect URI and paths; the Socket Mode handler the token.
BOLT_ENV_FALLBACKS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_VERIFICATION_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_SCOPES",
    "SLACK_USER_SCOPES",
    "SLACK_REDIRECT_URI",
    "SLACK_INSTALL_PATH",
    "SLACK_REDIRECT_URI_PATH",
)


@contextmanager
def hidden_from_bolt() -> Iterator[None]:
    """Hide Bolt's fallback variables while Bolt objects are built, so only Settings decide.

    Bolt has no switch for these fallbacks; hiding them is what its own tests do
    (``remove_os_env_temporarily``). Building is synchronous, so no other task sees the gap.
    """
    saved = {name: os.environ.pop(name) for name in BOLT_ENV_FALLBACKS if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _http_url(value: str) -> str:
    value = value.strip()
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError("not an http(s) URL")
    return value


class Settings(BaseSettings):
    """Validated configuration. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values :func:`load_settings` passes in: no os.environ, .env or secrets dir.

        pydantic-settings would otherwise fill every field the mapping leaves out from the
        process environment (``PORT=1234`` set in the shell would reach ``load_settings({})``).
        """
        return (init_settings,)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = DEFAULT_DATABASE_URL
    encryption_key: SecretStr | None = None
    public_url: str | None = None
    host: str = "0.0.0.0"  # noqa: S104 - a server listens on every interface by default
    port: int = Field(default=3000, ge=1, le=65535)
    gumado_api_url: str = "https://gumado.com/api/v1"
    gumado_api_token: SecretStr | None = None
    gumado_webhook_key: SecretStr | None = None
    cloutly_api_url: str = "https://app.cloutly.com/api/v1"
    cloutly_api_key: SecretStr | None = None
    poll_interval_seconds: int = Field(default=60, ge=10, le=86400)
    admin_user_ids: CommaList = Field(default_factory=list)
    invite_allowed_user_ids: CommaList = Field(default_factory=list)
    default_phone_region: str = "US"
    digest_grace_hours: int = Field(default=24, ge=0, le=168)
    # How long a replica's claim on a card outlives its last renewal (renewed every third of it).
    delivery_lease_seconds: int = Field(default=60, ge=15, le=3600)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "slack_client_id",
        "slack_client_secret",
        "encryption_key",
        "public_url",
        "gumado_api_token",
        "gumado_webhook_key",
        "cloutly_api_key",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("not a bot token")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("not an app-level token")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url(cls, value: str) -> str:
        value = _http_url(value)
        return value if value.endswith("/") else value + "/"

    @field_validator("gumado_api_url", "cloutly_api_url")
    @classmethod
    def _platform_url(cls, value: str) -> str:
        return _http_url(value).rstrip("/")

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value).rstrip("/")

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return DEFAULT_DATABASE_URL
        return value

    @field_validator("database_url")
    @classmethod
    def _normalize_database_url(cls, value: str) -> str:
        try:
            return normalize_database_url(value)
        except DatabaseURLError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("encryption_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        keys = split_keys(value.get_secret_value())
        if not keys:
            raise ValueError("empty")
        for number, key in enumerate(keys, start=1):
            which = f"key {number} " if len(keys) > 1 else ""
            try:
                raw = base64.urlsafe_b64decode(key.encode())
            except (binascii.Error, ValueError):
                raise ValueError(f"{which}not url-safe base64") from None
            if len(raw) != 32:
                raise ValueError(f"{which}not 32 bytes")
        return value

    @field_validator("gumado_webhook_key")
    @classmethod
    def _webhook_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_KEY.match(value.get_secret_value()):
            raise ValueError("too short or has characters a URL path would mangle")
        return value

    @field_validator("admin_user_ids", "invite_allowed_user_ids", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("admin_user_ids", "invite_allowed_user_ids")
    @classmethod
    def _slack_ids(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _SLACK_ID.match(item):
                raise ValueError(f"{item!r} is not a Slack id")
        return value

    @field_validator("default_phone_region")
    @classmethod
    def _region(cls, value: str) -> str:
        value = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError("not a two-letter country code")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _client_pair(self) -> Settings:
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            missing = "SLACK_CLIENT_SECRET" if self.slack_client_id else "SLACK_CLIENT_ID"
            raise ValueError(
                f"@{missing}: OAuth needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"
            )
        return self

    # ----------------------------------------------------------------- derived views

    @property
    def oauth_enabled(self) -> bool:
        """Many workspaces through Slack OAuth v2."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def database_kind(self) -> str:
        return database_kind(self.database_url)

    @property
    def mode(self) -> str:
        """One phrase for the start-up line, e.g. ``http, single-workspace``."""
        transport = "socket-mode" if self.socket_mode else "http"
        tenancy = "oauth multi-workspace" if self.oauth_enabled else "single-workspace"
        return f"{transport}, {tenancy}"

    def require_slack(self) -> None:
        """Check the variables ``serve`` needs to talk to Slack; one ConfigError names them all."""
        missing = _missing_slack(
            bot_token=self.slack_bot_token is not None,
            oauth=self.oauth_enabled,
            signing_secret=self.slack_signing_secret is not None,
            socket_mode=self.socket_mode,
        )
        if missing:
            raise ConfigError(_problems(missing) + SANDBOX_HINT)


SANDBOX_HINT = "\nNo Slack app yet? `reviewbot sandbox` prints a working set to try it with."


def _missing_slack(
    *, bot_token: bool, oauth: bool, signing_secret: bool, socket_mode: bool
) -> list[str]:
    """A line for each Slack variable ``serve`` needs and does not have."""
    missing: list[str] = []
    if not oauth and not bot_token:
        missing.append(
            f"SLACK_BOT_TOKEN is required: {EXPECTED['SLACK_BOT_TOKEN']}; or set "
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth"
        )
    if not socket_mode and not signing_secret:
        missing.append(f"SLACK_SIGNING_SECRET is required: {EXPECTED['SLACK_SIGNING_SECRET']}")
    return missing


def _describe(error: Mapping[str, Any]) -> str:
    """One line for one pydantic error: the variable, what is expected, and what went wrong."""
    loc = error.get("loc") or ()
    message = str(error.get("msg", "invalid value"))
    field = str(loc[0]) if loc else ""
    if not field and "@" in message:
        # Model-level errors name their variable as "@NAME: message".
        _, _, rest = message.partition("@")
        field, _, message = rest.partition(": ")
        return f"{field}: {message}"
    name = field.upper()
    expected = EXPECTED.get(name, "a valid value")
    reason = message.removeprefix("Value error, ")
    return f"{name} is invalid ({reason}); expected {expected}"


def _problems(lines: list[str]) -> str:
    """One problem as one line; several as a count and one indented line each."""
    if len(lines) == 1:
        return lines[0]
    return f"{len(lines)} problems:\n" + "\n".join(f"  - {line}" for line in lines)


def load_settings(
    environ: Mapping[str, str] | None = None, *, require_slack: bool = False
) -> Settings:
    """Read and validate the settings from exactly ``environ`` (None: the process environment).

    One ConfigError lists every invalid variable; with ``require_slack`` (``serve``) also every
    missing Slack variable, so one run tells a newcomer all there is to fix.
    """
    source = os.environ if environ is None else environ
    fields = set(Settings.model_fields)
    data = {key.lower(): value for key, value in source.items() if key.lower() in fields}
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = list(dict.fromkeys(_describe(error) for error in exc.errors()))
        missing: list[str] = []
        if require_slack:
            given = {name for name, value in data.items() if value.strip()}
            missing = _missing_slack(
                bot_token="slack_bot_token" in given,
                oauth={"slack_client_id", "slack_client_secret"} <= given,
                signing_secret="slack_signing_secret" in given,
                socket_mode="slack_app_token" in given,
            )
            problems += missing
        raise ConfigError(_problems(problems) + (SANDBOX_HINT if missing else "")) from None
    if require_slack:
        settings.require_slack()
    return settings
