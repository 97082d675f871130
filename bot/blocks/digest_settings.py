"""The ``/reviews digest settings`` modal and its confirmation: one schedule per subscription.

Each subscription of the channel gets a section (its description, as ``/reviews subscriptions``
shows it) and three inputs: day (or *Off*), hour and timezone. Block ids are a prefix plus the
subscription id; action ids are the constant plus ``:`` and the id, so they stay unique in the
view. The timezone is an external_select (there are ~600 zones; a static menu holds 100).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.blocks.ids import (
    ACTION_DIGEST_DAY,
    ACTION_DIGEST_HOUR,
    ACTION_DIGEST_TIMEZONE,
    BLOCK_DIGEST_DAY_PREFIX,
    BLOCK_DIGEST_HOUR_PREFIX,
    BLOCK_DIGEST_INTRO,
    BLOCK_DIGEST_MORE,
    BLOCK_DIGEST_SUBSCRIPTION_PREFIX,
    BLOCK_DIGEST_TIMEZONE_PREFIX,
    CALLBACK_DIGEST_SETTINGS,
    CALLBACK_DIGEST_SETTINGS_NOTICE,
)
from bot.blocks.limits import (
    CONTEXT_TEXT,
    OPTION_TEXT,
    OPTION_VALUE,
    SECTION_TEXT,
    SECTION_TEXT_BUDGET,
    VIEW_BLOCKS,
)
from bot.blocks.text import mrkdwn, plain_text
from bot.text import truncate

__all__ = [
    "DAY_NAMES",
    "DAY_OFF",
    "MAX_SHOWN",
    "DigestSchedule",
    "build_digest_settings_modal",
    "build_digest_settings_notice",
    "build_digest_settings_saved",
    "describe_schedule",
    "timezone_option",
]

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
"""``Subscription.digest_day``: 0 = Monday … 6 = Sunday."""
DAY_OFF = "off"
"""The day menu's value for "no digests" (``digest_enabled`` false)."""

TITLE = "Digest schedules"
BLOCKS_PER_SUBSCRIPTION = 4  # description, day, hour, timezone
MAX_SHOWN = (VIEW_BLOCKS - 2) // BLOCKS_PER_SUBSCRIPTION
"""Subscriptions one modal holds: 100 blocks less the intro and the "more" line (24)."""
DESCRIPTION_LIMIT = 1500
SAVED_DESCRIPTION_LIMIT = 200
TIMEZONE_MIN_QUERY = 2


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """One subscription's digest schedule; ``description`` is mrkdwn that is already safe."""

    subscription_id: int
    description: str
    enabled: bool
    day: int
    hour: int
    timezone: str


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain_text(truncate(text, OPTION_TEXT)), "value": value}


def timezone_option(name: str) -> dict[str, Any]:
    """A timezone menu option: the IANA name is both label and value (at most ~32 chars)."""
    return _option(name, name[:OPTION_VALUE])


def describe_schedule(schedule: DigestSchedule) -> str:
    """``Mondays at 09:00 (Europe/Berlin)``, or ``off``."""
    if not schedule.enabled:
        return "off"
    day = DAY_NAMES[schedule.day % 7]
    return f"{day}s at {schedule.hour:02d}:00 ({schedule.timezone})"


def _day_options() -> list[dict[str, Any]]:
    days = [_option(name, str(number)) for number, name in enumerate(DAY_NAMES)]
    return [*days, _option("Off (no digests)", DAY_OFF)]


def _hour_options() -> list[dict[str, Any]]:
    return [_option(f"{hour:02d}:00", str(hour)) for hour in range(24)]


def _select(action_id: str, options: list[dict[str, Any]], value: str) -> dict[str, Any]:
    initial = next((o for o in options if o["value"] == value), options[0])
    return {
        "type": "static_select",
        "action_id": action_id,
        "options": options,
        "initial_option": initial,
    }


def _input(block_id: str, label: str, element: dict[str, Any]) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": plain_text(label), "element": element}


