"""The subscribe modal's words of issue 15: words, language, deadline, roll-up, style, backfill."""

from __future__ import annotations

from typing import Any

from bot.blocks.ids import (
    ACTION_SUB_ALERT,
    ACTION_SUB_BACKFILL,
    ACTION_SUB_EVERY,
    ACTION_SUB_GROUPS,
    ACTION_SUB_LANGUAGE,
    ACTION_SUB_RESPOND,
    ACTION_SUB_RESPOND_TEXT,
    ACTION_SUB_ROLLUP,
    ACTION_SUB_STYLE,
    ACTION_SUB_TEXT,
    BLOCK_SUB_ALERT,
    BLOCK_SUB_BACKFILL,
    BLOCK_SUB_EVERY,
    BLOCK_SUB_GROUPS,
    BLOCK_SUB_LANGUAGE,
    BLOCK_SUB_RESPOND,
    BLOCK_SUB_RESPOND_TEXT,
    BLOCK_SUB_ROLLUP,
    BLOCK_SUB_STYLE,
    BLOCK_SUB_TEXT,
)
from bot.blocks.subscribe_modal import CatalogOption, build_subscribe_modal
from bot.blocks.subscribe_state import parse_subscribe_state
from bot.domain import LANGUAGES
from bot.filters import Backfill

from .limits import assert_view_within_limits

JSON = dict[str, Any]
HOSTILE = "<!channel> &amp; *x* `y` " * 20


def _selected(value: str) -> JSON:
    return {"type": "static_select", "selected_option": {"value": value}}


def _typed(value: str, kind: str = "plain_text_input") -> JSON:
    return {"type": kind, "value": value}


def test_the_full_form_with_hostile_names_stays_within_slack_limits() -> None:
    many = [CatalogOption(1 + i % 3, HOSTILE, str(i), HOSTILE + str(i)) for i in range(100)]
    view = build_subscribe_modal(
        channel_id="C1",
        organizations=many,
        locations=[*many, *many],  # past 100: a text input
        sources=[HOSTILE + str(i) for i in range(150)],
        private_metadata="{}",
    )
    assert_view_within_limits(view)
    ids = [b.get("block_id") for b in view["blocks"]]
    for block_id in (
        BLOCK_SUB_TEXT,
        BLOCK_SUB_LANGUAGE,
        BLOCK_SUB_RESPOND,
        BLOCK_SUB_RESPOND_TEXT,
        BLOCK_SUB_ROLLUP,
        BLOCK_SUB_EVERY,
        BLOCK_SUB_STYLE,
        BLOCK_SUB_BACKFILL,
    ):
        assert block_id in ids
    language = next(b for b in view["blocks"] if b.get("block_id") == BLOCK_SUB_LANGUAGE)
    assert len(language["element"]["options"]) == len(LANGUAGES)
    assert {o["value"] for o in language["element"]["options"]} == set(LANGUAGES)


