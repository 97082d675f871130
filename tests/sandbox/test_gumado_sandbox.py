"""The Gumado sandbox speaks the API document's protocol: shapes, auth, limits, validation, seed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sandbox.gumado import GumadoSandbox
from sandbox.gumado_invites import EMAIL_OR_PHONE_REQUIRED

NOW = datetime(2025, 12, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
async def sandbox() -> AsyncIterator[GumadoSandbox]:
    sandbox = GumadoSandbox(now=lambda: NOW, webhook_retry_scale=0.001)
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


@pytest.fixture
async def http(sandbox: GumadoSandbox) -> AsyncIterator[httpx.AsyncClient]:
    assert sandbox.base_url is not None
    root = sandbox.base_url.removesuffix("/api/v1")
    headers = {"Authorization": f"Bearer {sandbox.tokens['full']}", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=root, headers=headers, timeout=5) as client:
        yield client


def as_token(sandbox: GumadoSandbox, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.tokens[name]}"}


# ---------------------------------------------------------------- seed


def test_seed_is_realistic_and_deterministic() -> None:
    sandbox = GumadoSandbox(now=lambda: NOW)
    again = GumadoSandbox(now=lambda: NOW)
    assert [r.api() for r in sandbox.reviews.values()] == [r.api() for r in again.reviews.values()]
    assert sandbox.tokens == again.tokens
    assert 4 <= len(sandbox.organizations) <= 5
    for org in sandbox.organizations.values():
        locations = [loc for loc in sandbox.locations.values() if loc.organization_id == org.id]
        assert 2 <= len(locations) <= 3
        assert any(c.organization_id == org.id for c in sandbox.campaigns.values())
    reviews = list(sandbox.reviews.values())
    assert 280 <= len(reviews) <= 320
    assert {r.rating for r in reviews} == {1, 2, 3, 4, 5}
    collecting = {s.name for s in sandbox.sources if s.can_collect_reviews}
    assert {r.source.name for r in reviews} == collecting
    oldest = min(r.published_on for r in reviews)
    assert NOW - timedelta(weeks=16) <= oldest and max(r.published_on for r in reviews) <= NOW
    assert sum(1 for r in reviews if NOW - r.published_on <= timedelta(days=7)) >= 5
    assert 0.2 < sum(1 for r in reviews if r.reply_message) / len(reviews) < 0.8
    texts = [r.message or "" for r in reviews]
    assert any(len(t) > 2000 for t in texts)
    for awkward in ("<", "&", "*", "@channel", "🎉"):
        assert any(awkward in t for t in texts), awkward
    assert set(sandbox.tokens) == {"full", "read_only", "no_scopes"}
    assert GumadoSandbox(seed=8, now=lambda: NOW).tokens != sandbox.tokens


# ---------------------------------------------------------------- shapes


async def test_paginated_structure_matches_the_document(
    sandbox: GumadoSandbox, http: httpx.AsyncClient
) -> None:
    response = await http.get("/api/v1/reviews", params=[("rating", 5), ("page", 2)])
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data", "links", "meta"}
    assert set(body["links"]) == {"first", "last", "prev", "next"}
    total = len(sandbox.filtered_reviews(rating=5))
    last = -(-total // 10)
    assert body["meta"] == {
        "current_page": 2,
        "from": 11,
        "last_page": last,
        "per_page": 10,
        "to": 20,
        "total": total,
    }
    # As the document shows them: `?page=N` alone, the filters are not carried.
    base = f"{sandbox.base_url}/reviews?page="
    assert body["links"] == {
        "first": base + "1",
        "last": base + str(last),
        "prev": base + "1",
        "next": base + "3",
    }
    item = body["data"][0]
    assert list(item) == [
        "id", "organization_id", "location_id", "author", "date", "rating", "title",
        "message", "source", "source_logo", "avatar", "reply", "reply_date",
    ]  # fmt: skip
    assert item["date"].endswith(".000000Z")
    beyond = (await http.get("/api/v1/reviews", params={"page": 999})).json()
    assert (
        beyond["data"] == [] and beyond["meta"]["from"] is None and beyond["links"]["next"] is None
    )
    assert (await http.get("/api/v1/reviews?page=abc")).json()["meta"]["current_page"] == 1


async def test_review_filters(sandbox: GumadoSandbox, http: httpx.AsyncClient) -> None:
    query = "organization_id=2&source_names[]=Booking.com&source_names[]=tripadvisor"
    body = (await http.get(f"/api/v1/reviews?{query}")).json()
    assert body["meta"]["total"] > 0
    assert all(r["organization_id"] == 2 for r in body["data"])
    assert {r["source"] for r in body["data"]} <= {"Booking.com", "TripAdvisor"}
    assert body["links"]["first"] == f"{sandbox.base_url}/reviews?page=1"
    for bad, field in [
        ("rating=9", "rating"),
        ("rating=abc", "rating"),
        ("organization_id=x", "organization_id"),
        ("source_names=Google", "source_names"),
    ]:
        response = await http.get(f"/api/v1/reviews?{bad}")
        assert response.status_code == 422, bad
        assert field in response.json()["errors"]


async def test_single_resources_and_plain_lists(
    sandbox: GumadoSandbox, http: httpx.AsyncClient
) -> None:
    me = await http.get("/api/v1/me")
    assert me.json() == {"id": 1, "name": "John Smith", "email": "john@example.com"}
    countries = (await http.get("/api/v1/countries")).json()
    assert isinstance(countries, list) and countries[0] == {"id": "US", "name": "United States"}
    sources = (await http.get("/api/v1/sources")).json()
    assert sources["meta"]["total"] == len(sandbox.sources) and len(sources["data"]) == 10
    assert set(sources["data"][0]) == {
        "id", "name", "url", "logo", "available", "can_collect_reviews", "deep_linking_supported",
    }  # fmt: skip
    org = (await http.get("/api/v1/organizations/1")).json()["data"]
    assert set(org) == {"id", "name", "created_at", "updated_at"}
    campaigns = (await http.get("/api/v1/request-reviews/campaigns")).json()
    assert set(campaigns["data"][0]) == {"id", "name"}
    for path in ("/api/v1/organizations/999", "/api/v1/organizations/abc", "/api/v1/nope"):
        missing = await http.get(path)
        assert missing.status_code == 404 and "message" in missing.json()
    wrong_method = await http.patch("/api/v1/reviews")
    assert wrong_method.status_code == 405 and "message" in wrong_method.json()


async def test_organization_rules(sandbox: GumadoSandbox, http: httpx.AsyncClient) -> None:
    created = await http.post("/api/v1/organizations", json={"name": "Downtown Branch"})
    assert created.status_code == 201
    new_id = created.json()["data"]["id"]
    taken = await http.post("/api/v1/organizations", json={"name": "Acme Dental Clinic"})
    assert taken.status_code == 422
    assert taken.json()["errors"] == {"name": ["The name has already been taken."]}
    too_long = await http.post("/api/v1/organizations", json={"name": "x" * 256})
    assert too_long.json()["errors"]["name"] == [
        "The name field must not be greater than 255 characters."
    ]
    empty = await http.post("/api/v1/organizations", json={})
    assert empty.json() == {
        "message": "The name field is required.",
        "errors": {"name": ["The name field is required."]},
    }
    unchanged = await http.put(f"/api/v1/organizations/{new_id}", json={})
    assert unchanged.json()["data"]["name"] == "Downtown Branch"
    same_name = await http.put(f"/api/v1/organizations/{new_id}", json={"name": "Downtown Branch"})
    assert same_name.status_code == 200
    deleted = await http.delete(f"/api/v1/organizations/{new_id}")
    assert deleted.json() == {"message": "Organization deleted successfully."}


# ---------------------------------------------------------------- auth, scopes, limits


async def test_authentication(sandbox: GumadoSandbox, http: httpx.AsyncClient) -> None:
    for headers in (
        {"Authorization": ""},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {sandbox.tokens['full']}"},
    ):
        response = await http.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthenticated."}
        assert response.headers["X-RateLimit-Limit"] == "60"


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/api/v1/reviews", "reviews:read"),
        ("GET", "/api/v1/organizations", "organizations:read"),
        ("GET", "/api/v1/organizations/1", "organizations:read"),
        ("POST", "/api/v1/organizations", "organizations:create"),
        ("PUT", "/api/v1/organizations/1", "organizations:update"),
        ("DELETE", "/api/v1/organizations/1", "organizations:delete"),
        ("GET", "/api/v1/request-reviews/campaigns", "request:read"),
        ("POST", "/api/v1/request-reviews/campaigns/{campaign}/invite", "request:read"),
    ],
)
async def test_scopes(
    sandbox: GumadoSandbox, http: httpx.AsyncClient, method: str, path: str, scope: str
) -> None:
    path = path.format(campaign=next(iter(sandbox.campaigns)))
    refused = await http.request(method, path, headers=as_token(sandbox, "no_scopes"), json={})
    assert refused.status_code == 403
    assert scope in refused.json()["message"]
    for open_path in ("/api/v1/me", "/api/v1/sources", "/api/v1/countries"):
        allowed = await http.get(open_path, headers=as_token(sandbox, "no_scopes"))
        assert allowed.status_code == 200


async def test_invite_needs_request_create_too(
    sandbox: GumadoSandbox, http: httpx.AsyncClient
) -> None:
    token = sandbox.add_token("campaign_reader", {"request:read"})
    path = f"/api/v1/request-reviews/campaigns/{next(iter(sandbox.campaigns))}/invite"
    refused = await http.post(
        path, headers={"Authorization": f"Bearer {token}"}, json={"email": "a@example.com"}
    )
    assert refused.status_code == 403 and "request:create" in refused.json()["message"]


async def test_fixed_window_rate_limit_per_token() -> None:
    sandbox = GumadoSandbox(now=lambda: NOW, rate_limit=3, window_seconds=0.5)
    base = await sandbox.start()
    try:
        async with httpx.AsyncClient(headers=as_token(sandbox, "full")) as http:
            remaining = [(await http.get(f"{base}/me")).headers["X-RateLimit-Remaining"]]
            remaining += [(await http.get(f"{base}/me")).headers["X-RateLimit-Remaining"]]
            remaining += [(await http.get(f"{base}/me")).headers["X-RateLimit-Remaining"]]
            assert remaining == ["2", "1", "0"]
            limited = await http.get(f"{base}/me")
            assert limited.status_code == 429
            assert limited.headers["Retry-After"] == "1"
            assert limited.headers["X-RateLimit-Limit"] == "3"
            assert limited.json() == {"message": "Too Many Attempts."}
            other = await http.get(f"{base}/me", headers=as_token(sandbox, "read_only"))
            assert other.status_code == 200  # one bucket per token
            await asyncio.sleep(0.55)
            assert (await http.get(f"{base}/me")).status_code == 200
        assert sandbox.throttled == 1
    finally:
        await sandbox.stop()


async def test_every_api_answer_carries_the_rate_limit_headers(
    sandbox: GumadoSandbox, http: httpx.AsyncClient
) -> None:
    # "Every response includes headers": X-RateLimit-Limit, X-RateLimit-Remaining; Retry-After
    # "only on 429".
    campaign = next(iter(sandbox.campaigns))
    answers = [
        await http.get("/api/v1/me"),
        await http.get("/api/v1/me", headers={"Authorization": "Bearer wrong"}),
        await http.get("/api/v1/request-reviews/campaigns", headers=as_token(sandbox, "no_scopes")),
        await http.get("/api/v1/organizations/424242"),
        await http.get("/api/v1/no-such-route"),
        await http.post(f"/api/v1/request-reviews/campaigns/{campaign}/invite", json={}),
    ]
    sandbox.inject_fault(status=500)
    answers.append(await http.get("/api/v1/me"))
    assert [a.status_code for a in answers] == [200, 401, 403, 404, 404, 422, 500]
    for answer in answers:
        assert answer.headers["X-RateLimit-Limit"] == "60"
        assert answer.headers["X-RateLimit-Remaining"].isdigit()
        assert "Retry-After" not in answer.headers
    sandbox.spend("full", 60)
    limited = await http.get("/api/v1/me")
    assert limited.status_code == 429 and limited.headers["Retry-After"].isdigit()
    assert limited.headers["X-RateLimit-Remaining"] == "0"


async def test_another_holder_of_the_token_can_spend_its_budget(
    sandbox: GumadoSandbox, http: httpx.AsyncClient
) -> None:
    spent = await http.post("/_sandbox/rate-limit/spend", json={"token": "full", "count": 59})
    assert spent.json() == {"remaining": 1}
    last = await http.get("/api/v1/me")
    assert last.status_code == 200 and last.headers["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" not in last.headers  # the document has no reset header on a 200
    assert (await http.get("/api/v1/me")).status_code == 429
    other = await http.get("/api/v1/me", headers=as_token(sandbox, "read_only"))
    assert other.headers["X-RateLimit-Remaining"] == "59"  # one bucket per token
    for bad in ({"token": "nobody", "count": 1}, {"token": "full", "count": 0}, {"token": ["x"]}):
        refused = await http.post("/_sandbox/rate-limit/spend", json=bad)
        assert refused.status_code == 422


async def test_a_429_fault_can_carry_an_http_date(
    sandbox: GumadoSandbox, http: httpx.AsyncClient
) -> None:
    date = "Mon, 15 Dec 2025 12:00:30 GMT"
    assert (
        await http.post("/_sandbox/faults", json={"status": 429, "retry_after": date})
    ).is_success
    assert (await http.get("/api/v1/me")).headers["Retry-After"] == date
    broken = await http.post("/_sandbox/faults", json={"status": 429, "retry_after": "1\r\nX: y"})
    assert broken.status_code == 422


# ---------------------------------------------------------------- invites


async def test_invite_validation_as_documented(
    sandbox: GumadoSandbox, http: httpx.AsyncClient
) -> None:
    path = f"/api/v1/request-reviews/campaigns/{next(iter(sandbox.campaigns))}/invite"
    missing = await http.post(path, json={"first_name": "Sarah", "email": "", "phone": None})
    assert missing.status_code == 422
    assert missing.json() == {
        "message": EMAIL_OR_PHONE_REQUIRED,
        "errors": {"email": [EMAIL_OR_PHONE_REQUIRED]},
    }
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"email": "sarah@"}, {"email"}),
        ({"email": 42}, {"email"}),
        ({"phone": "+0123456789"}, {"phone"}),
        ({"phone": "4275238194"}, {"phone"}),
        ({"email": "a@example.com", "first_name": "x" * 256}, {"first_name"}),
        ({"email": "a@example.com", "last_name": ["Smith"]}, {"last_name"}),
        ({"email": "a@example.com", "send_after_hours": -1}, {"send_after_hours"}),
        ({"email": "a@example.com", "send_after_hours": "soon"}, {"send_after_hours"}),
        ({"email": "a@example.com", "send_after_hours": True}, {"send_after_hours"}),
        ({"email": "bad", "phone": "bad", "send_after_hours": 1.5}, {"email", "phone", "send_after_hours"}),
    ]  # fmt: skip
    for body, fields in cases:
        response = await http.post(path, json=body)
        assert response.status_code == 422, body
        assert set(response.json()["errors"]) == fields, body
    three = await http.post(path, json=cases[-1][0])
    assert three.json()["message"].endswith("(and 2 more errors)")
    accepted = await http.post(path, json={"phone": "+14275238194", "send_after_hours": "2"})
    assert accepted.status_code == 202
    assert set(accepted.json()) == {"id", "message"}
    assert sandbox.invites[-1].send_after_hours == 2
    assert len([i for i in sandbox.invites if i.phone == "+14275238194"]) == 1


async def test_invite_to_an_unknown_campaign_is_404(http: httpx.AsyncClient) -> None:
    for campaign in ("a1b2c3d4-e5f6-7890-abcd-ef1234567890", "not-a-uuid"):
        response = await http.post(
            f"/api/v1/request-reviews/campaigns/{campaign}/invite", json={"email": "a@example.com"}
        )
        assert response.status_code == 404 and response.json() == {"message": "Campaign not found."}


async def test_invites_respect_the_campaign_send_window(sandbox: GumadoSandbox) -> None:
    campaign = next(c for c in sandbox.campaigns.values() if c.send_window == (7, 16))
    early = GumadoSandbox(now=lambda: NOW.replace(hour=2))
    invite = early.send_invite(campaign.id, {"email": "a@example.com", "send_after_hours": 0})
    assert invite.scheduled_for == NOW.replace(hour=7)
    late = GumadoSandbox(now=lambda: NOW.replace(hour=17))
    invite = late.send_invite(campaign.id, {"email": "a@example.com", "send_after_hours": 0})
    assert invite.scheduled_for == NOW.replace(hour=7) + timedelta(days=1)


# ---------------------------------------------------------------- malformed input, control routes


async def test_malformed_bodies_get_4xx_in_the_platform_shape(
    sandbox: GumadoSandbox, http: httpx.AsyncClient
) -> None:
    invite = f"/api/v1/request-reviews/campaigns/{next(iter(sandbox.campaigns))}/invite"
    for path in ("/api/v1/organizations", invite, "/_sandbox/reviews", "/_sandbox/faults"):
        for content in (b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"):
            response = await http.post(
                path, content=content, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 400, (path, content)
            assert "message" in response.json()
    huge = await http.post("/api/v1/organizations", content=b"{" + b" " * (2 * 1024**2) + b"}")
    assert huge.status_code == 413 and "message" in huge.json()


async def test_control_routes(sandbox: GumadoSandbox, http: httpx.AsyncClient) -> None:
    added = await http.post(
        "/_sandbox/reviews",
        json={"organization_id": 2, "rating": 1, "source": "yelp", "message": "Cold soup."},
    )
    assert added.status_code == 201
    payload = added.json()
    assert payload["webhook_event"] == "review-created" and payload["source_name"] == "yelp"
    newest = (await http.get("/api/v1/reviews")).json()["data"][0]
    assert (newest["id"], newest["message"], newest["source"]) == (
        payload["id"],
        "Cold soup.",
        "Yelp",
    )
    changed = await http.patch(
        f"/_sandbox/reviews/{payload['id']}", json={"reply_message": "Sorry!", "rating": 2}
    )
    assert changed.json()["replied"] is True and changed.json()["rating"] == 2
    assert (await http.patch("/_sandbox/reviews/1", json={})).status_code == 404
    bad = await http.post("/_sandbox/reviews", json={"rating": 9, "colour": "red"})
    assert bad.status_code == 422 and "colour" in bad.json()["errors"]
    location = await http.post("/_sandbox/locations", json={"organization_id": 1, "name": "Annex"})
    assert location.status_code == 201 and location.json()["webhook_event"] == "location-created"
    assert (await http.post("/_sandbox/locations", json={"organization_id": 99})).status_code == 422

    fault = await http.post("/_sandbox/faults", json={"status": 503, "count": 1})
    assert fault.status_code == 201
    assert (await http.get("/api/v1/me")).status_code == 503
    assert (await http.get("/api/v1/me")).status_code == 200
    wrong = await http.post("/_sandbox/faults", json={"status": "boom"})
    assert wrong.status_code == 422
    assert (await http.post("/_sandbox/faults", json={"count": 2})).status_code == 422

    await http.post(
        f"/api/v1/request-reviews/campaigns/{next(iter(sandbox.campaigns))}/invite",
        json={"email": "new@example.com"},
    )
    invites = (await http.get("/_sandbox/invites")).json()
    assert invites[-1]["email"] == "new@example.com" and invites[-1]["status"] == "queued"
    assert all("/_sandbox" not in path for _, path, _ in sandbox.requests)


async def test_odd_input_never_causes_a_server_error(
    sandbox: GumadoSandbox, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    campaign = next(iter(sandbox.campaigns))
    queries = ["page=²", "page=9" * 40, "page=-1", "rating=²", "rating=" + "1" * 5000]
    queries += ["organization_id=1e3", "location_id=%00", "source_names[]=", "source_names[x]=Yelp"]
    for query in queries:
        for path in ("/api/v1/reviews", "/api/v1/request-reviews/campaigns", "/api/v1/sources"):
            response = await http.get(f"{path}?{query}")
            assert response.status_code < 500, (path, query)
    weird: list[Any] = [None, 5, 1.5, True, [1], {"a": 1}, "", "x" * 300, "²", "../../etc"]
    for value in weird:
        requests = [
            ("POST", "/api/v1/organizations", {"name": value}),
            ("PUT", "/api/v1/organizations/1", {"name": value}),
            ("POST", f"/api/v1/request-reviews/campaigns/{campaign}/invite", {"email": value}),
            ("POST", f"/api/v1/request-reviews/campaigns/{campaign}/invite", {"phone": value}),
            (
                "POST",
                f"/api/v1/request-reviews/campaigns/{campaign}/invite",
                {"email": "a@example.com", "first_name": value, "send_after_hours": value},
            ),
            ("POST", "/_sandbox/reviews", {"rating": value}),
            ("POST", "/_sandbox/reviews", {"organization_id": value, "source": value}),
            ("POST", "/_sandbox/reviews", {"published_on": value, "title": value}),
            ("POST", "/_sandbox/reviews", {"location_id": value, "message": value}),
            ("PATCH", "/_sandbox/reviews/1001", {"rating": value, "reply_message": value}),
            ("PATCH", f"/_sandbox/reviews/{value}", {}),
            ("POST", "/_sandbox/locations", {"organization_id": value, "name": value}),
            ("PATCH", "/_sandbox/locations/1", {"organization_id": value, "name": value}),
            ("POST", "/_sandbox/faults", {"status": value, "delay": value, "count": value}),
            ("POST", "/_sandbox/webhooks", {"url": value, "events": value}),
        ]
        for method, path, body in requests:
            response = await http.request(method, path, json=body)
            assert response.status_code < 500, (method, path, body)
            assert "message" in response.json() or response.status_code < 300
    sandbox.clear_faults()
    assert "handler failed" not in caplog.text


def test_rejected_changes_change_nothing() -> None:
    sandbox = GumadoSandbox(now=lambda: NOW)
    review = sandbox.reviews[1001]
    before = review.webhook("review-updated")
    with pytest.raises(ValueError, match="reply message"):
        sandbox.update_review(1001, rating=1 if review.rating != 1 else 2, reply_message=5)
    assert review.webhook("review-updated") == before
    location = sandbox.locations[1]
    with pytest.raises(ValueError, match="organization id"):
        sandbox.update_location(1, name="Renamed", organization_id=99)
    assert location.name != "Renamed"
