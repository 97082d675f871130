"""Pure converters from Gumado JSON (API answers and webhook payloads) to the normalized models.

Every converter raises :class:`GumadoPayloadError` (a ``ValueError``) with a message naming the
field when the payload is not what the API document describes; none of them raises ``KeyError``
or ``TypeError`` on garbage. Messages name fields and types, never values (they may be personal).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.domain import (
    Campaign,
    Country,
    Location,
    Me,
    Organization,
    Review,
    Source,
    source_display_name,
)
from bot.providers.protocol import PayloadError

__all__ = [
    "GumadoPayloadError",
    "campaign_from_api",
    "country_from_api",
    "is_known_webhook_event",
    "location_from_webhook",
    "me_from_api",
    "organization_from_api",
    "organization_from_webhook",
    "review_from_api",
    "review_from_webhook",
    "source_display_name",
    "source_from_api",
    "webhook_event",
    "webhook_object_id",
]


T = TypeVar("T")

WEBHOOK_EVENTS = (
    "review-created",
    "review-updated",
    "organization-created",
    "organization-updated",
    "organization-deleted",
    "location-created",
    "location-updated",
    "location-deleted",
)
"""Every event of the document's "Webhook Events" table: the app uses them all."""


class GumadoPayloadError(PayloadError):
    """A Gumado API answer or webhook payload lacks a field or has one of the wrong type."""


def _mapping(payload: object, what: str) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise GumadoPayloadError(f"Gumado {what} is not a JSON object ({type(payload).__name__})")
    return payload


