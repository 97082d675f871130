"""CloutlyClient over real HTTP against the Cloutly sandbox on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from bot.errors import (
    AuthError,
    Invalid,
    NotFound,
    ProviderError,
    RateLimited,
    Unavailable,
)
from bot.providers.cloutly import CloutlyClient
from sandbox.cloutly import CloutlySandbox
from sandbox.cloutly_data import SMS_LIMIT

NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[CloutlySandbox]:
    box = CloutlySandbox(now=lambda: NOW)
    await box.start()
    try:
        yield box
    finally:
        await box.stop()


def make_client(box: CloutlySandbox, **options: Any) -> CloutlyClient:
    assert box.base_url is not None
    settings: dict[str, Any] = {"timeout": 2.0, "backoff_base": 0.01, "max_retries": 2}
    settings.update(options)
    api_key = settings.pop("api_key", box.tokens["api_key"])
    return CloutlyClient(box.base_url, api_key, **settings)


@pytest_asyncio.fixture
async def client(sandbox: CloutlySandbox) -> AsyncIterator[CloutlyClient]:
    async with make_client(sandbox) as client:
        yield client


def first_campaign(box: CloutlySandbox, index: int = 0) -> tuple[str, str]:
    business_id = box.businesses[index]["id"]
    return business_id, box.campaigns[business_id][0][0]


def posts(box: CloutlySandbox) -> int:
    return sum(1 for method, _, _ in box.requests if method == "POST")


async def test_list_businesses(client: CloutlyClient, sandbox: CloutlySandbox) -> None:
    businesses = await client.list_businesses()
    assert [b.id for b in businesses] == [b["id"] for b in sandbox.businesses]
    assert businesses[1].name == "Blue Door Bistro"
    assert businesses[1].sources == ("google", "yelp", "tripadvisor")
    assert {b.platform for b in businesses} == {"cloutly"}


async def test_list_reviews_is_one_page_of_everything(
    client: CloutlyClient, sandbox: CloutlySandbox
) -> None:
    page = await client.list_reviews()
    assert len(page.items) == page.total == len(sandbox.reviews)
    assert (page.page, page.last_page, page.has_next, page.has_prev) == (1, 1, False, False)
    dates = [r.published_at for r in page.items]
    assert dates == sorted(dates, reverse=True)
    raw = next(r for r in sandbox.reviews if r["response"] and r["reviewUrl"] and r["text"])
    review = next(r for r in page.items if r.id == raw["id"])
    assert review.rating == int(raw["rating"])
    assert review.text == raw["text"]
    assert review.url == raw["reviewUrl"]
    assert review.reply == raw["response"]["comment"]
    assert review.organization_id == raw["businessId"]
    assert review.source in {"Google", "Facebook", "Trustpilot", "Yelp", "TripAdvisor"}
    assert sandbox.requests == [("GET", "/api/v1/reviews", "")]


async def test_no_reviewer_email_or_phone_in_any_review(
    client: CloutlyClient, sandbox: CloutlySandbox
) -> None:
    page = await client.list_reviews()
    shown = repr(page) + "".join(repr(r) + str(r) for r in page.items)
    secrets = [r[k] for r in sandbox.reviews for k in ("email", "phoneNumber") if r[k]]
    assert len(secrets) > 20
    assert not [s for s in secrets if s in shown]


async def test_review_filters(client: CloutlyClient, sandbox: CloutlySandbox) -> None:
    trustpilot = await client.list_reviews(source="Trustpilot")
    assert trustpilot.items and {r.source for r in trustpilot.items} == {"Trustpilot"}
    assert trustpilot.total == sum(1 for r in sandbox.reviews if r["source"] == "trustpilot")
    shown = await client.list_reviews(show_on_widget=True)
    hidden = await client.list_reviews(show_on_widget=False)
    unknown = sum(1 for r in sandbox.reviews if r["showOnWidget"] is None)  # nullable
    assert shown.total + hidden.total + unknown == len(sandbox.reviews) and shown.total > 0
    oldest_first = await client.list_reviews(sort="asc", source="google")
    dates = [r.published_at for r in oldest_first.items]
    assert dates == sorted(dates) and {r.source for r in oldest_first.items} == {"Google"}
    assert [query for _, _, query in sandbox.requests] == [
        "source=trustpilot",
        "showOnWidget=true",
        "showOnWidget=false",
        "source=google&sort=asc",
    ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sort": "newest"}, "sort"),
        ({"source": "<!channel>"}, "source"),
        ({"source": " "}, "source"),
    ],
)
async def test_bad_filters_fail_before_any_request(
    client: CloutlyClient, sandbox: CloutlySandbox, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid) as info:
        await client.list_reviews(**kwargs)
    assert field in info.value.field_errors
    assert sandbox.requests == []


async def test_unknown_source_is_a_mapped_400(client: CloutlyClient) -> None:
    with pytest.raises(Invalid) as info:
        await client.list_reviews(source="myspace")
    assert info.value.status == 400
    assert list(info.value.field_errors) == ["source"]


async def test_bad_reviews_are_skipped_not_fatal(
    client: CloutlyClient, sandbox: CloutlySandbox, caplog: pytest.LogCaptureFixture
) -> None:
    bad_rating = sandbox.add_review(rating="five", email="secret.person@example.com")
    no_date = sandbox.add_review(createdAt=None, phoneNumber="+15550001111")
    with caplog.at_level(logging.WARNING, logger="bot.providers.cloutly"):
        page = await client.list_reviews()
    assert page.total == len(sandbox.reviews)
    assert len(page.items) == page.total - 2
    assert page.extra == {"skipped": "2"}
    assert bad_rating["id"] in caplog.text and no_date["id"] in caplog.text
    assert "rating" in caplog.text and "createdAt" in caplog.text
    assert "secret.person" not in caplog.text and "+15550001111" not in caplog.text


async def test_send_invite(client: CloutlyClient, sandbox: CloutlySandbox) -> None:
    business_id, campaign_id = first_campaign(sandbox)
    result = await client.send_invite(
        business_id,
        campaign_id,
        "Ann",
        email="ann@example.com",
        phone="+14155550123",
        last_name="Lee",
        source="slack",
        source_contact_id="U123",
    )
    invite = sandbox.invites[-1]
    assert result.platform == "cloutly"
    assert result.id == result.contact_id == invite["contact"]["id"]
    assert result.sms_limits_left == SMS_LIMIT - 1
    assert invite["businessId"] == business_id and invite["campaignId"] == campaign_id
    assert invite["contact"] | {"id": None} == {
        "id": None,
        "firstName": "ann",
        "lastName": "lee",
        "email": "ann@example.com",
        "phoneNumber": "+14155550123",
        "source": "slack",
        "sourceContactId": "U123",
    }
    email_only = await client.send_invite(business_id, campaign_id, "Bo", email="bo@example.com")
    assert email_only.sms_limits_left == SMS_LIMIT - 1
    assert sandbox.invites[-1]["contact"]["lastName"] is None
    assert sandbox.invites[-1]["contact"]["source"] is None


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"first_name": "", "email": "a@example.com"}, {"first_name"}),
        ({"first_name": "Al"}, {"email", "phone"}),
        ({"first_name": "Al", "email": "not-an-email"}, {"email"}),
        ({"first_name": "Al", "phone": "12345"}, {"phone"}),
        ({"first_name": " ", "email": "bad@", "phone": "0"}, {"first_name", "email", "phone"}),
    ],
)
async def test_invite_400_maps_onto_our_fields(
    client: CloutlyClient, sandbox: CloutlySandbox, kwargs: dict[str, Any], fields: set[str]
) -> None:
    business_id, campaign_id = first_campaign(sandbox)
    with pytest.raises(Invalid) as info:
        await client.send_invite(business_id, campaign_id, **kwargs)
    assert set(info.value.field_errors) == fields
    assert info.value.status == 400 and info.value.platform == "cloutly"
    assert str(info.value).startswith("Cloutly could not send the review invite: ")


async def test_invite_400_with_bad_ids(client: CloutlyClient) -> None:
    with pytest.raises(Invalid) as info:
        await client.send_invite("not-a-uuid", "", "Al", email="al@example.com")
    assert set(info.value.field_errors) == {"business_id", "campaign_id"}


async def test_unknown_business_or_campaign_is_not_found(
    client: CloutlyClient, sandbox: CloutlySandbox
) -> None:
    business_id, campaign_id = first_campaign(sandbox)
    with pytest.raises(NotFound, match="Business not found"):
        await client.send_invite(UNKNOWN_ID, campaign_id, "Al", email="al@example.com")
    with pytest.raises(NotFound, match="Campaign not found") as info:
        await client.send_invite(business_id, UNKNOWN_ID, "Al", email="al@example.com")
    assert info.value.status == 404
    assert sandbox.invites == []


async def test_bad_key_is_auth_error(sandbox: CloutlySandbox) -> None:
    async with make_client(sandbox, api_key="eyJ.wrong.key") as client:
        with pytest.raises(AuthError, match="rejected the API key") as info:
            await client.list_businesses()
    assert info.value.status == 401
    assert len(sandbox.requests) == 1  # a 401 is not retried


async def test_429_on_invite_is_not_retried_in_a_burst(
    client: CloutlyClient, sandbox: CloutlySandbox
) -> None:
    # Cloutly's 429 names no wait; the person is told when to try again (nothing was sent).
    sandbox.inject_fault(status=429)
    business_id, campaign_id = first_campaign(sandbox)
    with pytest.raises(RateLimited) as info:
        await client.send_invite(business_id, campaign_id, "Al", email="al@example.com")
    assert info.value.retry_after == 60.0
    assert posts(sandbox) == 1 and sandbox.invites == []


async def test_pacing_holds_a_burst_under_the_limit_without_any_429(
    sandbox: CloutlySandbox,
) -> None:
    sandbox.rate_limit = 3
    async with make_client(sandbox, requests_per_minute=3) as client:
        assert client.headroom == 3
        pages = await asyncio.gather(*(client.list_reviews() for _ in range(3)))
        assert all(p.total == len(sandbox.reviews) for p in pages)
        assert client.headroom == 0
        with pytest.raises(TimeoutError):  # the 4th waits on our side instead of drawing a 429
            await asyncio.wait_for(client.list_businesses(), timeout=0.3)
    assert len(sandbox.requests) == 3


def test_default_pacing_is_the_lower_documented_limit() -> None:
    client = CloutlyClient("http://127.0.0.1:9/api/v1", "key-value-123")
    assert client.headroom == 100


async def test_5xx_on_get_is_retried(client: CloutlyClient, sandbox: CloutlySandbox) -> None:
    sandbox.inject_fault(status=503, count=2)
    page = await client.list_reviews()
    assert page.total == len(sandbox.reviews)
    assert len(sandbox.requests) == 3


async def test_5xx_on_get_exhausted_is_unavailable(sandbox: CloutlySandbox) -> None:
    sandbox.inject_fault(status=500, count=2)
    async with make_client(sandbox, max_retries=1) as client:
        with pytest.raises(Unavailable) as info:
            await client.list_businesses()
    assert info.value.status == 500
    assert len(sandbox.requests) == 2


async def test_5xx_on_invite_is_not_retried(client: CloutlyClient, sandbox: CloutlySandbox) -> None:
    sandbox.inject_fault(status=502, count=3)
    business_id, campaign_id = first_campaign(sandbox)
    with pytest.raises(Unavailable):
        await client.send_invite(business_id, campaign_id, "Al", email="al@example.com")
    assert sandbox.requests == [("POST", "/api/v1/send-review-invite", "")]


async def test_timeout_is_unavailable(sandbox: CloutlySandbox) -> None:
    sandbox.inject_fault(delay=1.0, count=2)
    async with make_client(sandbox, timeout=0.2, max_retries=1) as client:
        with pytest.raises(Unavailable, match="did not answer in time"):
            await client.list_reviews()
    assert len(sandbox.requests) == 2  # a GET is retried once, then given up


async def test_timeout_on_invite_is_not_retried(sandbox: CloutlySandbox) -> None:
    sandbox.inject_fault(delay=1.0, count=3)
    business_id, campaign_id = first_campaign(sandbox)
    async with make_client(sandbox, timeout=0.2) as client:
        with pytest.raises(Unavailable):
            await client.send_invite(business_id, campaign_id, "Al", phone="+14155550123")
    assert posts(sandbox) == 1


@pytest.mark.parametrize("status", [403, 409, 422])
async def test_other_4xx_is_a_plain_provider_error(
    client: CloutlyClient, sandbox: CloutlySandbox, status: int
) -> None:
    sandbox.inject_fault(status=status)
    with pytest.raises(ProviderError) as info:
        await client.list_businesses()
    assert type(info.value) is ProviderError
    assert info.value.status == status and f"HTTP {status}" in str(info.value)


@pytest_asyncio.fixture
async def odd_server() -> AsyncIterator[str]:
    """A server answering like a misconfigured proxy: HTML 400s and non-JSON 200s."""

    async def html_400(request: web.Request) -> web.Response:
        return web.Response(status=400, text="<html>Bad Request</html>", content_type="text/html")

    async def text_200(request: web.Request) -> web.Response:
        return web.Response(text="OK")

    async def wrong_shape(request: web.Request) -> web.Response:
        return web.json_response({"statusCode": 200, "data": "nope"})

    app = web.Application()
    app.router.add_post("/api/v1/send-review-invite", html_400)
    app.router.add_get("/api/v1/businesses", text_200)
    app.router.add_get("/api/v1/reviews", wrong_shape)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/api/v1"
    finally:
        await runner.cleanup()


async def test_unreadable_bodies_are_tolerated(odd_server: str) -> None:
    async with CloutlyClient(odd_server, "key-value-123", backoff_base=0.01) as client:
        with pytest.raises(Invalid) as invalid:
            await client.send_invite(UNKNOWN_ID, UNKNOWN_ID, "Al", email="al@example.com")
        assert invalid.value.field_errors == {} and invalid.value.status == 400
        with pytest.raises(ProviderError, match="could not read"):
            await client.list_businesses()
        with pytest.raises(ProviderError, match="could not read"):
            await client.list_reviews()


async def test_api_key_never_in_repr_or_errors(sandbox: CloutlySandbox) -> None:
    key = sandbox.tokens["api_key"]
    business_id, campaign_id = first_campaign(sandbox)
    errors: list[ProviderError] = []
    async with make_client(sandbox, max_retries=0, timeout=0.2) as client:
        assert key not in repr(client) and key not in str(client)
        cases: list[tuple[dict[str, Any] | None, Coroutine[Any, Any, object]]] = [
            ({"status": 500}, client.list_businesses()),
            ({"status": 403}, client.list_businesses()),
            ({"delay": 1.0}, client.list_reviews()),
            (None, client.send_invite(business_id, campaign_id, "", email="x")),
            (None, client.send_invite(UNKNOWN_ID, campaign_id, "Al", email="a@example.com")),
            # Last: a 429 holds the key for a whole minute.
            ({"status": 429}, client.list_businesses()),
        ]
        for fault, call in cases:
            if fault:
                sandbox.inject_fault(**fault)
            with pytest.raises(ProviderError) as info:
                await call
            errors.append(info.value)
    async with make_client(sandbox, api_key="wrong-" + key) as wrong:
        with pytest.raises(AuthError) as auth:
            await wrong.list_businesses()
        errors.append(auth.value)
        assert "wrong-" not in repr(wrong)
    kinds = {type(e) for e in errors}
    assert kinds == {Unavailable, RateLimited, ProviderError, Invalid, NotFound, AuthError}
    for error in errors:
        assert key not in str(error) and key not in repr(error)
        assert key not in repr(error.__cause__) and key not in repr(vars(error))


def test_empty_api_key_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        CloutlyClient("http://127.0.0.1:9/api/v1", "  ")
