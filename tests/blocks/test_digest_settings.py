"""The digest settings modal and its confirmation: within Slack's limits, whatever the channel."""

from __future__ import annotations

import json

import pytest

from bot.blocks.digest_settings import (
    MAX_SHOWN,
    DigestSchedule,
    build_digest_settings_modal,
    build_digest_settings_notice,
    build_digest_settings_saved,
    describe_schedule,
)
from bot.blocks.ids import (
    BLOCK_DIGEST_DAY_PREFIX,
    BLOCK_DIGEST_MORE,
    BLOCK_DIGEST_SUBSCRIPTION_PREFIX,
    BLOCK_DIGEST_TIMEZONE_PREFIX,
    CALLBACK_DIGEST_SETTINGS,
)
from bot.digest.settings_form import read_digest_settings, search_timezones

from .limits import assert_message_within_limits, assert_view_within_limits


def _schedules(count: int, *, description: str = "All reviews") -> list[DigestSchedule]:
    return [
        DigestSchedule(n, description, n % 3 != 0, n % 7, n % 24, "America/Argentina/Buenos_Aires")
        for n in range(1, count + 1)
    ]


@pytest.mark.parametrize("count", [1, MAX_SHOWN, MAX_SHOWN + 1, 300])
def test_the_modal_fits_any_number_of_subscriptions(count: int) -> None:
    long = "Acme Dental Clinic › Downtown, " * 100
    view = build_digest_settings_modal(
        channel_id="C0REVIEWS",
        schedules=_schedules(count, description=long),
        private_metadata='{"channel_id":"C0REVIEWS"}',
    )
    assert_view_within_limits(view)
    assert view["callback_id"] == CALLBACK_DIGEST_SETTINGS
    shown = [b for b in view["blocks"] if b.get("block_id", "").startswith(BLOCK_DIGEST_DAY_PREFIX)]
    assert len(shown) == min(count, MAX_SHOWN)
    more = [b for b in view["blocks"] if b.get("block_id") == BLOCK_DIGEST_MORE]
    if count > MAX_SHOWN:
        [note] = more
        text = note["elements"][0]["text"]
        assert f"first {MAX_SHOWN} of {count}" in text and f"#{MAX_SHOWN + 1}" in text
    else:
        assert more == []


def test_each_subscription_has_its_own_ids_and_current_values() -> None:
    schedules = [
        DigestSchedule(7, "All reviews", True, 6, 0, "Pacific/Chatham"),
        DigestSchedule(9, "1–2★ reviews", False, 2, 23, "UTC"),
    ]
    view = build_digest_settings_modal(channel_id="C1", schedules=schedules, private_metadata="")
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[f"{BLOCK_DIGEST_SUBSCRIPTION_PREFIX}7"]["text"]["text"] == "*#7* All reviews"
    assert blocks[f"{BLOCK_DIGEST_DAY_PREFIX}7"]["element"]["initial_option"]["value"] == "6"
    assert blocks[f"{BLOCK_DIGEST_DAY_PREFIX}9"]["element"]["initial_option"]["value"] == "off"
    zone = blocks[f"{BLOCK_DIGEST_TIMEZONE_PREFIX}7"]["element"]
    assert zone["initial_option"] == {
        "text": {"type": "plain_text", "text": "Pacific/Chatham", "emoji": True},
        "value": "Pacific/Chatham",
    }


def test_schedules_in_words() -> None:
    assert describe_schedule(DigestSchedule(1, "x", True, 0, 9, "Europe/Berlin")) == (
        "Mondays at 09:00 (Europe/Berlin)"
    )
    assert describe_schedule(DigestSchedule(1, "x", True, 6, 23, "UTC")) == "Sundays at 23:00 (UTC)"
    assert describe_schedule(DigestSchedule(1, "x", False, 6, 23, "UTC")) == "off"


def test_the_confirmation_fits_a_full_form() -> None:
    long = "<#C1> " + "Acme Dental Clinic › Downtown " * 100
    message = build_digest_settings_saved(
        channel_id="C0REVIEWS",
        schedules=_schedules(MAX_SHOWN, description=long),
        skipped=list(range(1000, 1400)),
    )
    assert_message_within_limits(message)
    assert "Left alone" in json.dumps(message["blocks"], ensure_ascii=False)
    nothing = build_digest_settings_saved(channel_id="C0REVIEWS", schedules=[])
    assert_message_within_limits(nothing)
    assert "No digest schedule" in nothing["text"]


def test_the_notice_fits() -> None:
    assert_view_within_limits(build_digest_settings_notice("x" * 5000))


def test_reading_a_submission() -> None:
    def pick(value: str) -> dict[str, object]:
        return {"a": {"type": "static_select", "selected_option": {"value": value}}}

    submission = read_digest_settings(
        {
            "digest_settings_day_3": pick("off"),
            "digest_settings_hour_3": pick("6"),
            "digest_settings_timezone_3": pick("Asia/Kolkata"),
            "digest_settings_day_4": pick("5"),
            "digest_settings_hour_4": pick("0"),
            "digest_settings_timezone_4": pick("UTC"),
            "unrelated": pick("x"),
        }
    )
    assert submission.errors == {}
    assert {
        sid: (c.enabled, c.day, c.hour, c.timezone) for sid, c in submission.choices.items()
    } == {
        3: (False, None, 6, "Asia/Kolkata"),
        4: (True, 5, 0, "UTC"),
    }
    broken = read_digest_settings(
        {
            "digest_settings_day_3": pick("7"),
            "digest_settings_hour_3": pick("6"),
            "digest_settings_timezone_3": pick("localtime"),
        }
    )
    assert set(broken.errors) == {"digest_settings_day_3", "digest_settings_timezone_3"}
    assert broken.choices == {}
    partial = read_digest_settings({"digest_settings_day_5": pick("1")})
    assert set(partial.errors) == {"digest_settings_day_5"}


def test_timezone_search_ranks_cities_first() -> None:
    assert search_timezones("kolkata") == ["Asia/Kolkata"]
    assert search_timezones("  ") == []
    assert search_timezones("utc")[0] == "UTC"
    assert "localtime" not in search_timezones("local")
