"""The subscription modal: its variants within Slack's limits, and reading a submission."""

from __future__ import annotations

from typing import Any

import pytest

from bot.blocks.ids import (
    ACTION_SUB_ALERT,
    ACTION_SUB_GROUPS,
    ACTION_SUB_LOCATION,
    ACTION_SUB_LOCATION_TEXT,
    ACTION_SUB_ORG,
    ACTION_SUB_ORG_TEXT,
    ACTION_SUB_RATING,
    ACTION_SUB_SOURCES,
    ACTION_SUB_USERS,
    BLOCK_SUB_ALERT,
    BLOCK_SUB_GROUPS,
    BLOCK_SUB_LOCATION,
    BLOCK_SUB_ORG,
    BLOCK_SUB_RATING,
    BLOCK_SUB_SOURCES,
    BLOCK_SUB_USERS,
    CALLBACK_SUBSCRIBE,
    CALLBACK_SUBSCRIBE_NOTICE,
)
from bot.blocks.subscribe_modal import (
    RATING_CHOICES,
    CatalogOption,
    build_subscribe_modal,
    build_subscribe_notice,
)
from bot.blocks.subscribe_state import parse_subscribe_state
from bot.filters import Filter, Mention

from .limits import assert_view_within_limits

JSON = dict[str, Any]


def _orgs(count: int, connections: int = 1) -> list[CatalogOption]:
    return [
        CatalogOption(
            1 + i % connections,
            f"conn-{1 + i % connections}",
            str(i),
            f"Org {i} " + "x" * 90,  # longer than an option's 75 characters
        )
        for i in range(count)
    ]


def _element(view: JSON, block_id: str) -> JSON:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]


def test_form_with_one_connection_uses_plain_options() -> None:
    view = build_subscribe_modal(
        channel_id="C1",
        organizations=_orgs(3),
        locations=[CatalogOption(1, "main", "7", "Downtown", "0")],
        sources=["Google", "Facebook", "Yelp", "Booking.com"],
        private_metadata='{"channel_id":"C1"}',
    )
    assert_view_within_limits(view)
    assert view["callback_id"] == CALLBACK_SUBSCRIBE
    org = _element(view, BLOCK_SUB_ORG)
    assert org["type"] == "static_select" and len(org["options"]) == 3
    assert "option_groups" not in org
    assert _element(view, BLOCK_SUB_LOCATION)["options"][0]["value"] == "1:0:7"
    assert _element(view, BLOCK_SUB_ALERT)["initial_option"]["value"] == "2"
    assert _element(view, BLOCK_SUB_RATING)["initial_option"]["value"] == "1-5"
    assert len(_element(view, BLOCK_SUB_SOURCES)["options"]) <= 100


def test_form_groups_by_connection_and_falls_back_to_text_past_100() -> None:
    grouped = build_subscribe_modal(
        channel_id="C1",
        organizations=_orgs(100, connections=3),
        locations=[],
        sources=["Google"],
        private_metadata="",
    )
    assert_view_within_limits(grouped)
    org = _element(grouped, BLOCK_SUB_ORG)
    assert [g["label"]["text"] for g in org["option_groups"]] == ["conn-1", "conn-2", "conn-3"]
    location = _element(grouped, BLOCK_SUB_LOCATION)
    assert location["type"] == "plain_text_input"  # none known yet

    many = build_subscribe_modal(
        channel_id="C1",
        organizations=_orgs(101),
        locations=[],
        sources=[],
        private_metadata="",
    )
    assert_view_within_limits(many)
    assert _element(many, BLOCK_SUB_ORG)["action_id"] == ACTION_SUB_ORG_TEXT
    assert all(b.get("block_id") != BLOCK_SUB_SOURCES for b in many["blocks"])


def test_notice_has_no_submit() -> None:
    view = build_subscribe_notice("*Loading…* <#C1>" + "x" * 4000)
    assert_view_within_limits(view)
    assert view["callback_id"] == CALLBACK_SUBSCRIBE_NOTICE
    assert "submit" not in view


def _selected(value: str) -> JSON:
    return {"type": "static_select", "selected_option": {"text": {}, "value": value}}


def test_empty_submission_is_every_review() -> None:
    choice = parse_subscribe_state({})
    assert choice.errors == {}
    assert choice.filter == Filter()
    assert choice.connection_id is None


