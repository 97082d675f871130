"""Pure converters from Cloutly JSON to the normalized models, and 400-message mapping.

Converters raise :class:`CloutlyPayloadError` (a ``ValueError``) naming the field, never its
value, when a field is missing or garbage ("Most fields a nullable so remember to unwrap
fields", says the document). The reviewer's ``email`` and ``phoneNumber`` are never read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal

from bot.domain import Organization, Review, source_display_name
from bot.providers.protocol import PayloadError

__all__ = [
    "PLATFORM",
    "CloutlyPayloadError",
    "business_from_api",
    "field_errors_from_messages",
    "review_from_api",
    "safe_id",
    "source_display_name",
]

PLATFORM: Literal["cloutly"] = "cloutly"
# A review whose "source" is null still needs a name on its card: it came through Cloutly.
UNKNOWN_SOURCE = "Cloutly"
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


# Leading property name of a 400 message (NestJS class-validator style: "firstName should not
# be empty", "channel.email must be an email") → our field names.
_FIELDS: dict[str, tuple[str, ...]] = {
    "firstname": ("first_name",),
    "lastname": ("last_name",),
    "channel": ("email", "phone"),
    "channel.email": ("email",),
    "email": ("email",),
    "channel.phonenumber": ("phone",),
    "phonenumber": ("phone",),
    "phone": ("phone",),
    "businessid": ("business_id",),
    "campaignid": ("campaign_id",),
    "source": ("source",),
    "sourcecontactid": ("source_contact_id",),
    "showonwidget": ("show_on_widget",),
    "sort": ("sort",),
}
_LEADING_NAME = re.compile(r"^\s*(?:property\s+)?([A-Za-z_][\w.]*)")


class CloutlyPayloadError(PayloadError):
    """A Cloutly answer lacks a field or has one of the wrong type (messages name no values)."""


def _optional_text(data: Mapping[str, Any], key: str, what: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise CloutlyPayloadError(f"Cloutly {what}: {key!r} must be a string or null")
    return value.strip() or None


def _required_text(data: Mapping[str, Any], key: str, what: str) -> str:
    value = _optional_text(data, key, what)
    if value is None:
        raise CloutlyPayloadError(f"Cloutly {what} has no {key!r}")
    return value


def _optional_url(data: Mapping[str, Any], key: str, what: str) -> str | None:
    # "reviewUrl": "" // or null (the document); relative paths ("/uploads/…") are useless to
    # Slack, which needs absolute http(s) URLs for links and images.
    value = _optional_text(data, key, what)
    return value if value and value.startswith(("https://", "http://")) else None


def _optional_time(data: Mapping[str, Any], key: str, what: str) -> datetime | date | None:
    """A timestamp, or a :class:`date` when the value has no time (``response.date``)."""
    value = _optional_text(data, key, what)
    if value is None:
        return None
    try:
        # "2021-02-03T00:00:00.000Z" for createdAt, but a bare "2021-02-04" for response.date:
        # a day, not midnight UTC (which is the evening before in the Americas).
        if _DATE_ONLY.fullmatch(value):
            return date.fromisoformat(value)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CloutlyPayloadError(f"Cloutly {what}: {key!r} is not an ISO 8601 date") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _timestamp(data: Mapping[str, Any], key: str, what: str) -> datetime | None:
    moment = _optional_time(data, key, what)
    if isinstance(moment, datetime) or moment is None:
        return moment
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def _rating(data: Mapping[str, Any], what: str) -> int | None:
    value = data.get("rating")  # a string in the document's example: "rating": "5"
    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # "Most fields a nullable": a review without stars is still a review
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.0+)?\s*", value):
        value = int(float(value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise CloutlyPayloadError(f"Cloutly {what}: 'rating' must be a whole number from 1 to 5")
    return value


def _replied(data: Mapping[str, Any]) -> bool | None:
    # "status": "Responded" in the document's example (a review with a response); "New" before.
    status = data.get("status")
    if not isinstance(status, str):
        return None
    return {"responded": True, "new": False}.get(status.strip().casefold())


def review_from_api(payload: object) -> Review:
    """Normalize one item of ``GET /reviews`` ``reviews``; the reviewer's email/phone are dropped.

    Only ``id`` and ``createdAt`` are required: "Most fields a nullable", so a review without
    a rating, author, text or source still becomes a card.
    """
    what = "review"
    if not isinstance(payload, Mapping):
        raise CloutlyPayloadError(f"Cloutly {what} is not a JSON object")
    published_at = _timestamp(payload, "createdAt", what)
    if published_at is None:
        raise CloutlyPayloadError(f"Cloutly {what} has no 'createdAt'")
    response = payload.get("response")
    if response is not None and not isinstance(response, Mapping):
        raise CloutlyPayloadError(f"Cloutly {what}: 'response' must be an object or null")
    response = response or {}
    replied_on = _optional_time(response, "date", "review response")
    archived = payload.get("isArchived")
    source = _optional_text(payload, "source", what)
    return Review(
        platform=PLATFORM,
        id=_required_text(payload, "id", what),
        rating=_rating(payload, what),
        source=source_display_name(source) if source else UNKNOWN_SOURCE,
        published_at=published_at,
        organization_id=_optional_text(payload, "businessId", what),
        location_id=None,
        author=_optional_text(payload, "authorName", what) or _optional_text(payload, "name", what),
        avatar_url=_optional_url(payload, "photo", what),
        text=_optional_text(payload, "text", what),
        url=_optional_url(payload, "reviewUrl", what),
        reply=_optional_text(response, "comment", "review response"),
        reply_at=replied_on if isinstance(replied_on, datetime) else None,
        reply_on=None if isinstance(replied_on, datetime) else replied_on,
        updated_at=_timestamp(payload, "updatedAt", what),
        replied=_replied(payload),
        archived=archived if isinstance(archived, bool) else None,
    )


def business_from_api(payload: object) -> Organization:
    """Normalize one business (location) of ``GET /businesses``."""
    what = "business"
    if not isinstance(payload, Mapping):
        raise CloutlyPayloadError(f"Cloutly {what} is not a JSON object")
    business_id = _required_text(payload, "id", what)
    sources = payload.get("sources")
    if sources is not None and not isinstance(sources, list):
        raise CloutlyPayloadError(f"Cloutly {what}: 'sources' must be a list")
    return Organization(
        platform=PLATFORM,
        id=business_id,
        # Most fields are nullable (the document); a nameless business still needs a label.
        name=_optional_text(payload, "name", what) or f"Business {business_id[:8]}",
        # Kept as Cloutly's ids ("google"): they are what GET /reviews?source= takes.
        sources=tuple(s.strip().lower() for s in sources or () if isinstance(s, str) and s.strip()),
    )


def safe_id(payload: object) -> str:
    """The id of a raw item for a log line (never any other field: they may be personal)."""
    raw = payload.get("id") if isinstance(payload, Mapping) else None
    return repr(str(raw)[:64]) if isinstance(raw, str | int) else "<no id>"


def field_errors_from_messages(messages: list[str]) -> dict[str, list[str]]:
    """Map 400 messages onto our field names by their leading property name."""
    errors: dict[str, list[str]] = {}
    for message in messages:
        match = _LEADING_NAME.match(message)
        for field in _FIELDS.get(match.group(1).lower() if match else "", ()):
            errors.setdefault(field, []).append(message)
    return errors
