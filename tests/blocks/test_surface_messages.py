"""Help, status and subscription list builders against Slack's limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.blocks.help import build_help, build_unknown_subcommand
from bot.blocks.ids import ACTION_REMOVE_SUBSCRIPTION
from bot.blocks.status import build_status
from bot.blocks.subscriptions import (
    build_notes,
    build_subscribed,
    build_subscription_list,
    build_unsubscribed,
    remove_action_id,
    subscription_id_of_action,
)
from bot.providers.registry import platform_info
from bot.results import ConnectionStatus, FailedDelivery, StatusReport, SubscriptionLine
from handlers.subcommands import help_lines

from .limits import assert_message_within_limits, iter_text_objects

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LIVE_ENTITY = re.compile(r"<(?:!channel|!here|!everyone|https?:)")
HOSTILE = "<!channel> <https://evil.test|x> *bold* & `tick`"


def _texts(message: dict) -> str:
    return "\n".join(t["text"] for t in iter_text_objects(message))


@pytest.mark.parametrize("seconds", [60, 90, 3600])
def test_help(seconds: int) -> None:
    commands = help_lines()
    message = build_help(commands, poll_interval_seconds=seconds)
    assert_message_within_limits(message)
    shown = _texts(message)
    assert [name for name, _, _ in commands] == [
        "help",
        "list",
        "invite",
        "subscribe",
        "unsubscribe",
        "subscriptions",
        "test",
        "digest",
        "connect",
        "disconnect",
        "status",
    ]
    for _, _, example in commands:
        assert f"`{example}`" in shown
    expected = {60: "every minute", 90: "every 90 seconds", 3600: "every 60 minutes"}[seconds]
    assert f"Cloutly accounts are polled {expected}" in shown
    assert "no webhooks" in shown
    for word in ('text:"parking"', "language:es", "respond:24h", "rollup:>=4 every:1h"):
        assert word in shown
    for word in ("style:compact", "backfill:7d", "unanswered", "/reviews test"):
        assert word in shown


def test_router_answers() -> None:
    unknown = build_unknown_subcommand(HOSTILE + "x" * 100, None)
    assert_message_within_limits(unknown)
    assert not LIVE_ENTITY.search(unknown["text"])
    assert "`/reviews help`" in unknown["text"]


def _connection(**overrides: object) -> ConnectionStatus:
    values: dict[str, object] = {
        "name": "gumado",
        "platform": "gumado",
        "platform_label": "Gumado",
        "healthy": True,
        "last_webhook_at": NOW,
        "last_poll_at": None,
        "last_error": None,
        "last_error_at": None,
        "webhook_url": "https://h/webhooks/gumado/KEY",
        "has_webhook": True,
        "webhook_hint": platform_info("gumado").webhook_hint,
    }
    values.update(overrides)
    return ConnectionStatus(**values)  # type: ignore[arg-type]


def test_status_within_limits_with_many_connections_and_long_errors() -> None:
    report = StatusReport(
        channel_id="C1",
        connections=[
            _connection(name=f"{HOSTILE} {i}", healthy=i % 2 == 0, last_error=HOSTILE * 40)
            for i in range(30)
        ],
        channel_subscriptions=3,
        workspace_subscriptions=9,
        failed=[FailedDelivery(f"C{i}", HOSTILE * 50, NOW) for i in range(15)],
        poll_interval_seconds=60,
        viewer_is_admin=True,
    )
    message = build_status(report)
    assert_message_within_limits(message)
    assert not LIVE_ENTITY.search(_texts(message))
    assert _texts(message).count("• <#C") == 10
    more = re.search(r"…and (\d+) more connections", _texts(message))
    assert more is not None and int(more.group(1)) >= 10


def test_status_hides_the_webhook_url_from_non_admins() -> None:
    report = StatusReport(
        channel_id="C1",
        connections=[
            _connection(),
            _connection(name="c", platform="cloutly", platform_label="Cloutly", has_webhook=False),
        ],
        channel_subscriptions=0,
        workspace_subscriptions=0,
        failed=[],
        poll_interval_seconds=120,
        viewer_is_admin=False,
    )
    shown = _texts(build_status(report))
    assert "KEY" not in shown
    assert "shown to admins only" in shown
    assert "polled every 2 minutes" in shown
    assert "*Failed deliveries*: none." in shown


def test_subscription_list_buttons_and_budget() -> None:
    lines = [SubscriptionLine(i, f"All reviews of {HOSTILE}" * 5, "U1", NOW) for i in range(1, 80)]
    message = build_subscription_list("C1", lines, can_remove=True)
    assert_message_within_limits(message)
    buttons = [b["accessory"] for b in message["blocks"] if "accessory" in b]
    assert buttons and len(buttons) < len(lines)
    assert buttons[0]["action_id"] == remove_action_id(1) == f"{ACTION_REMOVE_SUBSCRIPTION}:1"
    assert subscription_id_of_action(buttons[0]["action_id"]) == 1
    assert subscription_id_of_action("something_else:1") is None
    assert "more:" in _texts(message)

    read_only = build_subscription_list("C1", lines[:2], can_remove=False)
    assert_message_within_limits(read_only)
    assert all("accessory" not in b for b in read_only["blocks"])
    assert_message_within_limits(build_subscription_list("C1", [], can_remove=True))


def test_confirmations_and_notes() -> None:
    assert_message_within_limits(
        build_subscribed(channel_id="C1", user_id="U1", subscription_id=3, description="x" * 5000)
    )
    assert_message_within_limits(
        build_unsubscribed(channel_id="C1", user_id="U1", removed=[(1, "a")])
    )
    many = build_unsubscribed(
        channel_id="C1", user_id="U1", removed=[(i, "a") for i in range(2000)]
    )
    assert_message_within_limits(many)
    assert_message_within_limits(build_notes(["a" * 4000, "b"]))
    assert_message_within_limits(build_notes([]))
