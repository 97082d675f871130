"""The ``/reviews subscribe`` modal: the form and its notice variants (loading, refusal…).

Organization and location are menus of the cached names (grouped by connection when the team
has several); past Slack's 100 options they become text inputs. Option values carry
``connection_id:platform_id`` (locations: ``connection_id:organization_id:platform_id``) so a
submission is read without a database (``bot/blocks/subscribe_state.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.blocks.ids import (
    ACTION_SUB_ALERT,
    ACTION_SUB_BACKFILL,
    ACTION_SUB_EVERY,
    ACTION_SUB_GROUPS,
    ACTION_SUB_LANGUAGE,
    ACTION_SUB_LOCATION,
    ACTION_SUB_LOCATION_TEXT,
    ACTION_SUB_ORG,
    ACTION_SUB_ORG_TEXT,
    ACTION_SUB_RATING,
    ACTION_SUB_RESPOND,
    ACTION_SUB_RESPOND_TEXT,
    ACTION_SUB_ROLLUP,
    ACTION_SUB_SOURCES,
    ACTION_SUB_STYLE,
    ACTION_SUB_TEXT,
    ACTION_SUB_USERS,
    BLOCK_SUB_ALERT,
    BLOCK_SUB_BACKFILL,
    BLOCK_SUB_EVERY,
    BLOCK_SUB_GROUPS,
    BLOCK_SUB_INTRO,
    BLOCK_SUB_LANGUAGE,
    BLOCK_SUB_LOCATION,
    BLOCK_SUB_MORE,
    BLOCK_SUB_ORG,
    BLOCK_SUB_RATING,
    BLOCK_SUB_RESPOND,
    BLOCK_SUB_RESPOND_TEXT,
    BLOCK_SUB_ROLLUP,
    BLOCK_SUB_SOURCES,
    BLOCK_SUB_STYLE,
    BLOCK_SUB_TEXT,
    BLOCK_SUB_USERS,
    CALLBACK_SUBSCRIBE,
    CALLBACK_SUBSCRIBE_NOTICE,
)
from bot.blocks.limits import OPTION_TEXT, OPTION_VALUE, OPTIONS, SECTION_TEXT
from bot.blocks.text import mrkdwn, plain_text
from bot.domain import LANGUAGES
from bot.filters import DEFAULT_ALERT_THRESHOLD, MAX_BACKFILL
from bot.text import plain, truncate

__all__ = [
    "EVERY_CHOICES",
    "RATING_CHOICES",
    "RESPOND_CHOICES",
    "ROLLUP_CHOICES",
    "STYLE_CHOICES",
    "CatalogOption",
    "build_subscribe_modal",
    "build_subscribe_notice",
]

"""Slack's static_select limit; more organizations or locations → a text input."""
TITLE = "Subscribe this channel"
NAME_LIMIT = 200

# (value, label, rating_min, rating_max)
RATING_CHOICES: tuple[tuple[str, str, int, int], ...] = (
    ("1-5", "Any rating", 1, 5),
    ("5-5", "5★ only", 5, 5),
    ("4-5", "4★ and up", 4, 5),
    ("3-3", "3★ only", 3, 3),
    ("1-3", "3★ or less", 1, 3),
    ("1-2", "2★ or less", 1, 2),
    ("1-1", "1★ only", 1, 1),
)

# (value, label, minutes): the reply deadline; another one may be typed.
RESPOND_CHOICES: tuple[tuple[str, str, int | None], ...] = (
    ("none", "No deadline", None),
    ("60", "Within 1 hour", 60),
    ("240", "Within 4 hours", 240),
    ("1440", "Within 24 hours", 1440),
    ("2880", "Within 2 days", 2880),
    ("10080", "Within 7 days", 10080),
)
# (value, label, ratings rolled up)
ROLLUP_CHOICES: tuple[tuple[str, str, tuple[int, int] | None], ...] = (
    ("none", "No roll-up: a card for each review", None),
    ("4-5", "4–5★ reviews in a roll-up", (4, 5)),
    ("5-5", "5★ reviews only in a roll-up", (5, 5)),
)
# (value, label, minutes)
EVERY_CHOICES: tuple[tuple[str, str, int], ...] = (
    ("15", "Every 15 minutes", 15),
    ("60", "Every hour", 60),
    ("1440", "Once a day", 1440),
)
STYLE_CHOICES: tuple[tuple[str, str], ...] = (
    ("full", "Full card"),
    ("compact", "Compact: two lines and the buttons"),
)


@dataclass(frozen=True, slots=True)
class CatalogOption:
    """An organization or location the form offers."""

    connection_id: int
    connection_name: str
    platform_id: str
    name: str
    organization_platform_id: str | None = None


def _option(text: str, value: str) -> dict[str, Any]:
    return {
        "text": plain_text(truncate(text, OPTION_TEXT) or value[:OPTION_TEXT]),
        "value": value,
    }


