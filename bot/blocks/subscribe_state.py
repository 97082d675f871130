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
from bot.blocks.text import truncate
from bot.filters import DEFAULT_ALERT_THRESHOLD, Filter, FilterSyntaxError, Mention, parse

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


def parse_subscribe_state(values: Mapping[str, Any]) -> SubscribeChoice:
    """Read ``view.state.values`` of the subscribe modal into a filter (errors by block_id)."""
    errors: dict[str, str] = {}
    connection_id: int | None = None
    organization: str | None = None
    org_connection: int | None = None
    org_value = _selected(values, BLOCK_SUB_ORG, ACTION_SUB_ORG)
    if org_value is not None:
        raw_connection, _, organization = org_value.partition(":")
        if not raw_connection.isdecimal() or not organization:
            errors[BLOCK_SUB_ORG] = "Pick an organization from the list again."
            organization = None
        else:
            org_connection = connection_id = int(raw_connection)
    else:
        organization = _typed(values, BLOCK_SUB_ORG, ACTION_SUB_ORG_TEXT)

    location: str | None = None
    location_value = _selected(values, BLOCK_SUB_LOCATION, ACTION_SUB_LOCATION)
    if location_value is not None:
        raw_connection, _, rest = location_value.partition(":")
        location_org, _, location = rest.partition(":")
        if not raw_connection.isdecimal() or not location:
            errors[BLOCK_SUB_LOCATION] = "Pick a location from the list again."
            location = None
        elif org_connection is not None and (
            int(raw_connection) != org_connection or (location_org and location_org != organization)
        ):
            errors[BLOCK_SUB_LOCATION] = (
                "That location belongs to another organization; pick one of the "
                "organization's locations, or leave one of the two empty."
            )
        else:
            connection_id = int(raw_connection)
    else:
        location = _typed(values, BLOCK_SUB_LOCATION, ACTION_SUB_LOCATION_TEXT)

    sources_state = _state(values, BLOCK_SUB_SOURCES, ACTION_SUB_SOURCES)
    sources = frozenset(
        str(option["value"]).strip().casefold()
        for option in sources_state.get("selected_options") or ()
        if isinstance(option, Mapping) and option.get("value")
    )

    rating_min, rating_max = 1, 5
    rating = _selected(values, BLOCK_SUB_RATING, ACTION_SUB_RATING)
    known_ratings = {value: (lo, hi) for value, _, lo, hi in RATING_CHOICES}
    if rating is not None:
        if rating not in known_ratings:
            errors[BLOCK_SUB_RATING] = "Pick a rating from the list."
        else:
            rating_min, rating_max = known_ratings[rating]

    alert = _selected(values, BLOCK_SUB_ALERT, ACTION_SUB_ALERT)
    alert_threshold = DEFAULT_ALERT_THRESHOLD
    if alert is not None:
        if alert.isdecimal() and 1 <= int(alert) <= 5:
            alert_threshold = int(alert)
        else:
            errors[BLOCK_SUB_ALERT] = "Pick a rating from 1 to 5."

    users = _state(values, BLOCK_SUB_USERS, ACTION_SUB_USERS).get("selected_users") or ()
    mentions = [Mention("user", str(user_id)) for user_id in users if user_id]
    groups_text = _typed(values, BLOCK_SUB_GROUPS, ACTION_SUB_GROUPS)
    if groups_text:
        groups, problem = _group_mentions(groups_text)
        if problem:
            errors[BLOCK_SUB_GROUPS] = problem
        mentions += [m for m in groups if m not in mentions]

    chosen = Filter(
        organization=organization,
        location=location,
        rating_min=rating_min,
        rating_max=rating_max,
        sources=sources,
        mentions=tuple(mentions),
        alert_threshold=alert_threshold,
    )
    return SubscribeChoice(filter=chosen, connection_id=connection_id, errors=errors)
