"""Pure Cloutly converters: the document's review example, nullable fields, garbage, no PII."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.providers.cloutly import (
    CloutlyPayloadError,
    business_from_api,
    review_from_api,
    source_display_name,
)
from bot.providers.cloutly.parse import field_errors_from_messages


def doc_review(**changes: Any) -> dict[str, Any]:
    """The document's GET /reviews example item, braces restored."""
    review: dict[str, Any] = {
        "authorName": "Tim Crowel",
        "businessId": "634d8ed1-11fd-413d-a9a6-d6b8ba0c95a5",
        "createdAt": "2021-02-03T00:00:00.000Z",
        "email": "tim.crowel@example.com",
        "id": "cbd42728-9c56-4485-813c-4c85d1e64cf4",
        "isArchived": False,
        "name": "Tim Crowel",
        "phoneNumber": "+14155550199",
        "photo": "https://cdn.example/tim.png",
        "rating": "5",
        "showOnWidget": True,
        "response": {
            "name": "My Business",
            "date": "2021-02-04",
            "comment": "Thank you for the wonderful feedback Tim. Thanks Tara",
        },
        "shield": False,
        "source": "trustpilot",
        "sourceFeedbackId": "601a81b4679d9705c86295eb",
        "status": "Responded",
        "reviewUrl": "",
        "text": "Fantastic. Couldn't be more satisfied.",
        "type": None,
        "videoRef": "/uploads/xxx/xxx.mp4",
        "gifRef": "/uploads/xxx/xxx.gif",
        "updatedAt": "2021-03-01T00:02:21.739Z",
    }
    review.update(changes)
    return review


def test_document_example() -> None:
    review = review_from_api(doc_review())
    assert review.platform == "cloutly"
    assert review.id == "cbd42728-9c56-4485-813c-4c85d1e64cf4"
    assert review.rating == 5
    assert review.source == "Trustpilot"
    assert review.published_at == datetime(2021, 2, 3, tzinfo=UTC)
    assert review.updated_at == datetime(2021, 3, 1, 0, 2, 21, 739000, tzinfo=UTC)
    assert review.organization_id == "634d8ed1-11fd-413d-a9a6-d6b8ba0c95a5"
    assert review.location_id is None and review.title is None
    assert review.author == "Tim Crowel"
    assert review.avatar_url == "https://cdn.example/tim.png"
    assert review.text == "Fantastic. Couldn't be more satisfied."
    assert review.url is None  # "reviewUrl": "" // or null
    assert review.reply == "Thank you for the wonderful feedback Tim. Thanks Tara"
    # "date": "2021-02-04" is a day, not midnight UTC (the evening before in New York).
    assert review.reply_at is None and review.reply_on == date(2021, 2, 4)
    assert review.replied is True  # "status": "Responded"
    assert review.archived is False  # "isArchived": false


def test_reviewer_contact_details_never_leave_the_converter() -> None:
    review = review_from_api(doc_review())
    for shown in (repr(review), str(review)):
        assert "tim.crowel@example.com" not in shown and "+14155550199" not in shown


def test_every_nullable_field_null() -> None:
    nullable = [
        "authorName",
        "businessId",
        "email",
        "name",
        "phoneNumber",
        "photo",
        "showOnWidget",
        "response",
        "reviewUrl",
        "text",
        "type",
        "videoRef",
        "gifRef",
        "updatedAt",
        "shield",
        "status",
        "sourceFeedbackId",
        "isArchived",
        "rating",
        "source",
    ]
    review = review_from_api(doc_review(**dict.fromkeys(nullable)))
    assert (review.author, review.avatar_url, review.text, review.url) == (None,) * 4
    assert (review.reply, review.reply_at, review.updated_at, review.organization_id) == (None,) * 4
    # "Most fields a nullable": no stars, no source, still a review.
    assert (review.rating, review.source, review.replied, review.archived) == (
        None,
        "Cloutly",
        None,
        None,
    )
    minimal = {"id": "r1", "rating": 3, "source": "google", "createdAt": "2024-01-01T10:00:00Z"}
    assert review_from_api(minimal).rating == 3
    bare = review_from_api({"id": "r2", "createdAt": "2024-01-01T10:00:00Z"})
    assert (bare.rating, bare.author, bare.text) == (None, None, None)


@pytest.mark.parametrize(
    ("changes", "replied", "archived"),
    [
        ({"status": "New", "isArchived": True}, False, True),
        ({"status": "Responded", "response": None}, True, False),
        ({"status": "Snoozed"}, None, False),
    ],
)
def test_status_and_archive(changes: dict[str, Any], replied: bool | None, archived: bool) -> None:
    review = review_from_api(doc_review(**changes))
    assert (review.replied, review.archived) == (replied, archived)


