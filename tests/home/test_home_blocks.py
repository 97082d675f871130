"""The Home tab builder with plain values: Slack's limits, escaping, admin-only parts."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from blocks.limits import assert_view_within_limits, iter_text_objects

from bot.blocks.home import build_channel_picker, build_home, build_home_notice
from bot.blocks.ids import (
    ACTION_HOME_CONNECT,
    ACTION_HOME_DIGEST,
    ACTION_HOME_INVITE,
    ACTION_HOME_SUBSCRIBE,
    BLOCK_HOME_ACTIONS,
)
from bot.results import HomeCard, HomeConnection, HomeInvite, HomeReport, HomeSubscription
from bot.text import escape_mrkdwn

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOSTILE = "<!channel> <https://evil.test|x> *bold* & `tick`"
LIVE = re.compile(r"<(?:!channel|!here|!everyone|https?://evil)")


def _report(*, admin: bool, connections: int, subscriptions: int) -> HomeReport:
    return HomeReport(
        viewer_is_admin=admin,
        connections=[
            HomeConnection(
                name=f"{HOSTILE} {n}" * 3,
                platform="gumado" if n % 2 else "cloutly",
                platform_label="Gumado" if n % 2 else "Cloutly",
                healthy=n % 3 != 0,
                last_webhook_at=NOW,
                last_poll_at=None,
                last_error=HOSTILE * 30,
                last_error_at=NOW,
                subscriptions=n,
                webhook_url=f"https://h/webhooks/gumado/KEY{n}" if admin and n % 2 else None,
                missing_scopes=["request:create"] if n % 4 == 0 else [],
            )
            for n in range(connections)
        ],
        subscriptions=[
            HomeSubscription(
                id=n,
                channel_id=f"C{n:08d}",
                description=escape_mrkdwn(HOSTILE * 10),
                digest_enabled=n % 5 != 0,
                digest_day=n % 7,
                digest_hour=n % 24,
                digest_timezone="America/Argentina/ComodRivadavia",
            )
            for n in range(subscriptions)
        ],
        subscriptions_total=subscriptions,
        cards=[HomeCard("C1", 1 + n % 5, HOSTILE, HOSTILE, NOW) for n in range(8)],
        invites=[HomeInvite(NOW, "sent", "Gumado", HOSTILE) for _ in range(8)],
        poll_interval_seconds=300,
    )


def _texts(view: dict) -> str:
    return "\n".join(t["text"] for t in iter_text_objects(view))


def test_thirty_subscriptions_and_many_connections_fit_slack_limits() -> None:
    for subscriptions in (0, 1, 30, 100):
        for connections in (0, 2, 30):
            view = build_home(
                _report(admin=True, connections=connections, subscriptions=subscriptions)
            )
            assert_view_within_limits(view)
            assert len(view["blocks"]) <= 100
            assert not LIVE.search(_texts(view))
    view = build_home(_report(admin=True, connections=2, subscriptions=30))
    shown = _texts(view)
    assert shown.count("• <#C") == 30
    assert shown.count("in <#C1>") == 5  # the last five cards of the eight
    assert "…and 15 more connections" in _texts(
        build_home(_report(admin=True, connections=30, subscriptions=0))
    )
    assert "…and 40 more" in _texts(
        build_home(_report(admin=True, connections=0, subscriptions=100))
    )


def test_admin_only_buttons() -> None:
    def buttons(view: dict) -> list[str]:
        block = next(b for b in view["blocks"] if b.get("block_id") == BLOCK_HOME_ACTIONS)
        return [e["action_id"] for e in block["elements"]]

    admin = build_home(_report(admin=True, connections=1, subscriptions=1))
    assert buttons(admin) == [
        ACTION_HOME_INVITE,
        ACTION_HOME_CONNECT,
        ACTION_HOME_SUBSCRIBE,
        ACTION_HOME_DIGEST,
    ]
    other = build_home(_report(admin=False, connections=2, subscriptions=1))
    assert buttons(other) == [ACTION_HOME_INVITE]
    assert "Webhook URL" not in _texts(other)


def test_picker_and_notice_within_limits() -> None:
    for purpose in ("subscribe", "digest"):
        assert_view_within_limits(build_channel_picker(purpose=purpose))
    assert_view_within_limits(build_home_notice("x" * 5000, title="A very long title indeed!"))


def test_the_home_tab_names_the_new_words_and_the_test_command() -> None:
    shown = _texts(build_home(_report(admin=False, connections=0, subscriptions=0)))
    for word in ('text:"parking"', "language:es", "respond:24h", "rollup:>=4 every:1h"):
        assert word in shown
    for word in ("style:compact", "backfill:7d", "/reviews test"):
        assert word in shown
