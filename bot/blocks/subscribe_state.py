"""Reading a submitted ``/reviews subscribe`` modal into a Filter, with inline errors, purely."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    BLOCK_SUB_LANGUAGE,
    BLOCK_SUB_LOCATION,
    BLOCK_SUB_ORG,
    BLOCK_SUB_RATING,
    BLOCK_SUB_RESPOND,
    BLOCK_SUB_RESPOND_TEXT,
    BLOCK_SUB_ROLLUP,
    BLOCK_SUB_SOURCES,
    BLOCK_SUB_STYLE,
    BLOCK_SUB_TEXT,
    BLOCK_SUB_USERS,
)
from bot.blocks.subscribe_modal import (
    EVERY_CHOICES,
    RATING_CHOICES,
    RESPOND_CHOICES,
    ROLLUP_CHOICES,
)
from bot.domain import LANGUAGES
from bot.filters import (
    DEFAULT_ALERT_THRESHOLD,
    MAX_BACKFILL,
    Backfill,
    Filter,
    FilterSyntaxError,
    Mention,
    Style,
    parse,
)
from bot.filters.syntax import quote
from bot.text import truncate

__all__ = ["SubscribeChoice", "parse_subscribe_state"]

_HANDLE_SPLIT = re.compile(r"[\s,;]+")
_QUOTES = re.compile(r"[\"'“”‘’«»`]")
ERROR_LIMIT = 150


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


def _word(key: str, value: str, block_id: str, errors: dict[str, str]) -> Filter | None:
    """``key:value`` read by the filter grammar; its reason inline on ``block_id`` if wrong."""
    try:
        return parse(f"{key}:{quote(value, allow=',')}", allow=frozenset({key}))
    except FilterSyntaxError as exc:
        errors[block_id] = truncate(exc.reason.replace("`", ""), ERROR_LIMIT)
        return None


def _read_text(values: Mapping[str, Any], errors: dict[str, str]) -> tuple[str, ...]:
    typed = _typed(values, BLOCK_SUB_TEXT, ACTION_SUB_TEXT)
    if typed is None:
        return ()
    # Quotes do not matter to a word search, and the grammar could not quote both kinds.
    read = _word("text", _QUOTES.sub(" ", typed), BLOCK_SUB_TEXT, errors)
    return read.text if read else ()


def _read_languages(values: Mapping[str, Any], errors: dict[str, str]) -> frozenset[str]:
    chosen = _state(values, BLOCK_SUB_LANGUAGE, ACTION_SUB_LANGUAGE).get("selected_options")
    codes = {
        str(option["value"])
        for option in chosen or ()
        if isinstance(option, Mapping) and option.get("value")
    }
    if codes - set(LANGUAGES):
        errors[BLOCK_SUB_LANGUAGE] = "Pick languages from the list again."
        return frozenset()
    return frozenset(codes)


def _read_respond(values: Mapping[str, Any], errors: dict[str, str]) -> int | None:
    typed = _typed(values, BLOCK_SUB_RESPOND_TEXT, ACTION_SUB_RESPOND_TEXT)
    if typed is not None:
        read = _word("respond", typed, BLOCK_SUB_RESPOND_TEXT, errors)
        return read.respond_minutes if read else None
    picked = _selected(values, BLOCK_SUB_RESPOND, ACTION_SUB_RESPOND)
    known = {value: minutes for value, _, minutes in RESPOND_CHOICES}
    if picked is not None and picked not in known:
        errors[BLOCK_SUB_RESPOND] = "Pick a deadline from the list."
        return None
    return known.get(picked or "none")


def _read_rollup(
    values: Mapping[str, Any], errors: dict[str, str]
) -> tuple[tuple[int, int] | None, int | None]:
    picked = _selected(values, BLOCK_SUB_ROLLUP, ACTION_SUB_ROLLUP)
    known = {value: ratings for value, _, ratings in ROLLUP_CHOICES}
    if picked is not None and picked not in known:
        errors[BLOCK_SUB_ROLLUP] = "Pick a roll-up from the list."
        return None, None
    rollup = known.get(picked or "none")
    if rollup is None:
        return None, None
    every = _selected(values, BLOCK_SUB_EVERY, ACTION_SUB_EVERY)
    periods = {value: minutes for value, _, minutes in EVERY_CHOICES}
    if every is not None and every not in periods:
        errors[BLOCK_SUB_EVERY] = "Pick how often from the list."
    return rollup, periods.get(every or "", EVERY_CHOICES[-1][2])


def _read_style(values: Mapping[str, Any]) -> Style:
    picked = _selected(values, BLOCK_SUB_STYLE, ACTION_SUB_STYLE)
    return "compact" if picked == "compact" else "full"


def _read_backfill(values: Mapping[str, Any], errors: dict[str, str]) -> Backfill | None:
    typed = _typed(values, BLOCK_SUB_BACKFILL, ACTION_SUB_BACKFILL)
    if typed is None:
        return None
    if not typed.isdecimal() or int(typed) > MAX_BACKFILL:
        errors[BLOCK_SUB_BACKFILL] = f"A whole number from 0 to {MAX_BACKFILL}."
        return None
    return Backfill(count=int(typed)) if int(typed) else None


def _check_rollup(chosen: Filter, errors: dict[str, str]) -> None:
    """A roll-up may not swallow the low ratings that mentions and deadlines are for."""
    if chosen.rollup is None or not (chosen.mentions or chosen.respond_minutes):
        return
    if chosen.rollup[0] <= chosen.alert_threshold:
        errors.setdefault(
            BLOCK_SUB_ROLLUP,
            f"The roll-up would take the {chosen.alert_threshold}★-or-less reviews that "
            "mentions and the deadline are for; roll up 5★ only, or lower the alert rating.",
        )


def parse_subscribe_state(values: Mapping[str, Any]) -> SubscribeChoice:
    """Read ``view.state.values`` of the subscribe modal into a filter (errors by block_id)."""
    errors: dict[str, str] = {}
    place = _read_place(values, errors)
    rating_min, rating_max = _read_rating(values, errors)
    alert_threshold = _read_alert(values, errors)  # errors keep the form's order
    mentions = _read_mentions(values, errors)
    text = _read_text(values, errors)
    languages = _read_languages(values, errors)
    respond = _read_respond(values, errors)
    rollup, every = _read_rollup(values, errors)
    chosen = Filter(
        organization=place.organization,
        location=place.location,
        rating_min=rating_min,
        rating_max=rating_max,
        sources=_read_sources(values),
        mentions=mentions,
        alert_threshold=alert_threshold,
        text=text,
        languages=languages,
        respond_minutes=respond,
        rollup=rollup,
        rollup_every_minutes=every,
        style=_read_style(values),
        backfill=_read_backfill(values, errors),
    )
    _check_rollup(chosen, errors)
    return SubscribeChoice(filter=chosen, connection_id=place.connection_id, errors=errors)
