"""The connect modal and the connect/disconnect messages with plain values."""

from __future__ import annotations

import re

from blocks.limits import (
    assert_message_within_limits,
    assert_view_within_limits,
    iter_text_objects,
)

from bot.blocks.connect_modal import (
    build_connect_modal,
    build_connect_notice,
    build_connected_message,
    build_connected_notice,
    build_disconnect_prompt,
    connect_block_errors,
    name_problem,
    read_connect_values,
)
from bot.blocks.ids import (
    ACTION_CONNECT_CREDENTIAL,
    BLOCK_CONNECT_CREDENTIAL,
    BLOCK_CONNECT_NAME,
    BLOCK_CONNECT_PLATFORM,
)
from bot.providers.registry import platform_info, platform_infos
from bot.results import Connected, ConnectValues

HOSTILE = "<!channel> <https://evil.test|x> *bold* & `tick`"
LIVE = re.compile(r"<(?:!channel|!here|!everyone|https?://evil)")


def _texts(node: dict) -> str:
    return "\n".join(t["text"] for t in iter_text_objects(node))


def test_modal_and_notices_within_limits_and_never_echo_a_token() -> None:
    modal = build_connect_modal(
        platforms=platform_infos(),
        private_metadata="{}",
        existing=[HOSTILE * 3] * 25,
        problem="x" * 4000,
        platform="gumado",
        name="acme-main",
    )
    assert_view_within_limits(modal)
    assert not LIVE.search(_texts(modal))
    token_block = next(b for b in modal["blocks"] if b.get("block_id") == BLOCK_CONNECT_CREDENTIAL)
    assert "initial_value" not in token_block["element"]
    assert token_block["element"]["action_id"] == ACTION_CONNECT_CREDENTIAL
    assert_view_within_limits(build_connect_notice("y" * 5000, done=True))


def test_reading_the_form() -> None:
    values, errors = read_connect_values({}, platform_infos())
    assert set(errors) == {BLOCK_CONNECT_PLATFORM, BLOCK_CONNECT_CREDENTIAL, BLOCK_CONNECT_NAME}
    assert "token" not in repr(values) or values.token == ""
    for good in ("gumado", "Acme-Dental.main_2", "a" * 40):
        assert name_problem(good) is None
    for bad in ("", "2shops", "two words", "<!channel>", "a" * 41, "naïve"):
        assert name_problem(bad) is not None


def test_errors_by_field_land_on_their_input_blocks() -> None:
    # connect_form keys its inline errors by the fields of ConnectValues.
    fields = {"platform": "Choose.", "token": "Refused.", "name": "Taken."}
    assert set(fields) == set(ConnectValues.__dataclass_fields__)
    assert connect_block_errors(fields) == {
        BLOCK_CONNECT_PLATFORM: "Choose.",
        BLOCK_CONNECT_CREDENTIAL: "Refused.",
        BLOCK_CONNECT_NAME: "Taken.",
    }


def test_connected_and_disconnect_messages_escape_and_fit() -> None:
    result = Connected(
        name=HOSTILE,
        info=platform_info("gumado"),
        rotated=False,
        account=HOSTILE * 10,
        organizations=1,
        webhook_url="https://reviews.example.test/webhooks/gumado/KEY",
        poll_interval_seconds=300,
        missing=[("request:create", "review invites will not work.")],
        unverified=["reviews:read"],
    )
    message = build_connected_message(result)
    assert_message_within_limits(message)
    shown = _texts(message)
    assert not LIVE.search(shown)
    assert "1 organization found" in shown
    assert "lacks `request:create`" in shown and "Could not check `reviews:read`" in shown
    assert "every 5 minutes" in shown
    assert_view_within_limits(build_connected_notice(result))
    prompt = build_disconnect_prompt(
        connection_id=3,
        name=HOSTILE,
        platform="cloutly",
        platforms=platform_infos(),
        own_subscriptions=2,
        has_webhook=False,
    )
    assert_message_within_limits(prompt)
    assert not LIVE.search(_texts(prompt))
    assert "webhook" not in _texts(prompt)
