"""The Cloutly sandbox over real HTTP: seed data, routes, validation, auth, rate limit, faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from sandbox.cloutly import CloutlySandbox
from sandbox.cloutly_data import SEED_BUSINESSES, SMS_LIMIT

NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
# Every field of the document's GET /reviews example.
REVIEW_FIELDS = {
    "authorName",
    "businessId",
    "createdAt",
    "email",
    "id",
    "isArchived",
    "name",
    "phoneNumber",
    "photo",
    "rating",
    "showOnWidget",
    "response",
    "shield",
    "source",
    "sourceFeedbackId",
    "status",
    "reviewUrl",
    "text",
    "type",
    "videoRef",
    "gifRef",
    "updatedAt",
}


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[CloutlySandbox]:
    box = CloutlySandbox(now=lambda: NOW)
    await box.start()
    try:
        yield box
    finally:
        await box.stop()


@pytest_asyncio.fixture
async def api(sandbox: CloutlySandbox) -> AsyncIterator[httpx.AsyncClient]:
    assert sandbox.base_url is not None
    headers = {"x-api-key": sandbox.tokens["api_key"]}
    async with httpx.AsyncClient(base_url=sandbox.base_url + "/", headers=headers) as client:
        yield client


@pytest_asyncio.fixture
async def control(sandbox: CloutlySandbox) -> AsyncIterator[httpx.AsyncClient]:
    assert sandbox.base_url is not None
    root = sandbox.base_url.removesuffix("/api/v1")
    async with httpx.AsyncClient(base_url=root) as client:
        yield client


def invite_body(sandbox: CloutlySandbox, **changes: Any) -> dict[str, Any]:
    business_id = sandbox.businesses[0]["id"]
    body: dict[str, Any] = {
        "firstName": "John",
        "lastName": "Smith",
        "channel": {"email": "john@example.com", "phoneNumber": "+14155550123"},
        "source": "api",
        "sourceContactId": "number123",
        "businessId": business_id,
        "campaignId": sandbox.campaigns[business_id][0][0],
    }
    body.update(changes)
    return body


def test_seed_is_realistic_and_deterministic() -> None:
    box = CloutlySandbox(now=lambda: NOW)
    reviews = box.reviews
    assert 150 <= len(reviews) <= 250
    assert all(set(r) == REVIEW_FIELDS for r in reviews)
    assert {r["rating"] for r in reviews} == {"1", "2", "3", "4", "5", None}
    # "Most fields a nullable": some reviews lack a rating, an author, a text or a source.
    for field in ("rating", "authorName", "text", "source", "status"):
        assert 0 < sum(1 for r in reviews if r[field] is None) < len(reviews) // 5, field
    assert 0 < sum(1 for r in reviews if r["isArchived"]) < len(reviews) // 5
    assert any(r["status"] == "Responded" and r["response"] is None for r in reviews)
    for business in box.businesses:
        mine = [r for r in reviews if r["businessId"] == business["id"]]
        assert {r["source"] for r in mine} - {None} == set(business["sources"])
        assert 1 <= len(box.campaigns[business["id"]]) <= 2
    sources = {s for b in box.businesses for s in b["sources"]}
    assert {"google", "facebook", "trustpilot", "yelp", "tripadvisor"} <= sources
    assert sum(1 for r in reviews if r["response"]) > 20
    assert 0 < sum(1 for r in reviews if r["showOnWidget"]) < len(reviews) // 4
    assert {r["reviewUrl"] for r in reviews} >= {"", None}
    texts = " ".join(r["text"] or "" for r in reviews)
    assert all(char in texts for char in "<&*") and "🙌" in texts
    assert any(len(r["text"] or "") > 600 for r in reviews)
    assert any(r["email"] for r in reviews) and any(r["phoneNumber"] for r in reviews)
    oldest = min(datetime.fromisoformat(r["createdAt"]) for r in reviews)
    assert NOW - timedelta(weeks=16) <= oldest
    assert max(datetime.fromisoformat(r["createdAt"]) for r in reviews) <= NOW
    assert CloutlySandbox(now=lambda: NOW).reviews == reviews
    assert CloutlySandbox(seed=8, now=lambda: NOW).reviews != reviews
    summary = box.campaign_summary()
    assert all(b.name in summary and b.id in summary for b in SEED_BUSINESSES)


async def test_businesses(api: httpx.AsyncClient, sandbox: CloutlySandbox) -> None:
    response = await api.get("businesses")
    assert response.status_code == 200
    body = response.json()
    assert body == sandbox.businesses
    assert set(body[0]) == {"id", "name", "sources"}
    assert sandbox.requests == [("GET", "/api/v1/businesses", "")]


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "nope"}, {"x-api-key": ""}])
async def test_missing_or_unknown_key_is_401(
    sandbox: CloutlySandbox, headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=f"{sandbox.base_url}/") as client:
        response = await client.get("reviews", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"statusCode": 401, "message": "Unauthorized"}


async def test_reviews_default_order_and_total(api: httpx.AsyncClient) -> None:
    body = (await api.get("reviews")).json()
    assert body["total"] == len(body["reviews"]) > 150
    created = [r["createdAt"] for r in body["reviews"]]
    assert created == sorted(created, reverse=True)  # "reviews is ordered by createdAt: desc"
    ascending = (await api.get("reviews", params={"sort": "asc"})).json()["reviews"]
    assert [r["createdAt"] for r in ascending] == sorted(created)


async def test_review_filters(api: httpx.AsyncClient, sandbox: CloutlySandbox) -> None:
    trustpilot = (await api.get("reviews", params={"source": "trustpilot"})).json()
    assert trustpilot["total"] == sum(1 for r in sandbox.reviews if r["source"] == "trustpilot")
    assert {r["source"] for r in trustpilot["reviews"]} == {"trustpilot"}
    shown = (await api.get("reviews", params={"showOnWidget": "true"})).json()["reviews"]
    hidden = (await api.get("reviews", params={"showOnWidget": "false"})).json()["reviews"]
    assert shown and all(r["showOnWidget"] for r in shown)
    assert hidden and not any(r["showOnWidget"] for r in hidden)
    unknown = sum(1 for r in sandbox.reviews if r["showOnWidget"] is None)  # nullable
    assert len(shown) + len(hidden) + unknown == len(sandbox.reviews)
    unused = (await api.get("reviews", params={"source": "airbnb"})).json()
    assert unused == {"total": 0, "reviews": []}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sort": "newest"}, "sort must be one of the following values: desc, asc"),
        ({"showOnWidget": "yes"}, "showOnWidget must be a boolean value"),
        ({"source": "Google"}, "source must be one of the following values"),
        ({"source": "<script>"}, "source must be one of the following values"),
    ],
)
async def test_bad_review_query_is_400(
    api: httpx.AsyncClient, params: dict[str, str], message: str
) -> None:
    response = await api.get("reviews", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400 and body["error"] == "Bad Request"
    assert body["message"][0].startswith(message)


async def test_send_invite(api: httpx.AsyncClient, sandbox: CloutlySandbox) -> None:
    response = await api.post("send-review-invite", json=invite_body(sandbox))
    assert response.status_code == 200
    body = response.json()
    contact = body["contact"]
    # The document's example echoes "John" / "Smith" as "john" / "smith".
    assert contact["firstName"] == "john" and contact["lastName"] == "smith"
    assert contact["email"] == "john@example.com" and contact["phoneNumber"] == "+14155550123"
    assert contact["source"] == "api" and contact["sourceContactId"] == "number123"
    assert body["usage"]["smsLimitsLeft"] == SMS_LIMIT - 1
    assert datetime.fromisoformat(body["usage"]["renews"]) > NOW
    email_only = invite_body(sandbox, channel={"email": "ann@example.com"}, lastName=None)
    second = (await api.post("send-review-invite", json=email_only)).json()
    assert second["usage"]["smsLimitsLeft"] == SMS_LIMIT - 1  # no phone, no SMS used
    assert second["contact"]["phoneNumber"] is None and second["contact"]["lastName"] is None
    assert [i["contact"]["id"] for i in sandbox.invites] == [contact["id"], second["contact"]["id"]]


@pytest.mark.parametrize(
    ("changes", "messages"),
    [
        ({"firstName": ""}, ["firstName should not be empty"]),
        ({"firstName": None, "lastName": 7}, ["firstName should not be empty", "lastName must be a string"]),
        ({"channel": None}, ["channel should not be empty"]),
        ({"channel": {}}, ["channel must contain email or phoneNumber"]),
        ({"channel": {"email": "", "phoneNumber": None}}, ["channel must contain email or phoneNumber"]),
        ({"channel": {"email": "not-an-email"}}, ["channel.email must be an email"]),
        ({"channel": {"phoneNumber": "0044 1234"}}, ["channel.phoneNumber must be a valid phone number in E.164 format"]),
        ({"businessId": "123"}, ["businessId must be a UUID"]),
        ({"campaignId": None}, ["campaignId should not be empty"]),
    ],
)  # fmt: skip
async def test_invite_validation_is_400(
    api: httpx.AsyncClient, sandbox: CloutlySandbox, changes: dict[str, Any], messages: list[str]
) -> None:
    response = await api.post("send-review-invite", json=invite_body(sandbox, **changes))
    assert response.status_code == 400
    assert response.json() == {"statusCode": 400, "message": messages, "error": "Bad Request"}
    assert sandbox.invites == []


@pytest.mark.parametrize("content", [b"{not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe", b"null"])
async def test_malformed_invite_body_is_400(
    api: httpx.AsyncClient, sandbox: CloutlySandbox, content: bytes
) -> None:
    response = await api.post(
        "send-review-invite", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"
    assert sandbox.invites == []


async def test_oversized_body_is_413_not_500(api: httpx.AsyncClient) -> None:
    response = await api.post("send-review-invite", content=b"x" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["statusCode"] == 413


async def test_unknown_business_or_campaign_is_404(
    api: httpx.AsyncClient, sandbox: CloutlySandbox
) -> None:
    other_business = sandbox.businesses[1]["id"]
    unknown = "00000000-0000-4000-8000-000000000000"
    cases = [
        ({"businessId": unknown}, "Business not found"),
        ({"campaignId": unknown}, "Campaign not found"),
        ({"campaignId": sandbox.campaigns[other_business][0][0]}, "Campaign not found"),
    ]
    for changes, message in cases:
        response = await api.post("send-review-invite", json=invite_body(sandbox, **changes))
        assert response.status_code == 404
        assert response.json() == {"statusCode": 404, "message": message, "error": "Not Found"}
    assert sandbox.invites == []


async def test_unknown_route_and_method_are_nest_404s(api: httpx.AsyncClient) -> None:
    missing = await api.get("campaigns")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Cannot GET /api/v1/campaigns"
    wrong_method = await api.delete("reviews")
    assert wrong_method.status_code == 404
    assert wrong_method.json()["error"] == "Not Found"


async def test_rate_limit_fixed_window_per_key() -> None:
    box = CloutlySandbox(now=lambda: NOW, rate_limit=3, window_seconds=0.5)
    url = await box.start()
    try:
        async with httpx.AsyncClient(
            base_url=url + "/", headers={"x-api-key": box.tokens["api_key"]}
        ) as api:
            statuses = [(await api.get("businesses")).status_code for _ in range(4)]
            assert statuses == [200, 200, 200, 429]
            limited = await api.get("businesses")
            assert limited.json() == {"statusCode": 429, "message": "Too Many Requests"}
            # The document names no Retry-After (nor any X-RateLimit header): none is sent.
            assert not [h for h in limited.headers if h.lower().startswith(("retry", "x-rate"))]
            await asyncio.sleep(0.55)
            assert (await api.get("businesses")).status_code == 200
    finally:
        await box.stop()


async def test_default_rate_limit_is_the_documents_200_per_minute() -> None:
    box = CloutlySandbox()
    assert (box.rate_limit, box.window_seconds) == (200, 60.0)


async def test_fault_injection(api: httpx.AsyncClient, sandbox: CloutlySandbox) -> None:
    sandbox.inject_fault(status=503, count=2)
    sandbox.inject_fault(status=429, count=2)
    statuses = [await api.get("reviews") for _ in range(5)]
    assert [r.status_code for r in statuses] == [503, 503, 429, 429, 200]
    assert statuses[0].json() == {"statusCode": 503, "message": "Internal server error"}
    assert "Retry-After" not in statuses[2].headers and "Retry-After" not in statuses[3].headers
    with pytest.raises(TypeError, match="retry_after"):
        sandbox.inject_fault(status=429, retry_after=2)  # type: ignore[call-arg]
    sandbox.inject_fault(delay=0.3)
    started = asyncio.get_running_loop().time()
    assert (await api.get("businesses")).status_code == 200
    assert asyncio.get_running_loop().time() - started >= 0.3
    with pytest.raises(ValueError, match="status"):
        sandbox.inject_fault(status=200)


async def test_control_routes(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sandbox: CloutlySandbox
) -> None:
    created = await control.post(
        "/_sandbox/reviews", json={"rating": 2, "text": "Cold soup & slow <service>"}
    )
    assert created.status_code == 201
    review = created.json()
    assert set(review) == REVIEW_FIELDS
    assert review["rating"] == "2" and review["response"] is None
    assert review["createdAt"] == "2024-05-06T12:00:00.000Z"
    latest = (await api.get("reviews")).json()["reviews"][0]
    assert latest["id"] == review["id"]

    patched = await control.patch(
        f"/_sandbox/reviews/{review['id']}", json={"response": "Sorry, on us next time."}
    )
    assert patched.status_code == 200
    assert patched.json()["response"]["comment"] == "Sorry, on us next time."
    assert patched.json()["response"]["date"] == "2024-05-06"
    assert patched.json()["status"] == "Responded"
    assert (await control.patch("/_sandbox/reviews/nope", json={})).status_code == 404
    assert (await control.post("/_sandbox/reviews", content=b"[")).status_code == 400

    fault = await control.post("/_sandbox/faults", json={"status": 500, "count": 2})
    assert fault.json() == {"pending": 2}
    assert [(await api.get("businesses")).status_code for _ in range(3)] == [500, 500, 200]
    bad_fault = await control.post("/_sandbox/faults", json={"status": "boom"})
    assert bad_fault.status_code == 400
    kind_429 = await control.post("/_sandbox/faults", json={"status": 429, "retry_after": 1})
    assert kind_429.status_code == 400 and "no Retry-After" in str(kind_429.json()["message"])

    await api.post("send-review-invite", json=invite_body(sandbox))
    invites = (await control.get("/_sandbox/invites")).json()
    assert invites == sandbox.invites and len(invites) == 1
    campaigns = (await control.get("/_sandbox/campaigns")).json()
    assert [c["businessId"] for c in campaigns] == [b["id"] for b in sandbox.businesses]
    assert campaigns[0]["campaigns"][0]["id"] == sandbox.campaigns[campaigns[0]["businessId"]][0][0]
    # Control routes are not API requests: only the API calls are logged.
    assert all(path.startswith("/api/v1/") for _, path, _ in sandbox.requests)


def test_update_review_python_api() -> None:
    box = CloutlySandbox(now=lambda: NOW)
    review = box.reviews[0]
    changed = box.update_review(review["id"], rating=1, text="Changed my mind")
    assert changed["rating"] == "1" and changed["text"] == "Changed my mind"
    assert changed["updatedAt"] == "2024-05-06T12:00:00.000Z"
    with pytest.raises(KeyError):
        box.update_review("missing")