def test_every_new_choice_is_read() -> None:
    values = {
        BLOCK_SUB_TEXT: {ACTION_SUB_TEXT: _typed('  "Parking", wait   time ')},
        BLOCK_SUB_LANGUAGE: {
            ACTION_SUB_LANGUAGE: {
                "type": "multi_static_select",
                "selected_options": [{"value": "es"}, {"value": "fr"}],
            }
        },
        BLOCK_SUB_RESPOND: {ACTION_SUB_RESPOND: _selected("1440")},
        BLOCK_SUB_ROLLUP: {ACTION_SUB_ROLLUP: _selected("4-5")},
        BLOCK_SUB_EVERY: {ACTION_SUB_EVERY: _selected("60")},
        BLOCK_SUB_STYLE: {
            ACTION_SUB_STYLE: {"type": "radio_buttons", "selected_option": {"value": "compact"}}
        },
        BLOCK_SUB_BACKFILL: {ACTION_SUB_BACKFILL: _typed("12", "number_input")},
    }
    choice = parse_subscribe_state(values)
    assert choice.errors == {}
    chosen = choice.filter
    assert chosen.text == ("Parking", "wait time")
    assert chosen.languages == frozenset({"es", "fr"})
    assert chosen.respond_minutes == 1440
    assert (chosen.rollup, chosen.rollup_every_minutes) == ((4, 5), 60)
    assert chosen.style == "compact"
    assert chosen.backfill == Backfill(count=12)
    assert chosen.stored().canonical_text() == (
        'text:"Parking,wait time" language:es,fr respond:24h rollup:>=4 every:1h style:compact'
    )

    # A typed deadline wins over the menu; no roll-up ignores "every"; 0 asks for no backfill.
    typed = parse_subscribe_state(
        {
            BLOCK_SUB_RESPOND: {ACTION_SUB_RESPOND: _selected("60")},
            BLOCK_SUB_RESPOND_TEXT: {ACTION_SUB_RESPOND_TEXT: _typed("3d")},
            BLOCK_SUB_EVERY: {ACTION_SUB_EVERY: _selected("15")},
            BLOCK_SUB_BACKFILL: {ACTION_SUB_BACKFILL: _typed("0", "number_input")},
        }
    )
    assert typed.errors == {}
    assert typed.filter.respond_minutes == 3 * 1440
    assert typed.filter.rollup is None and typed.filter.rollup_every_minutes is None
    assert typed.filter.backfill is None
    assert parse_subscribe_state({}).filter.stored().canonical_text() == "all"


def test_bad_choices_are_errors_on_their_blocks() -> None:
    choice = parse_subscribe_state(
        {
            BLOCK_SUB_TEXT: {ACTION_SUB_TEXT: _typed("!!! ???")},
            BLOCK_SUB_LANGUAGE: {
                ACTION_SUB_LANGUAGE: {
                    "type": "multi_static_select",
                    "selected_options": [{"value": "xx" + HOSTILE}],
                }
            },
            BLOCK_SUB_RESPOND_TEXT: {ACTION_SUB_RESPOND_TEXT: _typed("forever")},
            BLOCK_SUB_BACKFILL: {ACTION_SUB_BACKFILL: _typed("51", "number_input")},
            BLOCK_SUB_ROLLUP: {ACTION_SUB_ROLLUP: _selected(HOSTILE)},
        }
    )
    assert list(choice.errors) == [
        BLOCK_SUB_TEXT,
        BLOCK_SUB_LANGUAGE,
        BLOCK_SUB_RESPOND_TEXT,
        BLOCK_SUB_ROLLUP,
        BLOCK_SUB_BACKFILL,
    ]
    assert "needs words" in choice.errors[BLOCK_SUB_TEXT]
    assert "forever" in choice.errors[BLOCK_SUB_RESPOND_TEXT]
    assert "0 to 50" in choice.errors[BLOCK_SUB_BACKFILL]
    assert all(len(message) <= 150 for message in choice.errors.values())

    # A roll-up of the ratings that mention people is refused where the roll-up is chosen.
    swallowed = parse_subscribe_state(
        {
            BLOCK_SUB_GROUPS: {ACTION_SUB_GROUPS: _typed("@frontdesk")},
            BLOCK_SUB_ALERT: {ACTION_SUB_ALERT: _selected("4")},
            BLOCK_SUB_ROLLUP: {ACTION_SUB_ROLLUP: _selected("4-5")},
        }
    )
    assert list(swallowed.errors) == [BLOCK_SUB_ROLLUP]
    assert "roll up 5★ only" in swallowed.errors[BLOCK_SUB_ROLLUP]
    fine = parse_subscribe_state(
        {
            BLOCK_SUB_GROUPS: {ACTION_SUB_GROUPS: _typed("@frontdesk")},
            BLOCK_SUB_ALERT: {ACTION_SUB_ALERT: _selected("4")},
            BLOCK_SUB_ROLLUP: {ACTION_SUB_ROLLUP: _selected("5-5")},
        }
    )
    assert fine.errors == {}