@pytest.mark.parametrize(("value", "label", "low", "high"), RATING_CHOICES)
def test_rating_choices(value: str, label: str, low: int, high: int) -> None:
    choice = parse_subscribe_state({BLOCK_SUB_RATING: {ACTION_SUB_RATING: _selected(value)}})
    assert (choice.filter.rating_min, choice.filter.rating_max) == (low, high)
    assert label


def test_full_submission() -> None:
    values = {
        BLOCK_SUB_ORG: {ACTION_SUB_ORG: _selected("4:12")},
        BLOCK_SUB_LOCATION: {ACTION_SUB_LOCATION: _selected("4:12:77")},
        BLOCK_SUB_SOURCES: {
            ACTION_SUB_SOURCES: {
                "type": "multi_static_select",
                "selected_options": [{"value": "Google"}, {"value": "Booking.com"}],
            }
        },
        BLOCK_SUB_RATING: {ACTION_SUB_RATING: _selected("1-2")},
        BLOCK_SUB_USERS: {ACTION_SUB_USERS: {"selected_users": ["U1", "W2"]}},
        BLOCK_SUB_GROUPS: {
            ACTION_SUB_GROUPS: {"value": " @frontdesk,@night;<!subteam^S9|@x>  @frontdesk "}
        },
        BLOCK_SUB_ALERT: {ACTION_SUB_ALERT: _selected("3")},
    }
    choice = parse_subscribe_state(values)
    assert choice.errors == {}
    assert choice.connection_id == 4
    chosen = choice.filter
    assert (chosen.organization, chosen.location) == ("12", "77")
    assert chosen.sources == frozenset({"google", "booking.com"})
    assert (chosen.rating_min, chosen.rating_max, chosen.alert_threshold) == (1, 2, 3)
    assert chosen.mentions == (
        Mention("user", "U1"),
        Mention("user", "W2"),
        Mention("handle", "frontdesk"),
        Mention("handle", "night"),
        Mention("group", "S9", "x"),
    )


def test_typed_names_when_there_are_too_many_to_list() -> None:
    values = {
        BLOCK_SUB_ORG: {ACTION_SUB_ORG_TEXT: {"value": "  Acme Dental "}},
        BLOCK_SUB_LOCATION: {ACTION_SUB_LOCATION_TEXT: {"value": ""}},
    }
    choice = parse_subscribe_state(values)
    assert choice.filter.organization == "Acme Dental"
    assert choice.filter.location is None
    assert choice.connection_id is None


@pytest.mark.parametrize(
    ("values", "block_id", "words"),
    [
        (
            {
                BLOCK_SUB_ORG: {ACTION_SUB_ORG: _selected("4:12")},
                BLOCK_SUB_LOCATION: {ACTION_SUB_LOCATION: _selected("4:13:77")},
            },
            BLOCK_SUB_LOCATION,
            "another organization",
        ),
        (
            {
                BLOCK_SUB_ORG: {ACTION_SUB_ORG: _selected("4:12")},
                BLOCK_SUB_LOCATION: {ACTION_SUB_LOCATION: _selected("5:12:77")},
            },
            BLOCK_SUB_LOCATION,
            "another organization",
        ),
        ({BLOCK_SUB_ORG: {ACTION_SUB_ORG: _selected("x:12")}}, BLOCK_SUB_ORG, "again"),
        ({BLOCK_SUB_RATING: {ACTION_SUB_RATING: _selected("0-9")}}, BLOCK_SUB_RATING, "rating"),
        ({BLOCK_SUB_ALERT: {ACTION_SUB_ALERT: _selected("7")}}, BLOCK_SUB_ALERT, "1 to 5"),
        (
            {BLOCK_SUB_GROUPS: {ACTION_SUB_GROUPS: {"value": "@frontdesk @channel"}}},
            BLOCK_SUB_GROUPS,
            "@channel",
        ),
    ],
)
def test_errors_land_on_the_right_block(values: JSON, block_id: str, words: str) -> None:
    choice = parse_subscribe_state(values)
    assert list(choice.errors) == [block_id]
    assert words in choice.errors[block_id]
    assert len(choice.errors[block_id]) <= 150