def _menu_options(
    entries: Sequence[CatalogOption], value_of: Any
) -> dict[str, list[dict[str, Any]]]:
    """``options``, or ``option_groups`` by connection when there are several connections."""
    connections = list(dict.fromkeys((e.connection_id, e.connection_name) for e in entries))
    if len(connections) <= 1:
        return {"options": [_option(plain(e.name, NAME_LIMIT), value_of(e)) for e in entries]}
    groups = []
    for connection_id, connection_name in connections:
        options = [
            _option(plain(e.name, NAME_LIMIT), value_of(e))
            for e in entries
            if e.connection_id == connection_id
        ]
        label = truncate(
            plain(connection_name, NAME_LIMIT) or f"Connection {connection_id}", OPTION_TEXT
        )
        groups.append({"label": plain_text(label), "options": options})
    return {"option_groups": groups}


def _org_value(entry: CatalogOption) -> str:
    return f"{entry.connection_id}:{entry.platform_id}"


def _location_value(entry: CatalogOption) -> str:
    return f"{entry.connection_id}:{entry.organization_platform_id or ''}:{entry.platform_id}"


def _input(block_id: str, label: str, element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label),
        "element": element,
        **extra,
    }


def _catalog_input(
    entries: Sequence[CatalogOption],
    *,
    block_id: str,
    select_action: str,
    text_action: str,
    label: str,
    every: str,
    value_of: Any,
) -> dict[str, Any]:
    element: dict[str, Any]
    if entries and len(entries) <= OPTIONS:
        element = {
            "type": "static_select",
            "action_id": select_action,
            "placeholder": plain_text(every),
            **_menu_options(entries, value_of),
        }
        return _input(block_id, label, element, optional=True)
    hint = (
        f"Type a name or id. Empty: {every.lower()}."
        if entries
        else f"None known yet; type a name or id to match once it appears. Empty: {every.lower()}."
    )
    element = {
        "type": "plain_text_input",
        "action_id": text_action,
        "placeholder": plain_text(every),
        "max_length": 200,
    }
    return _input(block_id, label, element, optional=True, hint=plain_text(hint))


def _static_select(action_id: str, options: list[dict[str, Any]], initial: int) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": action_id,
        "options": options,
        "initial_option": options[initial],
    }


def _which_blocks(
    channel_id: str,
    organizations: Sequence[CatalogOption],
    locations: Sequence[CatalogOption],
    sources: Sequence[str],
) -> list[dict[str, Any]]:
    """Which reviews: the organization, location and review sites."""
    source_options = [
        _option(name, name[:OPTION_VALUE]) for name in list(dict.fromkeys(sources))[:OPTIONS]
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": BLOCK_SUB_INTRO,
            "text": mrkdwn(
                f"Which reviews should become cards in <#{channel_id}>? "
                "Leave a field empty to take every one."
            ),
        },
        _catalog_input(
            organizations,
            block_id=BLOCK_SUB_ORG,
            select_action=ACTION_SUB_ORG,
            text_action=ACTION_SUB_ORG_TEXT,
            label="Organization",
            every="Every organization",
            value_of=_org_value,
        ),
        _catalog_input(
            locations,
            block_id=BLOCK_SUB_LOCATION,
            select_action=ACTION_SUB_LOCATION,
            text_action=ACTION_SUB_LOCATION_TEXT,
            label="Location",
            every="Every location",
            value_of=_location_value,
        ),
    ]
    if source_options:
        blocks.append(
            _input(
                BLOCK_SUB_SOURCES,
                "Review sites",
                {
                    "type": "multi_static_select",
                    "action_id": ACTION_SUB_SOURCES,
                    "placeholder": plain_text("Every site"),
                    "options": source_options,
                },
                optional=True,
            )
        )
    return blocks


def _rating_and_mention_blocks() -> list[dict[str, Any]]:
    """The ratings wanted, and who is mentioned on low ones."""
    rating_options = [_option(label, value) for value, label, _, _ in RATING_CHOICES]
    alert_options = [_option(f"{n}★" if n == 1 else f"{n}★ or less", str(n)) for n in range(1, 6)]
    return [
        _input(BLOCK_SUB_RATING, "Rating", _static_select(ACTION_SUB_RATING, rating_options, 0)),
        _input(
            BLOCK_SUB_USERS,
            "Mention these people on low ratings",
            {
                "type": "multi_users_select",
                "action_id": ACTION_SUB_USERS,
                "placeholder": plain_text("Nobody"),
            },
            optional=True,
        ),
        _input(
            BLOCK_SUB_GROUPS,
            "…and these user groups",
            {
                "type": "plain_text_input",
                "action_id": ACTION_SUB_GROUPS,
                "placeholder": plain_text("@frontdesk, @oncall-manager"),
                "max_length": 500,
            },
            optional=True,
            hint=plain_text("User group handles, separated by commas or spaces."),
        ),
        _input(
            BLOCK_SUB_ALERT,
            "Mention them for reviews rated",
            _static_select(ACTION_SUB_ALERT, alert_options, DEFAULT_ALERT_THRESHOLD - 1),
        ),
    ]


