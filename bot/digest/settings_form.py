"""``/reviews digest settings``: open the schedule form, search timezones, save a submission.

The checks (admin, the channel has subscriptions) are two fast reads, so they come before
``views.open`` (``handlers/digests.py``) and a refusal is raised as :class:`UserError`.
A submission is validated without I/O (so the ack can carry field errors), then saved after the
ack: only rows that are subscriptions of this team and channel change, in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.blocks.digest_settings import (
    DAY_NAMES,
    DAY_OFF,
    DigestSchedule,
    timezone_option,
)
from bot.blocks.ids import (
    BLOCK_DIGEST_DAY_PREFIX,
    BLOCK_DIGEST_HOUR_PREFIX,
    BLOCK_DIGEST_TIMEZONE_PREFIX,
)
from bot.deps import Deps
from bot.errors import UserError
from bot.log import get_logger
from bot.services.actor import Actor
from bot.services.subscriptions import (
    list_channel_subscriptions,
    require_admin,
)
from bot.text import escape_mrkdwn
from storage.models import Subscription
from storage.repositories.subscriptions import channel_subscriptions

__all__ = [
    "NO_SUBSCRIPTIONS",
    "SavedSettings",
    "ScheduleChoice",
    "SettingsSubmission",
    "digest_schedules",
    "is_valid_timezone",
    "read_digest_settings",
    "read_settings_channel",
    "save_digest_settings",
    "search_timezones",
    "settings_metadata",
    "timezone_options",
]

log = get_logger(__name__)

NO_SUBSCRIPTIONS = "This channel has no subscriptions yet: /reviews subscribe first."
SCHEDULE_WHAT = "change this channel's digest schedules"
MAX_OPTIONS = 100
"""Slack shows at most 100 options from an options load."""
# In the tz database's directory but not zones a person means (tzdata lists "Factory" as
# "no zone"; "localtime"/"posixrules" are links the system adds).
NOT_ZONES = frozenset({"Factory", "localtime", "posixrules", "leapseconds", "tzdata.zi"})


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones() - NOT_ZONES)


def is_valid_timezone(name: str) -> bool:
    """True for an IANA zone name this Python can load."""
    if name not in _zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _searchable(name: str) -> str:
    return name.replace("_", " ").casefold()


def search_timezones(query: str, *, limit: int = MAX_OPTIONS) -> list[str]:
    """Zones matching ``query`` (``"new york"`` finds ``America/New_York``), best first.

    An exact name first, then names whose city or region starts with the query, then any
    name holding it; "Area/City" names before legacy aliases such as ``US/Eastern``'s kin.
    """
    wanted = _searchable(query.strip())
    if not wanted:
        return []

    def rank(name: str) -> tuple[int, int, str]:
        text = _searchable(name)
        parts = text.split("/")
        if text == wanted:
            place = 0
        elif any(part.startswith(wanted) for part in parts):
            place = 1
        else:
            place = 2
        canonical = 0 if "/" in name and not name.startswith(("Etc/", "US/", "SystemV/")) else 1
        return place, canonical, name

    found = [name for name in _zones() if wanted in _searchable(name)]
    return sorted(found, key=rank)[:limit]


def timezone_options(query: str) -> list[dict[str, Any]]:
    """The timezone typeahead's options for what was typed (empty: Slack says "no results")."""
    return [timezone_option(name) for name in search_timezones(query)]


def settings_metadata(channel_id: str) -> str:
    """The form's ``private_metadata``: the channel it edits."""
    return json.dumps({"channel_id": channel_id}, separators=(",", ":"))


def read_settings_channel(private_metadata: str | None) -> str | None:
    """The channel a submitted form edits, or None when the metadata is missing or unreadable."""
    try:
        data = json.loads(private_metadata or "")
    except json.JSONDecodeError:
        return None
    channel_id = data.get("channel_id") if isinstance(data, dict) else None
    if not isinstance(channel_id, str) or not channel_id.isalnum() or len(channel_id) > 32:
        return None
    return channel_id


@dataclass(frozen=True, slots=True)
class ScheduleChoice:
    """One subscription's schedule as submitted; ``day`` None when digests are off."""

    enabled: bool
    day: int | None
    hour: int
    timezone: str


@dataclass(frozen=True, slots=True)
class SettingsSubmission:
    """A read submission: choices by subscription id, or errors by block id."""

    choices: dict[int, ScheduleChoice] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


_FIELDS = (
    ("day", BLOCK_DIGEST_DAY_PREFIX),
    ("hour", BLOCK_DIGEST_HOUR_PREFIX),
    ("timezone", BLOCK_DIGEST_TIMEZONE_PREFIX),
)


def _selected(entry: Any) -> str | None:
    """The value a select in the submitted state holds (one action per input block)."""
    if not isinstance(entry, Mapping):
        return None
    for element in entry.values():
        option = element.get("selected_option") if isinstance(element, Mapping) else None
        value = option.get("value") if isinstance(option, Mapping) else None
        return value if isinstance(value, str) else None
    return None


def _fields_by_subscription(values: Mapping[str, Any]) -> dict[int, dict[str, tuple[str, Any]]]:
    """{subscription id: {field: (block id, selected value)}} of the form's blocks."""
    found: dict[int, dict[str, tuple[str, Any]]] = {}
    for block_id, entry in values.items():
        for name, prefix in _FIELDS:
            raw_id = block_id.removeprefix(prefix) if block_id.startswith(prefix) else ""
            if raw_id.isdecimal() and len(raw_id) <= 12:
                found.setdefault(int(raw_id), {})[name] = (block_id, _selected(entry))
    return found


