"""Normalized platform models, the provider error tree and the Provider protocol.

Every client returns these frozen values and never a raw dict, so the rest of the app does not
care whether a review came from Gumado or Cloutly. Platform ids are strings everywhere
(Gumado uses integers for reviews/organizations and UUIDs for campaigns; Cloutly uses UUIDs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar

from bot.errors import (
    AuthError,
    Invalid,
    NotFound,
    ProviderError,
    RateLimited,
    ScopeError,
    Unavailable,
)

__all__ = [
    "AuthError",
    "Campaign",
    "Country",
    "Invalid",
    "InviteResult",
    "Location",
    "Me",
    "NotFound",
    "Organization",
    "Page",
    "PayloadError",
    "Platform",
    "ProviderError",
    "RateLimited",
    "Review",
    "ScopeError",
    "Source",
    "Unavailable",
]

Platform = str
"""A platform's key (``connections.platform``): see ``bot.providers.registry.PLATFORMS``."""
T = TypeVar("T")


class PayloadError(ValueError):
    """A platform's answer or webhook payload is not what its document describes.

    Messages name fields and types, never values (they may be personal).
    """


@dataclass(frozen=True, slots=True)
class Review:
    """One review as the app sees it, whatever platform it came from.

    The review-state fields (``hidden`` … ``archived``) are None when the platform's answer
    does not say (Gumado's ``GET /reviews`` carries none of them; its webhooks carry them all).
    """

    platform: Platform
    id: str
    rating: int | None
    """1–5 stars, or None: a review may have none (Cloutly: "Most fields a nullable")."""
    source: str
    """Display name of the review site, e.g. ``Google`` (webhooks say ``google``: normalized)."""
    published_at: datetime
    organization_id: str | None = None
    location_id: str | None = None
    author: str | None = None
    avatar_url: str | None = None
    title: str | None = None
    text: str | None = None
    url: str | None = None
    source_logo_url: str | None = None
    reply: str | None = None
    reply_at: datetime | None = None
    reply_on: date | None = None
    """The reply's day when the platform gives a date without a time (Cloutly ``2021-02-04``)."""
    updated_at: datetime | None = None
    hidden: bool | None = None
    """Hidden on the business's review widget (Gumado ``hidden``); the review still counts."""
    verified: bool | None = None
    original_rating: int | None = None
    """The rating first given, before the reviewer edited it (Gumado ``original_rating``)."""
    edited_at: datetime | None = None
    """When the reviewer edited the review (Gumado ``review_updated_on``)."""
    replied: bool | None = None
    """The business replied (Gumado ``replied``; Cloutly ``status`` "Responded")."""
    reply_url: str | None = None
    archived: bool | None = None
    """Archived in the platform's inbox (Cloutly ``isArchived``)."""

    @property
    def edited_by_reviewer(self) -> bool:
        """True when the reviewer changed the review after writing it."""
        changed_rating = (
            self.original_rating is not None
            and self.rating is not None
            and self.original_rating != self.rating
        )
        # A source may stamp review_updated_on at publication too: that is not an edit.
        edited_later = self.edited_at is not None and self.edited_at > self.published_at
        return edited_later or changed_rating


@dataclass(frozen=True, slots=True)
class Organization:
    """A Gumado organization or a Cloutly business (location)."""

    platform: Platform
    id: str
    name: str
    sources: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Location:
    """A Gumado location of an organization (known from webhooks only: the API has no list)."""

    platform: Platform
    id: str
    organization_id: str | None
    name: str


@dataclass(frozen=True, slots=True)
class Campaign:
    """A review-request campaign."""

    platform: Platform
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class InviteResult:
    """What the platform said when it accepted an invite (Gumado 202, Cloutly 200/201)."""

    platform: Platform
    id: str
    message: str | None = None
    contact_id: str | None = None
    sms_limits_left: int | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """A review site the platform can collect from."""

    id: str
    name: str
    url: str | None = None
    logo_url: str | None = None
    available: bool = True


@dataclass(frozen=True, slots=True)
class Country:
    """A country with its ISO 3166-1 alpha-2 code."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Me:
    """The account a Gumado token belongs to."""

    id: str
    name: str
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a paginated list, with the numbers needed to page forwards and back."""

    items: tuple[T, ...]
    page: int = 1
    last_page: int = 1
    per_page: int = 10
    total: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def has_next(self) -> bool:
        return self.page < self.last_page

    @property
    def has_prev(self) -> bool:
        return self.page > 1
