"""Pure Gumado converters: the document's example payloads, display names, and garbage input."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain import Location, Organization
from bot.providers.gumado import (
    GumadoPayloadError,
    location_from_webhook,
    organization_from_webhook,
    review_from_api,
    review_from_webhook,
    source_display_name,
    webhook_event,
    webhook_object_id,
)
from bot.providers.gumado.parse import is_known_webhook_event

# The document's "review-created / review-updated" payload, verbatim.
REVIEW_WEBHOOK: dict[str, Any] = {
    "webhook_event": "review-created",
    "id": 142,
    "organization_id": 1,
    "location_id": 3,
    "source_name": "google",
    "identifier": "AbcXyz123",
    "avatar": "https://lh3.googleusercontent.com/a/photo.jpg",
    "author": "Sarah Johnson",
    "rating": 5,
    "original_rating": 5,
    "title": None,
    "message": "Outstanding service! The team went above and beyond.",
    "url": "https://maps.google.com/review/...",
    "verified": True,
    "replied": False,
    "reply_message": None,
    "reply_url": None,
    "hidden": False,
    "reply_published_on": None,
    "published_on": "2025-12-15T10:30:00+00:00",
    "review_updated_on": None,
    "updated_at": "2025-12-15T10:35:00+00:00",
    "created_at": "2025-12-15T10:35:00+00:00",
    "meta": {},
}

# The document's "List Reviews" example item, verbatim.
REVIEW_API: dict[str, Any] = {
    "id": 142,
    "organization_id": 1,
    "location_id": 3,
    "author": "Sarah Johnson",
    "date": "2025-12-15T10:30:00.000000Z",
    "rating": 5,
    "title": None,
    "message": "Outstanding service! The team went above and beyond.",
    "source": "Google",
    "source_logo": "https://example.com/logos/google.svg",
    "avatar": "https://lh3.googleusercontent.com/a/photo.jpg",
    "reply": "Thank you Sarah! We appreciate your kind words.",
    "reply_date": "2025-12-16T09:00:00.000000Z",
}


def test_review_from_the_document_webhook_example() -> None:
    review = review_from_webhook(REVIEW_WEBHOOK)
    assert review.platform == "gumado"
    assert (review.id, review.organization_id, review.location_id) == ("142", "1", "3")
    assert review.source == "Google"
    assert review.rating == 5
    assert review.text == REVIEW_WEBHOOK["message"]
    assert review.url == "https://maps.google.com/review/..."
    assert review.published_at == datetime(2025, 12, 15, 10, 30, tzinfo=UTC)
    assert review.updated_at == datetime(2025, 12, 15, 10, 35, tzinfo=UTC)
    assert review.reply is None and review.reply_at is None
    # The review state the API example lacks: "verified", "hidden", "original_rating"...
    assert (review.hidden, review.verified, review.replied) == (False, True, False)
    assert (review.original_rating, review.edited_at, review.reply_url) == (5, None, None)
    assert not review.edited_by_reviewer


def test_review_webhook_of_a_hidden_review_edited_by_its_reviewer() -> None:
    payload = {
        **REVIEW_WEBHOOK,
        "webhook_event": "review-updated",
        "rating": 4,
        "original_rating": 2,
        "hidden": True,
        "verified": 0,  # Laravel's uncast boolean
        "replied": True,
        "reply_url": "https://maps.google.com/review/reply",
        "review_updated_on": "2025-12-20T08:00:00+00:00",
    }
    review = review_from_webhook(payload)
    assert (review.hidden, review.verified, review.replied) == (True, False, True)
    assert review.original_rating == 2 and review.edited_by_reviewer
    assert review.edited_at == datetime(2025, 12, 20, 8, tzinfo=UTC)
    assert review.reply_url == "https://maps.google.com/review/reply"


def test_an_odd_review_state_field_never_costs_the_review() -> None:
    payload = {
        **REVIEW_WEBHOOK,
        "hidden": "no",
        "original_rating": "lots",
        "review_updated_on": "later",
        "reply_url": 5,
    }
    review = review_from_webhook(payload)
    assert (review.hidden, review.original_rating, review.edited_at, review.reply_url) == (
        None,
        None,
        None,
        None,
    )


def test_a_review_without_stars_is_a_review() -> None:
    assert review_from_webhook({**REVIEW_WEBHOOK, "rating": None}).rating is None
    assert review_from_api({**REVIEW_API, "rating": None}).rating is None


def test_review_webhook_with_a_reply() -> None:
    payload = {
        **REVIEW_WEBHOOK,
        "webhook_event": "review-updated",
        "replied": True,
        "reply_message": "Thanks!",
        "reply_published_on": "2025-12-16T09:00:00+00:00",
    }
    review = review_from_webhook(payload)
    assert review.reply == "Thanks!"
    assert review.reply_at == datetime(2025, 12, 16, 9, 0, tzinfo=UTC)


def test_review_from_the_document_api_example() -> None:
    review = review_from_api(REVIEW_API)
    assert review.source == "Google"
    assert review.published_at == datetime(2025, 12, 15, 10, 30, tzinfo=UTC)
    assert review.reply == "Thank you Sarah! We appreciate your kind words."
    assert review.reply_at == datetime(2025, 12, 16, 9, 0, tzinfo=UTC)
    assert review.source_logo_url == "https://example.com/logos/google.svg"
    assert review.url is None  # the API example carries no review URL
    # ...nor any review state: None means "not said", not "false".
    state = ("hidden", "verified", "original_rating", "edited_at", "replied", "reply_url")
    assert all(getattr(review, name) is None for name in state)
    from_webhook = review_from_webhook(REVIEW_WEBHOOK)
    shared = ("id", "rating", "source", "published_at", "organization_id", "location_id")
    shared += ("author", "avatar_url", "title", "text")
    assert all(getattr(review, name) == getattr(from_webhook, name) for name in shared)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("google", "Google"),
        ("Google", "Google"),
        ("facebook", "Facebook"),
        ("yelp", "Yelp"),
        ("trustpilot", "Trustpilot"),
        ("tripadvisor", "Tripadvisor"),
        ("TripAdvisor", "TripAdvisor"),
        ("booking.com", "Booking.com"),
        ("airbnb", "Airbnb"),
        ("app_store", "App Store"),
        ("google_play", "Google Play"),
        ("some_local_site", "Some Local Site"),
        ("MyLocalGuide", "MyLocalGuide"),
    ],
)
def test_source_display_names(raw: str, shown: str) -> None:
    assert source_display_name(raw) == shown


@pytest.mark.parametrize(("raw", "stars"), [(0, 1), (1, 1), ("4", 4), (4.6, 5), (10, 5)])
def test_ratings_are_clamped_to_one_to_five(raw: object, stars: int) -> None:
    assert review_from_webhook({**REVIEW_WEBHOOK, "rating": raw}).rating == stars


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rating": "five"}, "rating"),
        ({"rating": True}, "rating"),
        ({"rating": float("nan")}, "rating"),
        ({"id": None}, "id"),
        ({"id": [1]}, "id"),
        ({"source_name": ""}, "source_name"),
        ({"source_name": 7}, "source_name"),
        ({"published_on": "yesterday"}, "published_on"),
        ({"published_on": None}, "published_on"),
        ({"message": {"text": "hi"}}, "message"),
        ({"reply_published_on": 12}, "reply_published_on"),
        ({"webhook_event": "organization-created"}, "webhook_event"),
    ],
)
def test_garbage_review_webhooks_raise_a_clear_value_error(
    change: dict[str, Any], field: str
) -> None:
    with pytest.raises(GumadoPayloadError, match=field) as raised:
        review_from_webhook({**REVIEW_WEBHOOK, **change})
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("payload", [None, [], "review", 42])
def test_non_objects_raise_a_value_error(payload: object) -> None:
    for parse in (review_from_webhook, review_from_api, organization_from_webhook):
        with pytest.raises(ValueError, match="not a JSON object"):
            parse(payload)


def test_naive_timestamps_are_taken_as_utc() -> None:
    review = review_from_api({**REVIEW_API, "date": "2025-12-15 10:30:00"})
    assert review.published_at == datetime(2025, 12, 15, 10, 30, tzinfo=UTC)


def test_organization_and_location_webhooks() -> None:
    organization = organization_from_webhook(
        {
            "webhook_event": "organization-created",
            "id": 1,
            "user_id": 1,
            "name": "Acme Dental Clinic",
            "updated_at": "2025-12-15T10:30:00+00:00",
            "created_at": "2025-12-15T10:30:00+00:00",
        }
    )
    assert organization == Organization(
        platform="gumado",
        id="1",
        name="Acme Dental Clinic",
        created_at=datetime(2025, 12, 15, 10, 30, tzinfo=UTC),
        updated_at=datetime(2025, 12, 15, 10, 30, tzinfo=UTC),
    )
    location = location_from_webhook(
        {
            "webhook_event": "location-created",
            "id": 3,
            "organization_id": 1,
            "name": "Downtown Branch",
            "updated_at": "2025-12-15T10:30:00+00:00",
            "created_at": "2025-12-15T10:30:00+00:00",
        }
    )
    assert location == Location(
        platform="gumado", id="3", organization_id="1", name="Downtown Branch"
    )


def test_deleted_events_carry_only_an_id() -> None:
    deleted = {"webhook_event": "organization-deleted", "id": 1}
    assert webhook_event(deleted) == "organization-deleted"
    assert webhook_object_id(deleted) == "1"
    with pytest.raises(GumadoPayloadError, match="webhook_object_id"):
        organization_from_webhook(deleted)
    with pytest.raises(GumadoPayloadError, match="webhook_object_id"):
        location_from_webhook({"webhook_event": "location-deleted", "id": 3})
    with pytest.raises(GumadoPayloadError, match="name"):
        location_from_webhook({"webhook_event": "location-created", "id": 3})
    # A newer Gumado's event is read (and acknowledged by intake), not refused.
    assert webhook_event({"webhook_event": "review-exploded", "id": 1}) == "review-exploded"
    assert not is_known_webhook_event("review-exploded")
    assert is_known_webhook_event("organization-deleted")
    for garbage in ({"id": 1}, {"webhook_event": "", "id": 1}, {"webhook_event": 3}):
        with pytest.raises(GumadoPayloadError, match="webhook_event"):
            webhook_event(garbage)
