"""``manifest.yml`` and the code agree: ids, command, scopes, events, and Slack's limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import handlers.ids as ids

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
EVENTS_URL = "https://YOUR-HOST/slack/events"
# Every bot scope a Web API call of the app needs (SLACK_FACTS §8, §11).
SCOPES_USED = {
    "commands",  # /reviews and the shortcut
    "chat:write",  # cards, notes, chat.update
    "chat:write.public",  # cards in public channels the bot could not join
    "channels:history",  # reconcile a card by its metadata before posting again
    "groups:history",  # the same in private channels
    "channels:join",  # join a public channel on subscribe
    "channels:read",  # conversations.info on subscribe
    "groups:read",
    "users:read",  # admin flags, time zones, @handles
    "usergroups:read",  # @group handles
    "im:write",  # private notes when there is no response_url
    "files:write",  # digest charts
    "team:read",  # workspace time zone and name
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _keyed(node: Any, key: str) -> Iterator[str]:
    """Every value of ``key`` anywhere in the manifest."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key and isinstance(value, str):
                yield value
            else:
                yield from _keyed(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from _keyed(item, key)


def _id_values() -> set[str]:
    return {value for name in ids.__all__ if isinstance(value := getattr(ids, name), str)}


def test_every_id_the_manifest_names_is_in_handlers_ids(manifest: dict[str, Any]) -> None:
    named = set(_keyed(manifest, "callback_id")) | set(_keyed(manifest, "action_id"))
    assert named, "the manifest names no callback ids"
    assert named <= _id_values()
    shortcut_ids = {s["callback_id"] for s in manifest["features"]["shortcuts"]}
    assert shortcut_ids == ids.MANIFEST_CALLBACK_IDS
    assert ids.SHORTCUT_REQUEST_REVIEW in shortcut_ids


def test_slash_command(manifest: dict[str, Any]) -> None:
    [command] = manifest["features"]["slash_commands"]
    assert {command["command"]} == ids.MANIFEST_COMMANDS == {ids.SLASH_COMMAND}
    assert command["should_escape"] is True
    assert command["url"] == EVENTS_URL
    assert command["usage_hint"]
    assert len(command["command"]) <= 32
    assert len(command["description"]) <= 2000
    assert len(command["usage_hint"]) <= 1000


def test_limits(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert 1 <= len(info["name"]) <= 35
    assert 1 <= len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    bot = manifest["features"]["bot_user"]
    assert 1 <= len(bot["display_name"]) <= 80
    assert set(bot["display_name"]) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
    shortcuts = manifest["features"]["shortcuts"]
    assert len(shortcuts) <= 10
    for shortcut in shortcuts:
        assert 1 <= len(shortcut["name"]) <= 24
        assert len(shortcut["callback_id"]) <= 255
        assert 1 <= len(shortcut["description"]) <= 150
        assert shortcut["type"] in ("global", "message")
    assert len(manifest["oauth_config"]["scopes"]["bot"]) <= 255
    assert len(manifest["settings"]["event_subscriptions"]["bot_events"]) <= 100


def test_scopes_events_and_urls(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes))
    assert set(scopes) == SCOPES_USED
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert settings["event_subscriptions"]["request_url"] == EVENTS_URL
    interactivity = settings["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"] == EVENTS_URL
    assert interactivity["message_menu_options_url"] == EVENTS_URL
    assert settings["token_rotation_enabled"] is False
    assert settings["socket_mode_enabled"] is False
    assert manifest["oauth_config"]["redirect_urls"] == ["https://YOUR-HOST/slack/oauth_redirect"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_ids_are_unique_and_within_limits() -> None:
    values = [getattr(ids, name) for name in ids.__all__ if isinstance(getattr(ids, name), str)]
    assert len(values) == len(set(values)), "two constants share an id"
    assert all(1 <= len(value) <= 255 for value in values)
