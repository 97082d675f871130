"""The Gumado sandbox's records and their JSON shapes, exactly as the API document prints them.

API answers use Laravel's default date format (``2025-12-15T10:30:00.000000Z``); webhook
payloads use ISO 8601 with an offset (``2025-12-15T10:30:00+00:00``), as the document shows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web


def api_time(moment: datetime | None) -> str | None:
    """``2025-12-15T10:30:00.000000Z`` (the document's API examples)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def webhook_time(moment: datetime | None) -> str | None:
    """``2025-12-15T10:30:00+00:00`` (the document's webhook payloads)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


_INTEGER = re.compile(r"^-?[0-9]{1,15}$")


def parse_int(text: str) -> int | None:
    """A plain ASCII integer (at most 15 digits) from ``text``, else ``None``."""
    text = text.strip()
    return int(text) if _INTEGER.match(text) else None


class BadRequest(Exception):
    """A body that is not JSON (or not an object): 400 ``{"message": …}``."""


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is ``{}`` (validation then speaks)."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


class SandboxInvalid(ValueError):
    """Input the sandbox rejects; becomes a 422 in the document's validation-error shape."""

    def __init__(self, errors: dict[str, list[str]], message: str | None = None) -> None:
        self.errors = errors
        messages = [m for ms in errors.values() for m in ms]
        if message is None:
            message = messages[0] if messages else "The given data was invalid."
            extra = len(messages) - 1
            if extra > 0:  # Laravel's summary: "… (and 2 more errors)"
                message += f" (and {extra} more error{'s' if extra > 1 else ''})"
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        """The 422 body: ``{"message": …, "errors": {field: [messages]}}``."""
        return {"message": self.message, "errors": self.errors}


class SandboxNotFound(LookupError):
    """A resource the sandbox does not have; becomes a 404 ``{"message": …}``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class SourceRecord:
    """A review site (``GET /sources``); ``slug`` is what webhooks call it."""

    id: int
    name: str
    slug: str
    url: str
    available: bool = True
    can_collect_reviews: bool = True
    deep_linking_supported: bool = True
    has_titles: bool = False

    @property
    def logo(self) -> str:
        """Logo URL in the form of the document's example."""
        return f"https://example.com/logos/{self.slug}.svg"

    def api(self) -> dict[str, Any]:
        """Item of ``GET /sources``."""
        return {
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "logo": self.logo,
            "available": self.available,
            "can_collect_reviews": self.can_collect_reviews,
            "deep_linking_supported": self.deep_linking_supported,
        }


@dataclass
class OrganizationRecord:
    """An organization of the account."""

    id: int
    name: str
    created_at: datetime
    updated_at: datetime
    user_id: int = 1

    def api(self) -> dict[str, Any]:
        """Item of ``GET /organizations`` (the document's example)."""
        return {
            "id": self.id,
            "name": self.name,
            "created_at": api_time(self.created_at),
            "updated_at": api_time(self.updated_at),
        }

    def webhook(self, event: str) -> dict[str, Any]:
        """``organization-created`` / ``-updated`` payload; ``-deleted`` carries only the id."""
        if event == "organization-deleted":
            return {"webhook_event": event, "id": self.id}
        return {
            "webhook_event": event,
            "id": self.id,
            "user_id": self.user_id,
            "name": self.name,
            "updated_at": webhook_time(self.updated_at),
            "created_at": webhook_time(self.created_at),
        }


@dataclass
class LocationRecord:
    """A location of an organization (no API endpoint; seen in webhooks and ``location_id``)."""

    id: int
    organization_id: int
    name: str
    created_at: datetime
    updated_at: datetime

    def webhook(self, event: str) -> dict[str, Any]:
        """``location-created`` / ``-updated`` payload; ``-deleted`` carries only the id."""
        if event == "location-deleted":
            return {"webhook_event": event, "id": self.id}
        return {
            "webhook_event": event,
            "id": self.id,
            "organization_id": self.organization_id,
            "name": self.name,
            "updated_at": webhook_time(self.updated_at),
            "created_at": webhook_time(self.created_at),
        }

    def as_dict(self) -> dict[str, Any]:
        """Answer of the ``/_sandbox/locations`` control routes."""
        return {
            "id": self.id,
            "organization_id": self.organization_id,
            "name": self.name,
            "created_at": api_time(self.created_at),
            "updated_at": api_time(self.updated_at),
        }


@dataclass
class ReviewRecord:
    """One review with every field of the review webhook payload."""

    id: int
    organization_id: int
    location_id: int | None
    source: SourceRecord
    identifier: str
    author: str
    rating: int
    published_on: datetime
    created_at: datetime
    updated_at: datetime
    title: str | None = None
    message: str | None = None
    avatar: str | None = None
    url: str | None = None
    verified: bool = True
    hidden: bool = False
    original_rating: int | None = None
    reply_message: str | None = None
    reply_url: str | None = None
    reply_published_on: datetime | None = None
    review_updated_on: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def api(self) -> dict[str, Any]:
        """Item of ``GET /reviews`` (the document's "Example Response")."""
        return {
            "id": self.id,
            "organization_id": self.organization_id,
            "location_id": self.location_id,
            "author": self.author,
            "date": api_time(self.published_on),
            "rating": self.rating,
            "title": self.title,
            "message": self.message,
            "source": self.source.name,
            "source_logo": self.source.logo,
            "avatar": self.avatar,
            "reply": self.reply_message,
            "reply_date": api_time(self.reply_published_on),
        }

    def webhook(self, event: str) -> dict[str, Any]:
        """``review-created`` / ``review-updated`` payload, field for field as documented."""
        return {
            "webhook_event": event,
            "id": self.id,
            "organization_id": self.organization_id,
            "location_id": self.location_id,
            "source_name": self.source.slug,
            "identifier": self.identifier,
            "avatar": self.avatar,
            "author": self.author,
            "rating": self.rating,
            "original_rating": self.original_rating if self.original_rating else self.rating,
            "title": self.title,
            "message": self.message,
            "url": self.url,
            "verified": self.verified,
            "replied": self.reply_message is not None,
            "reply_message": self.reply_message,
            "reply_url": self.reply_url,
            "hidden": self.hidden,
            "reply_published_on": webhook_time(self.reply_published_on),
            "published_on": webhook_time(self.published_on),
            "review_updated_on": webhook_time(self.review_updated_on),
            "updated_at": webhook_time(self.updated_at),
            "created_at": webhook_time(self.created_at),
            "meta": dict(self.meta),
        }


@dataclass
class CampaignRecord:
    """A review-request campaign with its send window and duplicate protection."""

    id: str
    organization_id: int
    name: str
    send_window: tuple[int, int] | None = None
    """UTC hours [start, end) invites go out in; ``None`` is all day."""
    default_delay_hours: int = 0
    dedup_days: int = 14

    def api(self) -> dict[str, Any]:
        """Item of ``GET /request-reviews/campaigns``."""
        return {"id": self.id, "name": self.name}


@dataclass
class InviteRecord:
    """One accepted invite request and what the sandbox did with it."""

    id: str
    campaign_id: str
    status: str
    """``queued``; ``ignored`` (duplicate within the window); ``unsubscribed`` (not sent)."""
    received_at: datetime
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    send_after_hours: int | None = None
    scheduled_for: datetime | None = None
    fields_sent: tuple[str, ...] = ()
    """Body fields the request carried (tells an omitted ``send_after_hours`` from ``null``)."""

    def as_dict(self) -> dict[str, Any]:
        """Answer of ``GET /_sandbox/invites`` (sandbox only: real contacts never go here)."""
        return {
            "id": self.id,
            "campaign_id": self.campaign_id,
            "status": self.status,
            "received_at": api_time(self.received_at),
            "email": self.email,
            "phone": self.phone,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "send_after_hours": self.send_after_hours,
            "scheduled_for": api_time(self.scheduled_for),
            "fields_sent": list(self.fields_sent),
        }


# Field checks with the messages Gumado's validation gives (422 field_errors).


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return parse_int(value)
    return None


def valid_rating(value: object) -> int:
    rating = as_int(value)
    if rating is None or not 1 <= rating <= 5:
        raise SandboxInvalid({"rating": ["The rating field must be between 1 and 5."]})
    return rating


def optional_str(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SandboxInvalid({name: [f"The {name.replace('_', ' ')} field must be a string."]})
    return value


def valid_moment(value: object, name: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise SandboxInvalid(
                {name: [f"The {name.replace('_', ' ')} field must be a valid date."]}
            ) from None
    else:
        raise SandboxInvalid({name: [f"The {name.replace('_', ' ')} field must be a valid date."]})
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).replace(microsecond=0)
