"""Reading a submitted ``/reviews subscribe`` modal into a Filter, with inline errors, purely."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
)
from bot.blocks.subscribe_modal import RATING_CHOICES
from bot.filters import DEFAULT_ALERT_THRESHOLD, Filter, FilterSyntaxError, Mention, parse
from bot.text import truncate

__all__ = ["SubscribeChoice", "parse_subscribe_state"]

_HANDLE_SPLIT = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class SubscribeChoice:
    """What a submitted form asks for: a filter, maybe one connection, or errors by block_id."""

    filter: Filter
    connection_id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _state(values: Mapping[str, Any], block_id: str, action_id: str) -> Mapping[str, Any]:
    block = values.get(block_id) or {}
    state = block.get(action_id) if isinstance(block, Mapping) else None
    return state if isinstance(state, Mapping) else {}


def _selected(values: Mapping[str, Any], block_id: str, action_id: str) -> str | None:
    option = _state(values, block_id, action_id).get("selected_option")
    return str(option["value"]) if isinstance(option, Mapping) and option.get("value") else None


def _typed(values: Mapping[str, Any], block_id: str, action_id: str) -> str | None:
    value = _state(values, block_id, action_id).get("value")
    return value.strip() or None if isinstance(value, str) else None


def _group_mentions(text: str) -> tuple[tuple[Mention, ...], str | None]:
    """The mentions typed in the groups field, or the first bad item and why."""
    mentions: list[Mention] = []
    for item in (item for item in _HANDLE_SPLIT.split(text) if item):
        try:
            # The filter grammar already knows handles, escaped ids and who may not be mentioned.
            found = parse("mention:" + item, allow=frozenset({"mention"})).mentions
        except FilterSyntaxError as exc:
            reason = exc.reason.replace("`", "")
            return (), truncate(f"{item}: {reason}", 150)
        mentions += [m for m in found if m not in mentions]
    return tuple(mentions), None


@dataclass
class _Place:
    """The organization and location picked or typed, and the connection a pick names."""

    organization: str | None = None
    location: str | None = None
    connection_id: int | None = None


def _read_place(values: Mapping[str, Any], errors: dict[str, str]) -> _Place:
    place = _Place()
    org_connection: int | None = None
    org_value = _selected(values, BLOCK_SUB_ORG, ACTION_SUB_ORG)
    if org_value is not None:
        raw_connection, _, organization = org_value.partition(":")
        if not raw_connection.isdecimal() or not organization:
            errors[BLOCK_SUB_ORG] = "Pick an organization from the list again."
        else:
            place.organization = organization
            org_connection = place.connection_id = int(raw_connection)
    else:
        place.organization = _typed(values, BLOCK_SUB_ORG, ACTION_SUB_ORG_TEXT)

    location_value = _selected(values, BLOCK_SUB_LOCATION, ACTION_SUB_LOCATION)
    if location_value is None:
        place.location = _typed(values, BLOCK_SUB_LOCATION, ACTION_SUB_LOCATION_TEXT)
        return place
    raw_connection, _, rest = location_value.partition(":")
    location_org, _, location = rest.partition(":")
    if not raw_connection.isdecimal() or not location:
        errors[BLOCK_SUB_LOCATION] = "Pick a location from the list again."
    elif org_connection is not None and (
        int(raw_connection) != org_connection
        or (location_org and location_org != place.organization)
    ):
        errors[BLOCK_SUB_LOCATION] = (
            "That location belongs to another organization; pick one of the "
            "organization's locations, or leave one of the two empty."
        )
        place.location = location
    else:
        place.location = location
        place.connection_id = int(raw_connection)
    return place


def _read_sources(values: Mapping[str, Any]) -> frozenset[str]:
    sources_state = _state(values, BLOCK_SUB_SOURCES, ACTION_SUB_SOURCES)
    return frozenset(
        str(option["value"]).strip().casefold()
        for option in sources_state.get("selected_options") or ()
        if isinstance(option, Mapping) and option.get("value")
    )


def _read_rating(values: Mapping[str, Any], errors: dict[str, str]) -> tuple[int, int]:
    rating = _selected(values, BLOCK_SUB_RATING, ACTION_SUB_RATING)
    known_ratings = {value: (lo, hi) for value, _, lo, hi in RATING_CHOICES}
    if rating is None:
        return 1, 5
    if rating not in known_ratings:
        errors[BLOCK_SUB_RATING] = "Pick a rating from the list."
        return 1, 5
    return known_ratings[rating]


def _read_alert(values: Mapping[str, Any], errors: dict[str, str]) -> int:
    alert = _selected(values, BLOCK_SUB_ALERT, ACTION_SUB_ALERT)
    if alert is None:
        return DEFAULT_ALERT_THRESHOLD
    if alert.isdecimal() and 1 <= int(alert) <= 5:
        return int(alert)
    errors[BLOCK_SUB_ALERT] = "Pick a rating from 1 to 5."
    return DEFAULT_ALERT_THRESHOLD


def _read_mentions(values: Mapping[str, Any], errors: dict[str, str]) -> tuple[Mention, ...]:
    users = _state(values, BLOCK_SUB_USERS, ACTION_SUB_USERS).get("selected_users") or ()
    mentions = [Mention("user", str(user_id)) for user_id in users if user_id]
    groups_text = _typed(values, BLOCK_SUB_GROUPS, ACTION_SUB_GROUPS)
    if groups_text:
        groups, problem = _group_mentions(groups_text)
        if problem:
            errors[BLOCK_SUB_GROUPS] = problem
        mentions += [m for m in groups if m not in mentions]
    return tuple(mentions)


def parse_subscribe_state(values: Mapping[str, Any]) -> SubscribeChoice:
    """Read ``view.state.values`` of the subscribe modal into a filter (errors by block_id)."""
    errors: dict[str, str] = {}
    place = _read_place(values, errors)
    rating_min, rating_max = _read_rating(values, errors)
    alert_threshold = _read_alert(values, errors)  # errors keep the form's order
    chosen = Filter(
        organization=place.organization,
        location=place.location,
        rating_min=rating_min,
        rating_max=rating_max,
        sources=_read_sources(values),
        mentions=_read_mentions(values, errors),
        alert_threshold=alert_threshold,
    )
    return SubscribeChoice(filter=chosen, connection_id=place.connection_id, errors=errors)
