"""Settings: every variable validated, one clear line per mistake, secrets never echoed."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.config import load_settings
from bot.errors import ConfigError

BASE = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s3cr3t-signing"}


def test_defaults_with_only_the_slack_pair() -> None:
    s = load_settings(BASE)
    assert s.port == 3000
    assert s.host == "0.0.0.0"
    assert s.database_url == "sqlite+aiosqlite:///./reviewbot.db"
    assert s.database_kind == "sqlite"
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.gumado_api_url == "https://gumado.com/api/v1"
    assert s.cloutly_api_url == "https://app.cloutly.com/api/v1"
    assert s.poll_interval_seconds == 60
    assert s.digest_grace_hours == 24
    assert s.default_phone_region == "US"
    assert s.log_level == "INFO"
    assert s.admin_user_ids == []
    assert s.mode == "http, single-workspace"
    s.require_slack()


def test_every_variable_is_read() -> None:
    key = Fernet.generate_key().decode()
    s = load_settings(
        {
            **BASE,
            "SLACK_APP_TOKEN": "xapp-1-A-1-x",
            "SLACK_CLIENT_ID": "123.456",
            "SLACK_CLIENT_SECRET": "client-secret",
            "SLACK_API_URL": "http://127.0.0.1:9999/api",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
            "ENCRYPTION_KEY": key,
            "PUBLIC_URL": "https://reviews.example.com/",
            "HOST": "127.0.0.1",
            "PORT": "8080",
            "GUMADO_API_URL": "http://127.0.0.1:8101/api/v1/",
            "GUMADO_API_TOKEN": "gumado-token",
            "GUMADO_WEBHOOK_KEY": "A" * 32,
            "CLOUTLY_API_URL": "http://127.0.0.1:8102/api/v1",
            "CLOUTLY_API_KEY": "cloutly-key",
            "POLL_INTERVAL_SECONDS": "30",
            "ADMIN_USER_IDS": "U012ABCDEF, U034GHIJKL",
            "INVITE_ALLOWED_USER_IDS": "U012ABCDEF,S0123GROUP",
            "DEFAULT_PHONE_REGION": "gb",
            "DIGEST_GRACE_HOURS": "12",
            "LOG_LEVEL": "debug",
        }
    )
    assert s.slack_api_url == "http://127.0.0.1:9999/api/"
    assert s.database_url == "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    assert s.public_url == "https://reviews.example.com"
    assert s.port == 8080
    assert s.gumado_api_url == "http://127.0.0.1:8101/api/v1"
    assert s.admin_user_ids == ["U012ABCDEF", "U034GHIJKL"]
    assert s.invite_allowed_user_ids == ["U012ABCDEF", "S0123GROUP"]
    assert s.default_phone_region == "GB"
    assert s.log_level == "DEBUG"
    assert s.mode == "socket-mode, oauth multi-workspace"
    assert s.encryption_key is not None and s.encryption_key.get_secret_value() == key


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"PORT": "abc"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN"),
        ({"DATABASE_URL": "mysql://root:hunter2@db/x"}, "DATABASE_URL"),
        ({"ENCRYPTION_KEY": "not-a-key"}, "ENCRYPTION_KEY"),
        ({"GUMADO_WEBHOOK_KEY": "k3y!"}, "GUMADO_WEBHOOK_KEY"),
        ({"GUMADO_API_URL": "gumado.com"}, "GUMADO_API_URL"),
        ({"ADMIN_USER_IDS": "U012ABCDEF,alice"}, "ADMIN_USER_IDS"),
        ({"DEFAULT_PHONE_REGION": "USA"}, "DEFAULT_PHONE_REGION"),
        ({"POLL_INTERVAL_SECONDS": "1"}, "POLL_INTERVAL_SECONDS"),
        ({"DIGEST_GRACE_HOURS": "-1"}, "DIGEST_GRACE_HOURS"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"SLACK_CLIENT_ID": "123.456"}, "SLACK_CLIENT_SECRET"),
    ],
)
def test_malformed_value_is_one_line_naming_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({**BASE, **env})
    message = str(info.value)
    assert names in message
    assert "\n" not in message
    assert "hunter2" not in message
    secret_names = {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "ENCRYPTION_KEY", "GUMADO_WEBHOOK_KEY"}
    for name, value in env.items():
        if name in secret_names:
            assert value not in message


def test_missing_slack_credentials_named() -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is required"):
        load_settings({}).require_slack()
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is required"):
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}).require_slack()
    # Socket Mode needs no signing secret; OAuth needs no bot token.
    load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).require_slack()
    load_settings(
        {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x", "SLACK_SIGNING_SECRET": "y"}
    ).require_slack()


def test_blank_values_count_as_unset_and_secrets_are_hidden() -> None:
    s = load_settings({**BASE, "GUMADO_API_TOKEN": "  ", "DATABASE_URL": ""})
    assert s.gumado_api_token is None
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert "s3cr3t-signing" not in repr(s)
    assert "xoxb-1-2-abc" not in repr(s)


def test_encryption_key_error_says_how_to_make_one() -> None:
    with pytest.raises(ConfigError, match=r"Fernet\.generate_key"):
        load_settings({**BASE, "ENCRYPTION_KEY": "abc"})


def test_only_the_given_mapping_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # What the shell running the tests (or the demo) happens to export reaches nothing.
    monkeypatch.setenv("PORT", "1234")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-shell")
    monkeypatch.setenv("ADMIN_USER_IDS", "U0SHELL01")
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shell")
    empty = load_settings({})
    assert empty.port == 3000 and empty.slack_bot_token is None
    assert empty.admin_user_ids == []
    assert empty.database_url == "sqlite+aiosqlite:///./reviewbot.db"
    given = load_settings({**BASE, "HOST": "127.0.0.1"})
    assert given.port == 3000 and given.host == "127.0.0.1"
    assert given.slack_bot_token is not None
    assert given.slack_bot_token.get_secret_value() == BASE["SLACK_BOT_TOKEN"]
    # No mapping at all means the process environment, as ``reviewbot`` reads it.
    process = load_settings()
    assert process.port == 1234 and process.admin_user_ids == ["U0SHELL01"]
    assert process.database_url == "postgresql+asyncpg://postgres@127.0.0.1:5432/shell"