def _id(payload: Mapping[str, Any], key: str, what: str) -> str:
    value = payload.get(key)
    if isinstance(value, bool) or value is None:
        raise GumadoPayloadError(f"Gumado {what} has no {key!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise GumadoPayloadError(f"Gumado {what}: {key!r} must be an integer or a string")


def _optional_id(payload: Mapping[str, Any], key: str, what: str) -> str | None:
    if payload.get(key) is None or payload.get(key) == "":
        return None
    return _id(payload, key, what)


def _text(payload: Mapping[str, Any], key: str, what: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip():
        raise GumadoPayloadError(f"Gumado {what}: {key!r} must be a non-empty string")
    return value


def _optional_text(payload: Mapping[str, Any], key: str, what: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise GumadoPayloadError(
            f"Gumado {what}: {key!r} must be a string or null, not {type(value).__name__}"
        )
    return value or None


def _timestamp(payload: Mapping[str, Any], key: str, what: str) -> datetime:
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip():
        raise GumadoPayloadError(f"Gumado {what}: {key!r} must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise GumadoPayloadError(f"Gumado {what}: {key!r} is not an ISO 8601 date-time") from None
    # The document's timestamps carry "Z" or "+00:00"; a bare one is taken as UTC too.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _optional_timestamp(payload: Mapping[str, Any], key: str, what: str) -> datetime | None:
    if payload.get(key) is None or payload.get(key) == "":
        return None
    return _timestamp(payload, key, what)


def _rating(payload: Mapping[str, Any], key: str, what: str) -> int | None:
    value = payload.get(key)
    if value is None or value == "":
        # Not every source has stars (a Facebook recommendation): a card says "No rating".
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise GumadoPayloadError(f"Gumado {what}: {key!r} must be a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GumadoPayloadError(f"Gumado {what}: {key!r} must be a number from 1 to 5")
    # Stars are 1..5; a source scoring 0 or 10 is clamped rather than dropping the review.
    return min(5, max(1, round(value)))


def _flag(payload: Mapping[str, Any], key: str) -> bool | None:
    """A true/false field; None when absent or unreadable (a badge never costs the review)."""
    value = payload.get(key)
    if isinstance(value, bool):
        return value
    # Laravel serializes an uncast boolean column as 0/1.
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def _lenient(read: Callable[[], T]) -> T | None:
    """A review-state field, or None when unreadable: a badge never costs the review."""
    try:
        return read()
    except GumadoPayloadError:
        return None


def _review_state(data: Mapping[str, Any], what: str) -> dict[str, Any]:
    """The webhook's review-state fields (taken from API answers too, when present)."""
    return {
        "hidden": _flag(data, "hidden"),
        "verified": _flag(data, "verified"),
        "original_rating": _lenient(lambda: _rating(data, "original_rating", what)),
        "edited_at": _lenient(lambda: _optional_timestamp(data, "review_updated_on", what)),
        "replied": _flag(data, "replied"),
        "reply_url": _lenient(lambda: _optional_text(data, "reply_url", what)),
    }


def review_from_api(payload: object) -> Review:
    """Normalize one item of ``GET /reviews`` ``data`` (the document's "Example Response").

    The example has none of the webhook's review-state fields (``hidden``, ``verified``,
    ``original_rating``, ``review_updated_on``, ``replied``, ``reply_url``): taken if present.
    """
    what = "review"
    data = _mapping(payload, what)
    return Review(
        platform="gumado",
        id=_id(data, "id", what),
        rating=_rating(data, "rating", what),
        source=source_display_name(_text(data, "source", what)),
        published_at=_timestamp(data, "date", what),
        organization_id=_optional_id(data, "organization_id", what),
        location_id=_optional_id(data, "location_id", what),
        author=_optional_text(data, "author", what),
        avatar_url=_optional_text(data, "avatar", what),
        title=_optional_text(data, "title", what),
        text=_optional_text(data, "message", what),
        # The API example has no review URL (only webhooks carry "url"); take it if present.
        url=_optional_text(data, "url", what),
        source_logo_url=_optional_text(data, "source_logo", what),
        reply=_optional_text(data, "reply", what),
        reply_at=_optional_timestamp(data, "reply_date", what),
        updated_at=_optional_timestamp(data, "updated_at", what),
        **_review_state(data, what),
    )


def webhook_event(payload: object) -> str:
    """The ``webhook_event`` of a payload ("All payloads include the webhook_event field").

    Any name is returned, one this version knows or not: Gumado may add events, and an endpoint
    subscribed to them must still acknowledge them (see :func:`is_known_webhook_event`).
    """
    data = _mapping(payload, "webhook payload")
    event = data.get("webhook_event")
    if not isinstance(event, str) or not event.strip():
        raise GumadoPayloadError("Gumado webhook payload has no 'webhook_event'")
    return event


def is_known_webhook_event(event: str) -> bool:
    """Whether ``event`` is in the document's "Webhook Events" table (the ones the app handles)."""
    return event in WEBHOOK_EVENTS


def webhook_object_id(payload: object) -> str:
    """The ``id`` of a webhook payload (all a ``*-deleted`` event carries besides the event)."""
    return _id(_mapping(payload, "webhook payload"), "id", "webhook payload")


def _check_event(data: Mapping[str, Any], prefix: str, what: str) -> None:
    event = data.get("webhook_event")
    if event is not None and (not isinstance(event, str) or not event.startswith(prefix)):
        raise GumadoPayloadError(f"Gumado {what}: 'webhook_event' is not a {prefix}* event")


def review_from_webhook(payload: object) -> Review:
    """Normalize a ``review-created`` / ``review-updated`` webhook payload."""
    what = "review webhook"
    data = _mapping(payload, what)
    _check_event(data, "review-", what)
    return Review(
        platform="gumado",
        id=_id(data, "id", what),
        rating=_rating(data, "rating", what),
        source=source_display_name(_text(data, "source_name", what)),
        published_at=_timestamp(data, "published_on", what),
        organization_id=_optional_id(data, "organization_id", what),
        location_id=_optional_id(data, "location_id", what),
        author=_optional_text(data, "author", what),
        avatar_url=_optional_text(data, "avatar", what),
        title=_optional_text(data, "title", what),
        text=_optional_text(data, "message", what),
        url=_optional_text(data, "url", what),
        reply=_optional_text(data, "reply_message", what),
        reply_at=_optional_timestamp(data, "reply_published_on", what),
        updated_at=_optional_timestamp(data, "updated_at", what),
        **_review_state(data, what),
    )


def organization_from_api(payload: object) -> Organization:
    """Normalize one organization of ``GET /organizations`` (or a single-organization answer)."""
    what = "organization"
    data = _mapping(payload, what)
    return Organization(
        platform="gumado",
        id=_id(data, "id", what),
        name=_text(data, "name", what),
        created_at=_optional_timestamp(data, "created_at", what),
        updated_at=_optional_timestamp(data, "updated_at", what),
    )


def organization_from_webhook(payload: object) -> Organization:
    """Normalize an ``organization-created`` / ``organization-updated`` payload."""
    what = "organization webhook"
    data = _mapping(payload, what)
    _check_event(data, "organization-", what)
    if data.get("webhook_event") == "organization-deleted":
        raise GumadoPayloadError(
            "Gumado organization-deleted carries only an id: use webhook_object_id()"
        )
    return organization_from_api(data)


def location_from_webhook(payload: object) -> Location:
    """Normalize a ``location-created`` / ``location-updated`` payload."""
    what = "location webhook"
    data = _mapping(payload, what)
    _check_event(data, "location-", what)
    if data.get("webhook_event") == "location-deleted":
        raise GumadoPayloadError(
            "Gumado location-deleted carries only an id: use webhook_object_id()"
        )
    return Location(
        platform="gumado",
        id=_id(data, "id", what),
        organization_id=_optional_id(data, "organization_id", what),
        name=_text(data, "name", what),
    )


def campaign_from_api(payload: object) -> Campaign:
    """Normalize one item of ``GET /request-reviews/campaigns``."""
    what = "campaign"
    data = _mapping(payload, what)
    return Campaign(platform="gumado", id=_id(data, "id", what), name=_text(data, "name", what))


def source_from_api(payload: object) -> Source:
    """Normalize one item of ``GET /sources``."""
    what = "source"
    data = _mapping(payload, what)
    available = data.get("available", True)
    return Source(
        id=_id(data, "id", what),
        name=source_display_name(_text(data, "name", what)),
        url=_optional_text(data, "url", what),
        logo_url=_optional_text(data, "logo", what),
        available=available if isinstance(available, bool) else True,
    )


def country_from_api(payload: object) -> Country:
    """Normalize one item of ``GET /countries`` (``id`` is the ISO 3166-1 alpha-2 code)."""
    what = "country"
    data = _mapping(payload, what)
    return Country(code=_text(data, "id", what).upper(), name=_text(data, "name", what))


def me_from_api(payload: object) -> Me:
    """Normalize ``GET /me``."""
    what = "account (/me)"
    data = _mapping(payload, what)
    return Me(
        id=_id(data, "id", what),
        name=_text(data, "name", what),
        email=_optional_text(data, "email", what),
    )