def test_a_reply_with_a_time_stays_an_instant() -> None:
    response = {"name": "B", "date": "2021-02-04T15:00:00.000Z", "comment": "Thanks"}
    review = review_from_api(doc_review(response=response))
    assert review.reply_at == datetime(2021, 2, 4, 15, tzinfo=UTC) and review.reply_on is None


@pytest.mark.parametrize(
    ("changes", "author"),
    [
        ({"authorName": None, "name": "Ann"}, "Ann"),
        ({"authorName": "  ", "name": "Ann"}, "Ann"),
        ({"authorName": None, "name": None}, None),
    ],
)
def test_author_falls_back_to_name(changes: dict[str, Any], author: str | None) -> None:
    assert review_from_api(doc_review(**changes)).author == author


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", None),
        (None, None),
        ("/uploads/relative", None),
        ("https://www.trustpilot.com/reviews/1", "https://www.trustpilot.com/reviews/1"),
    ],
)
def test_review_url(url: str | None, expected: str | None) -> None:
    assert review_from_api(doc_review(reviewUrl=url)).url == expected


@pytest.mark.parametrize(("rating", "stars"), [("5", 5), (" 1 ", 1), ("4.0", 4), (3, 3), (2.0, 2)])
def test_rating_forms(rating: object, stars: int) -> None:
    assert review_from_api(doc_review(rating=rating)).rating == stars


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rating": "abc"}, "rating"),
        ({"rating": "0"}, "rating"),
        ({"rating": "6"}, "rating"),
        ({"rating": 4.5}, "rating"),
        ({"rating": True}, "rating"),
        ({"id": None}, "id"),
        ({"id": 12}, "id"),
        ({"createdAt": None}, "createdAt"),
        ({"createdAt": "yesterday"}, "createdAt"),
        ({"updatedAt": 5}, "updatedAt"),
        ({"response": "thanks"}, "response"),
        ({"response": {"comment": "ok", "date": "soon"}}, "date"),
        ({"text": ["a"]}, "text"),
    ],
)
def test_garbage_fields_raise_a_value_error_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(CloutlyPayloadError, match=field) as info:
        review_from_api(doc_review(**changes))
    assert isinstance(info.value, ValueError)
    assert "tim.crowel" not in str(info.value)


@pytest.mark.parametrize("payload", [None, [], "review", 5])
def test_non_object_review(payload: object) -> None:
    with pytest.raises(CloutlyPayloadError, match="not a JSON object"):
        review_from_api(payload)


@pytest.mark.parametrize(
    ("source", "display"),
    [
        ("trustpilot", "Trustpilot"),
        ("google", "Google"),
        ("facebook", "Facebook"),
        ("yelp", "Yelp"),
        ("tripadvisor", "Tripadvisor"),
        ("booking.com", "Booking.com"),
        ("my_local-guide", "My Local Guide"),
    ],
)
def test_source_display_name(source: str, display: str) -> None:
    assert source_display_name(source) == display


def test_business_from_api() -> None:
    business = business_from_api(
        {"id": "5ef7b45b", "name": "My Business", "sources": ["google", "Facebook", None]}
    )
    assert (business.platform, business.id, business.name) == ("cloutly", "5ef7b45b", "My Business")
    assert business.sources == ("google", "facebook")
    assert business_from_api({"id": "abcdef123456", "name": None}).name == "Business abcdef12"
    with pytest.raises(CloutlyPayloadError, match="id"):
        business_from_api({"name": "No id"})
    with pytest.raises(CloutlyPayloadError, match="sources"):
        business_from_api({"id": "x", "sources": "google"})


def test_field_errors_from_nest_messages() -> None:
    messages = [
        "firstName should not be empty",
        "lastName must be a string",
        "channel must contain email or phoneNumber",
        "channel.email must be an email",
        "channel.phoneNumber must be a valid phone number in E.164 format",
        "businessId must be a UUID",
        "campaignId should not be empty",
        "source must be a string",
        "sourceContactId must be a string",
        "property foo should not exist",
        "Something else went wrong",
    ]
    assert field_errors_from_messages(messages) == {
        "first_name": ["firstName should not be empty"],
        "last_name": ["lastName must be a string"],
        "email": ["channel must contain email or phoneNumber", "channel.email must be an email"],
        "phone": [
            "channel must contain email or phoneNumber",
            "channel.phoneNumber must be a valid phone number in E.164 format",
        ],
        "business_id": ["businessId must be a UUID"],
        "campaign_id": ["campaignId should not be empty"],
        "source": ["source must be a string"],
        "source_contact_id": ["sourceContactId must be a string"],
    }