def _choice(fields: dict[str, tuple[str, Any]]) -> tuple[ScheduleChoice | None, dict[str, str]]:
    errors: dict[str, str] = {}
    anywhere = next(iter(fields.values()))[0]
    day_block, day = fields.get("day", (anywhere, None))
    hour_block, hour = fields.get("hour", (anywhere, None))
    zone_block, zone = fields.get("timezone", (anywhere, None))
    if day != DAY_OFF and not (isinstance(day, str) and day.isdecimal() and int(day) < 7):
        errors[day_block] = f"Choose a day ({DAY_NAMES[0]}…{DAY_NAMES[-1]}) or Off."
    if not (isinstance(hour, str) and hour.isdecimal() and int(hour) < 24):
        errors.setdefault(hour_block, "Choose an hour between 00:00 and 23:00.")
    if not (isinstance(zone, str) and is_valid_timezone(zone)):
        shown = zone[:40] if isinstance(zone, str) and zone else "That"
        errors.setdefault(
            zone_block,
            f"{shown} is not a timezone; type a city and pick one, e.g. Europe/Berlin.",
        )
    if errors:
        return None, errors
    assert isinstance(day, str) and isinstance(hour, str) and isinstance(zone, str)
    enabled = day != DAY_OFF
    return ScheduleChoice(enabled, int(day) if enabled else None, int(hour), zone), {}


def read_digest_settings(values: Mapping[str, Any]) -> SettingsSubmission:
    """The schedules a submitted form asks for, or why not (errors keyed by block id)."""
    choices: dict[int, ScheduleChoice] = {}
    errors: dict[str, str] = {}
    for subscription_id, fields in sorted(_fields_by_subscription(values).items()):
        choice, problems = _choice(fields)
        errors.update(problems)
        if choice is not None:
            choices[subscription_id] = choice
    return SettingsSubmission({} if errors else choices, errors)


def _valid_or_utc(timezone: str) -> str:
    return timezone if is_valid_timezone(timezone) else "UTC"


async def _channel_schedules(deps: Deps, *, team_id: str, channel_id: str) -> list[DigestSchedule]:
    """The channel's subscriptions, described as ``/reviews subscriptions`` does, with schedules."""
    lines = await list_channel_subscriptions(deps, team_id=team_id, channel_id=channel_id)
    descriptions = {line.id: line.description for line in lines}
    async with deps.sessions() as session:
        rows = await channel_subscriptions(session, team_id=team_id, channel_id=channel_id)
    return [_schedule(row, descriptions) for row in rows]


def _schedule(row: Subscription, descriptions: Mapping[int, str]) -> DigestSchedule:
    description = descriptions.get(row.id) or escape_mrkdwn(row.filter_text)
    return DigestSchedule(
        row.id,
        description,
        bool(row.digest_enabled),
        row.digest_day % 7,
        row.digest_hour % 24,
        _valid_or_utc(row.digest_timezone),
    )


async def digest_schedules(deps: Deps, actor: Actor) -> list[DigestSchedule]:
    """The schedules of the actor's channel for the form (admins only).

    UserError for a non-admin or a channel without subscriptions.
    """
    await require_admin(deps, actor, what=SCHEDULE_WHAT)
    channel_id = actor.channel_id or ""
    schedules = await _channel_schedules(deps, team_id=actor.team_id, channel_id=channel_id)
    if not schedules:
        raise UserError(NO_SUBSCRIPTIONS)
    return schedules


@dataclass(frozen=True)
class SavedSettings:
    """What a submission changed, and the ids it named that are not this channel's."""

    saved: list[DigestSchedule]
    skipped: list[int]


async def save_digest_settings(
    deps: Deps, actor: Actor, choices: Mapping[int, ScheduleChoice]
) -> SavedSettings:
    """Store the schedules (only this team's and channel's subscriptions) and rebuild the jobs.

    UserError for a non-admin.
    """
    await require_admin(deps, actor, what=SCHEDULE_WHAT)
    team_id, channel_id = actor.team_id, actor.channel_id or ""
    lines = await list_channel_subscriptions(deps, team_id=team_id, channel_id=channel_id)
    descriptions = {line.id: line.description for line in lines}
    saved: list[DigestSchedule] = []
    async with deps.sessions() as session, session.begin():
        # The form's ids are checked against the channel's rows, never trusted as given.
        rows = {
            row.id: row
            for row in await channel_subscriptions(session, team_id=team_id, channel_id=channel_id)
        }
        now = deps.clock()
        for subscription_id, choice in choices.items():
            row = rows.get(subscription_id)
            if row is None:
                continue
            row.digest_enabled = choice.enabled
            if choice.day is not None:
                row.digest_day = choice.day
            row.digest_hour = choice.hour
            row.digest_timezone = choice.timezone
            row.updated_at = now
            saved.append(_schedule(row, descriptions))
    skipped = sorted(set(choices) - {s.subscription_id for s in saved})
    if skipped:
        log.warning(
            "digest_settings_foreign_ids",
            team_id=team_id,
            channel_id=channel_id,
            subscription_ids=skipped,
        )
    if saved:
        deps.signals.schedules_changed()
        log.info(
            "digest_schedules_saved",
            team_id=team_id,
            channel_id=channel_id,
            subscription_ids=[s.subscription_id for s in saved],
        )
    return SavedSettings(saved, skipped)