def _schedule_blocks(schedule: DigestSchedule) -> list[dict[str, Any]]:
    sid = schedule.subscription_id
    day_value = str(schedule.day) if schedule.enabled else DAY_OFF
    timezone = {
        "type": "external_select",
        "action_id": f"{ACTION_DIGEST_TIMEZONE}:{sid}",
        "placeholder": plain_text("Type a city or region"),
        "initial_option": timezone_option(schedule.timezone),
        "min_query_length": TIMEZONE_MIN_QUERY,
    }
    return [
        {
            "type": "section",
            "block_id": f"{BLOCK_DIGEST_SUBSCRIPTION_PREFIX}{sid}",
            "text": mrkdwn(f"*#{sid}* {truncate(schedule.description, DESCRIPTION_LIMIT)}"),
        },
        _input(
            f"{BLOCK_DIGEST_DAY_PREFIX}{sid}",
            "Day",
            _select(f"{ACTION_DIGEST_DAY}:{sid}", _day_options(), day_value),
        ),
        _input(
            f"{BLOCK_DIGEST_HOUR_PREFIX}{sid}",
            "Hour (local time)",
            _select(f"{ACTION_DIGEST_HOUR}:{sid}", _hour_options(), str(schedule.hour)),
        ),
        _input(f"{BLOCK_DIGEST_TIMEZONE_PREFIX}{sid}", "Timezone", timezone),
    ]


def build_digest_settings_modal(
    *, channel_id: str, schedules: Sequence[DigestSchedule], private_metadata: str
) -> dict[str, Any]:
    """The form: the channel's first ``MAX_SHOWN`` subscriptions, each with its schedule."""
    intro = (
        f"Weekly digests for <#{channel_id}>: one per organization each subscription covers, "
        "on the day and hour you choose, in the timezone you choose. "
        "Pick *Off (no digests)* to stop a subscription's digests."
    )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": BLOCK_DIGEST_INTRO, "text": mrkdwn(intro)}
    ]
    shown = schedules[:MAX_SHOWN]
    for schedule in shown:
        blocks += _schedule_blocks(schedule)
    if len(schedules) > len(shown):
        rest = ", ".join(f"#{s.subscription_id}" for s in schedules[len(shown) :])
        more = (
            f"This form holds the first {len(shown)} of {len(schedules)} subscriptions; "
            f"the others keep their schedules: {rest}"
        )
        blocks.append(
            {
                "type": "context",
                "block_id": BLOCK_DIGEST_MORE,
                "elements": [mrkdwn(truncate(more, CONTEXT_TEXT))],
            }
        )
    return {
        "type": "modal",
        "callback_id": CALLBACK_DIGEST_SETTINGS,
        "title": plain_text(TITLE),
        "submit": plain_text("Save"),
        "close": plain_text("Cancel"),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }


def build_digest_settings_notice(message_mrkdwn: str) -> dict[str, Any]:
    """The modal showing only a message (e.g. the form lost track of its channel)."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_DIGEST_SETTINGS_NOTICE,
        "title": plain_text(TITLE),
        "close": plain_text("Close"),
        "blocks": [
            {
                "type": "section",
                "block_id": BLOCK_DIGEST_INTRO,
                "text": mrkdwn(truncate(message_mrkdwn, SECTION_TEXT)),
            }
        ],
    }


def _sections(lines: Sequence[str]) -> list[dict[str, Any]]:
    """``lines`` packed into as few sections as fit (3000 characters each)."""
    sections: list[dict[str, Any]] = []
    current = ""
    for line in lines:
        line = truncate(line, SECTION_TEXT_BUDGET)
        if current and len(current) + 1 + len(line) > SECTION_TEXT_BUDGET:
            sections.append({"type": "section", "text": mrkdwn(current)})
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        sections.append({"type": "section", "text": mrkdwn(current)})
    return sections


def build_digest_settings_saved(
    *, channel_id: str, schedules: Sequence[DigestSchedule], skipped: Sequence[int] = ()
) -> dict[str, Any]:
    """The private confirmation: every saved schedule in words, and ids left alone."""
    head = f"📅 Digest schedules saved for <#{channel_id}>:"
    lines = [
        f"• Digests for *#{s.subscription_id}* "
        f"{truncate(s.description, SAVED_DESCRIPTION_LIMIT)}: {describe_schedule(s)}"
        for s in schedules
    ]
    if not schedules:
        head = f"No digest schedule of <#{channel_id}> was changed."
    blocks = _sections([head, *lines])
    if skipped:
        ids = ", ".join(f"#{sid}" for sid in skipped)
        note = truncate(
            f"Left alone (no longer subscriptions of <#{channel_id}>): {ids}", SECTION_TEXT_BUDGET
        )
        blocks.append({"type": "context", "elements": [mrkdwn(note)]})
    text = truncate("\n".join([head, *lines]), SECTION_TEXT)
    return {"text": text, "blocks": blocks}
