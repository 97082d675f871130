"""The Gumado sandbox's data and what changes it: organizations, locations, reviews, invites.

Every change fires the webhook the document names for it, in the document's payload shape.
The HTTP side (tokens, rate limit, faults, routes) is in :mod:`sandbox.gumado`.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from sandbox.gumado_data import (
    FIRST_REVIEW_ID,
    avatar_for,
    build_seed,
    make_author,
    make_identifier,
    review_text,
)
from sandbox.gumado_invites import accept_invite
from sandbox.gumado_models import (
    CampaignRecord,
    InviteRecord,
    LocationRecord,
    OrganizationRecord,
    ReviewRecord,
    SandboxInvalid,
    SandboxNotFound,
    SourceRecord,
    as_int,
    optional_str,
    valid_moment,
    valid_rating,
)
from sandbox.webhooks import DeliveryAttempt, WebhookDispatcher, WebhookSubscription

ReviewOrder = Literal["newest", "oldest", "shuffled"]
PER_PAGE = 10

_REVIEW_FIELDS = frozenset(
    {
        "organization_id", "location_id", "source", "rating", "author", "title", "message",
        "published_on", "reply_message", "avatar", "url", "identifier", "verified", "hidden",
    }
)  # fmt: skip
_REVIEW_CHANGES = frozenset(
    {"rating", "title", "message", "reply_message", "author", "avatar", "hidden", "verified"}
)


class GumadoState:
    """Seeded in-memory state of one Gumado account, and its webhook endpoints."""

    def __init__(
        self,
        *,
        seed: int = 7,
        now: Callable[[], datetime] | None = None,
        webhook_retry_scale: float = 1.0,
        webhook_timeout: float = 30.0,
    ) -> None:
        self._now = now or (lambda: datetime.now(UTC))
        self.review_order: ReviewOrder = "newest"
        self._rng = random.Random(seed)
        data = build_seed(self._rng, self.now())
        self.me = data.me
        self.sources: list[SourceRecord] = data.sources
        self.organizations = {org.id: org for org in data.organizations}
        self.locations = {loc.id: loc for loc in data.locations}
        self.campaigns: dict[str, CampaignRecord] = {c.id: c for c in data.campaigns}
        self.reviews = {review.id: review for review in data.reviews}
        self.countries = data.countries
        self.unsubscribed: set[str] = set(data.unsubscribed)
        self.invites: list[InviteRecord] = list(data.invites)
        self._kinds = data.kinds
        self.webhooks = WebhookDispatcher(
            retry_scale=webhook_retry_scale, attempt_timeout=webhook_timeout
        )

    def now(self) -> datetime:
        """The sandbox's clock (injected in tests)."""
        return self._now()

    # ---------------------------------------------------------------- webhooks

    def register_webhook(self, url: str, events: Iterable[str] | None = None) -> str:
        """Send events (all, or the named ones) to ``url``; returns the subscription id."""
        return self.webhooks.register(url, events).id

    @property
    def webhook_subscriptions(self) -> list[WebhookSubscription]:
        """Registered endpoints."""
        return list(self.webhooks.subscriptions)

    @property
    def deliveries(self) -> list[DeliveryAttempt]:
        """Every delivery attempt so far (event, url, attempt, status)."""
        return list(self.webhooks.log)

    async def wait_for_deliveries(self, timeout: float | None = 10.0) -> bool:
        """Wait until every webhook delivery has been acknowledged or given up."""
        return await self.webhooks.wait(timeout)

    def _fire(self, payload: dict[str, Any]) -> dict[str, Any]:
        # Without a running loop (plain synchronous use) there is nothing to deliver with.
        with contextlib.suppress(RuntimeError):
            self.webhooks.dispatch(payload)
        return payload

    # ---------------------------------------------------------------- organizations

    def organization(self, organization_id: object) -> OrganizationRecord:
        """The organization with this id, or :class:`SandboxNotFound`."""
        org = self.organizations.get(as_int(organization_id) or 0)
        if org is None:
            raise SandboxNotFound("Organization not found.")
        return org

    def _check_name(self, name: object, *, ignore: int | None = None) -> str:
        if not isinstance(name, str) or not name.strip():
            message = (
                "The name field is required." if not name else "The name field must be a string."
            )
            raise SandboxInvalid({"name": [message]})
        name = name.strip()
        if len(name) > 255:
            raise SandboxInvalid(
                {"name": ["The name field must not be greater than 255 characters."]}
            )
        taken = any(
            org.name.casefold() == name.casefold() and org.id != ignore
            for org in self.organizations.values()
        )
        if taken:
            raise SandboxInvalid({"name": ["The name has already been taken."]})
        return name

    def create_organization(self, name: object) -> dict[str, Any]:
        """Create an organization (fires ``organization-created``); returns its API shape."""
        checked = self._check_name(name)
        stamp = self.now()
        org = OrganizationRecord(max(self.organizations, default=0) + 1, checked, stamp, stamp)
        self.organizations[org.id] = org
        self._fire(org.webhook("organization-created"))
        return org.api()

    def update_organization(self, organization_id: object, name: object) -> dict[str, Any]:
        """Rename an organization (fires ``organization-updated``); returns its API shape."""
        org = self.organization(organization_id)
        checked = self._check_name(name, ignore=org.id)
        if checked != org.name:
            org.name = checked
            org.updated_at = self.now()
            self._fire(org.webhook("organization-updated"))
        return org.api()

    def delete_organization(self, organization_id: object) -> None:
        """Delete an organization with its locations, reviews and campaigns (fires the event)."""
        org = self.organization(organization_id)
        if len(self.organizations) == 1:
            # "You must have at least one remaining organization." (Delete Organization)
            raise SandboxInvalid(
                {"organization": ["You must have at least one remaining organization."]}
            )
        del self.organizations[org.id]
        self.locations = {k: v for k, v in self.locations.items() if v.organization_id != org.id}
        self.reviews = {k: v for k, v in self.reviews.items() if v.organization_id != org.id}
        self.campaigns = {k: v for k, v in self.campaigns.items() if v.organization_id != org.id}
        self._fire(org.webhook("organization-deleted"))

    # ---------------------------------------------------------------- locations

    def location(self, location_id: object) -> LocationRecord:
        """The location with this id, or :class:`SandboxNotFound`."""
        location = self.locations.get(as_int(location_id) or 0)
        if location is None:
            raise SandboxNotFound("Location not found.")
        return location

    def _location_name(self, name: object) -> str:
        if not isinstance(name, str) or not name.strip():
            raise SandboxInvalid({"name": ["The name field is required."]})
        if len(name.strip()) > 255:
            raise SandboxInvalid(
                {"name": ["The name field must not be greater than 255 characters."]}
            )
        return name.strip()

    def add_location(self, organization_id: object, name: object) -> dict[str, Any]:
        """Add a location to an organization (fires ``location-created``); returns the payload."""
        org = self._existing_org(organization_id)
        stamp = self.now()
        location = LocationRecord(
            max(self.locations, default=0) + 1, org.id, self._location_name(name), stamp, stamp
        )
        self.locations[location.id] = location
        return self._fire(location.webhook("location-created"))

    def update_location(
        self, location_id: object, *, name: object = None, organization_id: object = None
    ) -> dict[str, Any]:
        """Rename or move a location (fires ``location-updated``); returns the payload."""
        location = self.location(location_id)
        new_name = location.name if name is None else self._location_name(name)
        org_id = location.organization_id
        if organization_id is not None:
            org_id = self._existing_org(organization_id).id
        location.name, location.organization_id = new_name, org_id
        location.updated_at = self.now()
        return self._fire(location.webhook("location-updated"))

    def delete_location(self, location_id: object) -> dict[str, Any]:
        """Remove a location (fires ``location-deleted``); its reviews keep their location id."""
        location = self.location(location_id)
        del self.locations[location.id]
        return self._fire(location.webhook("location-deleted"))

    def _existing_org(self, organization_id: object) -> OrganizationRecord:
        org = self.organizations.get(as_int(organization_id) or 0)
        if org is None:
            raise SandboxInvalid({"organization_id": ["The selected organization id is invalid."]})
        return org

    # ---------------------------------------------------------------- reviews

    def source(self, name: object) -> SourceRecord:
        """A source by display name or webhook slug (any case)."""
        wanted = str(name).strip().casefold()
        for source in self.sources:
            if wanted in (source.name.casefold(), source.slug.casefold()):
                return source
        raise SandboxInvalid({"source": ["The selected source is invalid."]})

    def add_review(self, **fields: Any) -> dict[str, Any]:
        """Receive a new review (fires ``review-created``); returns that payload.

        Fields: organization_id, location_id, source (``Google`` or ``google``), rating,
        author, title, message, published_on (datetime or ISO string), reply_message, avatar,
        url, identifier, verified, hidden. Missing ones get realistic values.
        """
        unknown = sorted(set(fields) - _REVIEW_FIELDS)
        if unknown:
            raise SandboxInvalid({name: [f"The {name} field is not allowed."] for name in unknown})
        org = self._existing_org(fields.get("organization_id", min(self.organizations)))
        locations = [loc.id for loc in self.locations.values() if loc.organization_id == org.id]
        location_id = fields.get("location_id", locations[0] if locations else None)
        if location_id is not None:
            location = self.locations.get(as_int(location_id) or 0)
            if location is None or location.organization_id != org.id:
                raise SandboxInvalid({"location_id": ["The selected location id is invalid."]})
            location_id = location.id
        rating = valid_rating(fields.get("rating", 5))
        stamp = self.now()
        published = valid_moment(fields.get("published_on", stamp), "published_on")
        source = self.source(fields.get("source", "Google"))
        identifier = optional_str(fields.get("identifier"), "identifier") or make_identifier(
            self._rng
        )
        author = optional_str(fields.get("author"), "author") or make_author(self._rng)
        message = fields.get("message")
        if "message" not in fields:
            message = review_text(self._rng, self._kinds.get(org.id, "dental"), rating)
        review = ReviewRecord(
            id=max(self.reviews, default=FIRST_REVIEW_ID - 1) + 1,
            organization_id=org.id,
            location_id=location_id,
            source=source,
            identifier=identifier,
            author=author,
            rating=rating,
            original_rating=rating,
            published_on=published,
            created_at=stamp,
            updated_at=stamp,
            title=optional_str(fields.get("title"), "title"),
            message=optional_str(message, "message"),
            avatar=optional_str(fields.get("avatar"), "avatar")
            if "avatar" in fields
            else avatar_for(identifier, self._rng),
            url=optional_str(fields.get("url"), "url")
            or f"https://maps.google.com/review/{identifier}",
            verified=bool(fields.get("verified", True)),
            hidden=bool(fields.get("hidden", False)),
        )
        reply = optional_str(fields.get("reply_message"), "reply_message")
        if reply:
            review.reply_message = reply
            review.reply_published_on = stamp
            review.reply_url = review.url
        self.reviews[review.id] = review
        return self._fire(review.webhook("review-created"))

    def update_review(self, review_id: object, **changes: Any) -> dict[str, Any]:
        """Change a review (reply added, rating changed…; fires ``review-updated``)."""
        review = self.reviews.get(as_int(review_id) or 0)
        if review is None:
            raise SandboxNotFound("Review not found.")
        unknown = sorted(set(changes) - _REVIEW_CHANGES)
        if unknown:
            raise SandboxInvalid({name: [f"The {name} field is not allowed."] for name in unknown})
        # Check every change before applying any, so a rejected request changes nothing.
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "rating":
                checked[name] = valid_rating(value)
            elif name in ("hidden", "verified"):
                checked[name] = bool(value)
            else:
                checked[name] = optional_str(value, name)
        stamp = self.now()
        if "rating" in checked:
            # "original_rating" keeps the rating first given; "rating" is the current one.
            review.original_rating = review.original_rating or review.rating
            review.rating = checked["rating"]
        if "rating" in checked or "message" in checked:
            review.review_updated_on = stamp  # the reviewer edited their review
        for name in ("message", "title", "author", "avatar", "hidden", "verified"):
            if name in checked:
                setattr(review, name, checked[name])
        if "reply_message" in checked:
            reply = checked["reply_message"]
            review.reply_message = reply
            review.reply_published_on = stamp if reply else None
            review.reply_url = review.url if reply else None
        review.updated_at = stamp
        return self._fire(review.webhook("review-updated"))

    def filtered_reviews(
        self,
        *,
        rating: int | None = None,
        organization_id: int | None = None,
        location_id: int | None = None,
        source_names: list[str] | None = None,
    ) -> list[ReviewRecord]:
        """Reviews matching every filter given, in ``review_order``.

        The document never says in which order ``GET /reviews`` lists reviews, so the sandbox
        can list them newest first (the default), oldest first, or newest first with each page
        of 10 shuffled: the app must be right whichever it meets.
        """
        wanted = {name.casefold() for name in source_names or ()}
        found = [
            review
            for review in self.reviews.values()
            if (rating is None or review.rating == rating)
            and (organization_id is None or review.organization_id == organization_id)
            and (location_id is None or review.location_id == location_id)
            and (
                not wanted
                or review.source.name.casefold() in wanted
                or review.source.slug.casefold() in wanted
            )
        ]
        ordered = sorted(found, key=lambda r: (r.published_on, r.id), reverse=True)
        if self.review_order == "oldest":
            ordered.reverse()
        elif self.review_order == "shuffled":
            shuffler = random.Random(len(ordered))  # the same answer for the same list
            pages = [ordered[i : i + PER_PAGE] for i in range(0, len(ordered), PER_PAGE)]
            for page in pages:
                shuffler.shuffle(page)
            ordered = [review for page in pages for review in page]
        return ordered

    # ---------------------------------------------------------------- invites

    def send_invite(self, campaign_id: str, body: Mapping[str, Any]) -> InviteRecord:
        """Validate and accept an invite as ``POST …/invite`` does (see ``gumado_invites``)."""
        campaign = self.campaigns.get(campaign_id.lower())
        if campaign is None:
            raise SandboxNotFound("Campaign not found.")
        invite = accept_invite(
            campaign, body, self.invites, self.unsubscribed, self.now(), self._rng
        )
        self.invites.append(invite)
        return invite