def _choice_blocks() -> list[dict[str, Any]]:
    """Words, language, reply deadline, roll-up, card style and the recent past."""
    languages = sorted(LANGUAGES.items(), key=lambda item: item[1])
    language_options = [_option(f"{name} ({code})", code) for code, name in languages]
    respond_options = [_option(label, value) for value, label, _ in RESPOND_CHOICES]
    rollup_options = [_option(label, value) for value, label, _ in ROLLUP_CHOICES]
    every_options = [_option(label, value) for value, label, _ in EVERY_CHOICES]
    style_options = [_option(label, value) for value, label in STYLE_CHOICES]
    return [
        {"type": "divider", "block_id": BLOCK_SUB_MORE},
        _input(
            BLOCK_SUB_TEXT,
            "Only reviews mentioning",
            {
                "type": "plain_text_input",
                "action_id": ACTION_SUB_TEXT,
                "placeholder": plain_text("parking, wait time"),
                "max_length": 500,
            },
            optional=True,
            hint=plain_text(
                "Words in the title or text; commas separate alternatives. "
                "Case and accents don't matter."
            ),
        ),
        _input(
            BLOCK_SUB_LANGUAGE,
            "Only reviews written in",
            {
                "type": "multi_static_select",
                "action_id": ACTION_SUB_LANGUAGE,
                "placeholder": plain_text("Any language"),
                "options": language_options[:OPTIONS],
            },
            optional=True,
        ),
        _input(
            BLOCK_SUB_RESPOND,
            "Remind if a low rating is not answered",
            _static_select(ACTION_SUB_RESPOND, respond_options, 0),
            hint=plain_text("A reminder in the card's thread, mentioning the people above."),
        ),
        _input(
            BLOCK_SUB_RESPOND_TEXT,
            "…or another deadline",
            {
                "type": "plain_text_input",
                "action_id": ACTION_SUB_RESPOND_TEXT,
                "placeholder": plain_text("30m, 12h or 3d"),
                "max_length": 20,
            },
            optional=True,
        ),
        _input(
            BLOCK_SUB_ROLLUP,
            "Good reviews",
            _static_select(ACTION_SUB_ROLLUP, rollup_options, 0),
            hint=plain_text("A roll-up collects them into one message per period."),
        ),
        _input(
            BLOCK_SUB_EVERY,
            "Post the roll-up",
            _static_select(ACTION_SUB_EVERY, every_options, len(every_options) - 1),
        ),
        _input(
            BLOCK_SUB_STYLE,
            "Cards",
            {
                "type": "radio_buttons",
                "action_id": ACTION_SUB_STYLE,
                "options": style_options,
                "initial_option": style_options[0],
            },
        ),
        _input(
            BLOCK_SUB_BACKFILL,
            "Also post the last … matching reviews",
            {
                "type": "number_input",
                "action_id": ACTION_SUB_BACKFILL,
                "is_decimal_allowed": False,
                "min_value": "0",
                "max_value": str(MAX_BACKFILL),
                "placeholder": plain_text("0"),
            },
            optional=True,
            hint=plain_text(
                f"Up to {MAX_BACKFILL} recent reviews, posted here oldest first. Empty or 0: none."
            ),
        ),
    ]


def build_subscribe_modal(
    *,
    channel_id: str,
    organizations: Sequence[CatalogOption],
    locations: Sequence[CatalogOption],
    sources: Sequence[str],
    private_metadata: str,
) -> dict[str, Any]:
    """The subscription form for ``channel_id``; every field may stay empty (= every review)."""
    blocks = _which_blocks(channel_id, organizations, locations, sources)
    blocks += _rating_and_mention_blocks()
    blocks += _choice_blocks()
    return {
        "type": "modal",
        "callback_id": CALLBACK_SUBSCRIBE,
        "title": plain_text(TITLE),
        "submit": plain_text("Subscribe"),
        "close": plain_text("Cancel"),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }


def build_subscribe_notice(message_mrkdwn: str, *, private_metadata: str = "") -> dict[str, Any]:
    """The modal showing only a message: loading, a refusal, or a channel problem."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_SUBSCRIBE_NOTICE,
        "title": plain_text(TITLE),
        "close": plain_text("Close"),
        "private_metadata": private_metadata,
        "blocks": [
            {
                "type": "section",
                "block_id": BLOCK_SUB_INTRO,
                "text": mrkdwn(truncate(message_mrkdwn, SECTION_TEXT)),
            }
        ],
    }
