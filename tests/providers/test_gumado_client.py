"""GumadoClient over real HTTP against the in-process Gumado sandbox: every method, every error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from bot.domain import Review
from bot.errors import (
    AuthError,
    Invalid,
    NotFound,
    ScopeError,
)
from bot.providers.gumado import GumadoClient
from bot.providers.gumado.parse import review_from_api
from sandbox.gumado import GumadoSandbox
from sandbox.gumado_data import (
    RECENT_INVITE_EMAIL,
    RETURNING_INVITE_EMAIL,
    UNSUBSCRIBED_EMAIL,
)
from sandbox.gumado_invites import EMAIL_OR_PHONE_REQUIRED

NOW = datetime(2025, 12, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
async def sandbox() -> AsyncIterator[GumadoSandbox]:
    sandbox = GumadoSandbox(now=lambda: NOW, webhook_retry_scale=0.001)
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


def make_client(sandbox: GumadoSandbox, who: str = "full", **options: Any) -> GumadoClient:
    assert sandbox.base_url is not None
    settings: dict[str, Any] = {
        "timeout": 2.0,
        "max_retries": 2,
        "backoff_base": 0.01,
        "requests_per_minute": 1000,
    }
    settings.update(options)
    return GumadoClient(sandbox.base_url, sandbox.tokens.get(who, who), **settings)


@pytest.fixture
async def client(sandbox: GumadoSandbox) -> AsyncIterator[GumadoClient]:
    async with make_client(sandbox) as client:
        yield client


def first_campaign(sandbox: GumadoSandbox) -> str:
    return next(iter(sandbox.campaigns))


# ---------------------------------------------------------------- happy paths


async def test_me_identifies_the_account(client: GumadoClient) -> None:
    me = await client.me()
    assert (me.id, me.name, me.email) == ("1", "John Smith", "john@example.com")


async def test_list_reviews_returns_one_page_newest_first(
    sandbox: GumadoSandbox, client: GumadoClient
) -> None:
    page = await client.list_reviews()
    assert len(page.items) == 10
    assert (page.page, page.per_page, page.total) == (1, 10, len(sandbox.reviews))
    assert page.last_page == -(-len(sandbox.reviews) // 10)
    dates = [review.published_at for review in page.items]
    assert dates == sorted(dates, reverse=True)
    second = await client.list_reviews(page=2)
    assert second.page == 2 and second.has_prev
    assert not {r.id for r in page.items} & {r.id for r in second.items}
    newest = sandbox.reviews[int(page.items[0].id)]
    review = page.items[0]
    assert review.platform == "gumado"
    assert review.source == newest.source.name
    assert review.text == newest.message and review.author == newest.author
    assert review.organization_id == str(newest.organization_id)
    assert review.published_at == newest.published_on


async def _every_review(client: GumadoClient, **filters: Any) -> list[Review]:
    """Every page of ``GET /reviews`` through the client's pager (what campaigns and
    organizations are listed with; the sandbox has many pages of reviews only)."""
    params = [(name, str(value)) for name, value in filters.items()]
    return await client._collect("list_reviews", "reviews", params, review_from_api)


async def test_links_next_on_another_host_is_not_followed_with_the_token(
    sandbox: GumadoSandbox, client: GumadoClient
) -> None:
    seen: list[tuple[str, str | None]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append((request.path_qs, request.headers.get("Authorization")))
        return web.json_response({"data": [], "links": {"next": None}, "meta": {}})

    app = web.Application()
    app.router.add_get("/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        sandbox.links_base_url = f"http://127.0.0.1:{port}/api/v1"
        reviews = await _every_review(client, rating=1)
        assert len(reviews) == len(sandbox.filtered_reviews(rating=1))
        assert seen == []
        pages = [q for _, path, q in sandbox.requests if path.endswith("/reviews")]
        assert pages[-1].endswith(f"page={-(-len(reviews) // 10)}")
        assert all("rating=1" in q for q in pages)
    finally:
        await runner.cleanup()


async def test_paging_keeps_every_filter_although_links_carry_only_the_page(
    sandbox: GumadoSandbox, client: GumadoClient
) -> None:
    # The sandbox's links are the document's: `?page=N` alone. Following them would list
    # every review from page 2 on; paging by number keeps rating, organization and source.
    wanted = sandbox.filtered_reviews(rating=5, organization_id=1)
    assert len(wanted) > 10
    reviews = await _every_review(client, rating=5, organization_id=1)
    assert sorted(int(r.id) for r in reviews) == sorted(r.id for r in wanted)
    pages = [q for _, path, q in sandbox.requests if path.endswith("/reviews")]
    assert len(pages) == -(-len(wanted) // 10)
    assert all("rating=5" in q and "organization_id=1" in q for q in pages)
    campaigns = await client.list_campaigns(organization_id=1, search="follow")
    assert [c.name for c in campaigns] == ["Post-Visit Follow Up"]
    asked = [q for _, path, q in sandbox.requests if path.endswith("/campaigns")]
    assert asked == ["organization_id=1&search=follow&page=1"]


async def test_organization_crud(sandbox: GumadoSandbox, client: GumadoClient) -> None:
    organizations = await client.list_organizations()
    assert [o.name for o in organizations] == [o.name for o in sandbox.organizations.values()]
    first = await client.get_organization(organizations[0].id)
    assert first == organizations[0]
    assert first.created_at is not None and first.created_at.tzinfo is not None

    created = await client.create_organization("Downtown Branch")
    assert created.name == "Downtown Branch" and created.created_at == NOW
    with pytest.raises(Invalid) as taken:
        await client.create_organization("downtown branch")
    assert taken.value.field_errors == {"name": ["The name has already been taken."]}

    renamed = await client.update_organization(created.id, "Uptown Branch")
    assert renamed.id == created.id and renamed.name == "Uptown Branch"
    await client.delete_organization(created.id)
    with pytest.raises(NotFound):
        await client.get_organization(created.id)
    with pytest.raises(NotFound):
        await client.delete_organization(created.id)


async def test_deleting_the_last_organization_is_refused(
    sandbox: GumadoSandbox, client: GumadoClient
) -> None:
    ids = sorted(sandbox.organizations)
    for organization_id in ids[1:]:
        await client.delete_organization(organization_id)
    with pytest.raises(Invalid) as refused:
        await client.delete_organization(ids[0])
    assert "at least one remaining organization" in refused.value.message
    assert refused.value.status == 422


async def test_list_campaigns_with_filters(sandbox: GumadoSandbox, client: GumadoClient) -> None:
    campaigns = await client.list_campaigns()
    assert len(campaigns) == len(sandbox.campaigns) > 10  # more than one page
    assert {c.id for c in campaigns} == set(sandbox.campaigns)
    mine = await client.list_campaigns(organization_id=2)
    assert {c.id for c in mine} == {
        c.id for c in sandbox.campaigns.values() if c.organization_id == 2
    }
    found = await client.list_campaigns(search="OUTREACH")
    assert found and all("outreach" in c.name.lower() for c in found)
    assert await client.list_campaigns(organization_id=1, search="no such campaign") == []


async def test_sources_and_countries(sandbox: GumadoSandbox, client: GumadoClient) -> None:
    sources = await client.list_sources()
    assert [s.name for s in sources] == [s.name for s in sandbox.sources]
    assert len(sources) > 10  # so both pages were read
    google = sources[0]
    assert (google.name, google.url, google.available) == ("Google", "https://google.com", True)
    assert any(not s.available for s in sources)
    countries = await client.list_countries()
    assert countries[:3] == [
        type(countries[0])("US", "United States"),
        type(countries[0])("GB", "United Kingdom"),
        type(countries[0])("CA", "Canada"),
    ]
    assert len(countries) == len(sandbox.countries)


# ---------------------------------------------------------------- invites


async def test_send_invite_is_accepted_and_recorded(
    sandbox: GumadoSandbox, client: GumadoClient
) -> None:
    campaign = first_campaign(sandbox)
    result = await client.send_invite(
        campaign, email="sarah.johnson@example.com", first_name="Sarah", send_after_hours=0
    )
    assert result.platform == "gumado" and result.message == "Invites sent successfully."
    invite = sandbox.invites[-1]
    assert (invite.id, invite.status, invite.email) == (
        result.id,
        "queued",
        "sarah.johnson@example.com",
    )
    assert invite.fields_sent == ("email", "first_name", "send_after_hours")
    assert invite.send_after_hours == 0


async def test_send_after_hours_omitted_unless_given(
    sandbox: GumadoSandbox, client: GumadoClient
) -> None:
    campaign = first_campaign(sandbox)
    await client.send_invite(campaign, phone="+14275238194", first_name="James")
    assert sandbox.invites[-1].fields_sent == ("phone", "first_name")
    await client.send_invite(campaign, phone="+14275238195", send_after_hours=None)
    assert sandbox.invites[-1].fields_sent == ("phone", "send_after_hours")
    assert sandbox.invites[-1].send_after_hours is None
    await client.send_invite(campaign, phone="+14275238196", send_after_hours=2)
    assert sandbox.invites[-1].send_after_hours == 2


async def test_duplicate_and_unsubscribed_contacts_still_get_202(
    sandbox: GumadoSandbox, client: GumadoClient
) -> None:
    campaign = first_campaign(sandbox)
    first = await client.send_invite(campaign, email="dup@example.com")
    again = await client.send_invite(campaign, email="DUP@example.com", first_name="Dup")
    gone = await client.send_invite(campaign, email=UNSUBSCRIBED_EMAIL)
    recent = await client.send_invite(campaign, email=RECENT_INVITE_EMAIL)
    returning = await client.send_invite(campaign, email=RETURNING_INVITE_EMAIL)
    status = {invite.id: invite.status for invite in sandbox.invites}
    assert status[first.id] == "queued"
    assert status[again.id] == "ignored"  # within the 14-day window
    assert status[gone.id] == "unsubscribed"
    assert status[recent.id] == "ignored"  # seeded 3 days ago
    assert status[returning.id] == "queued"  # seeded 20 days ago: outside the window
    assert len({first.id, again.id, gone.id, recent.id, returning.id}) == 5


async def test_invite_validation_maps_to_field_errors(
    sandbox: GumadoSandbox, client: GumadoClient
) -> None:
    campaign = first_campaign(sandbox)
    with pytest.raises(Invalid) as missing:
        await client.send_invite(campaign, first_name="Nobody")
    assert missing.value.message == EMAIL_OR_PHONE_REQUIRED
    assert missing.value.field_errors == {"email": [EMAIL_OR_PHONE_REQUIRED]}
    with pytest.raises(Invalid) as bad_email:
        await client.send_invite(campaign, email="not-an-email")
    assert bad_email.value.field_errors == {
        "email": ["The email field must be a valid email address."]
    }
    with pytest.raises(Invalid) as several:
        await client.send_invite(campaign, phone="555-1234", send_after_hours=-1)
    assert set(several.value.field_errors) == {"phone", "send_after_hours"}
    assert several.value.message.endswith("(and 1 more error)")
    with pytest.raises(NotFound):
        await client.send_invite("00000000-0000-4000-8000-000000000000", email="a@example.com")
    with pytest.raises(NotFound):
        await client.send_invite("../organizations", email="a@example.com")


# ---------------------------------------------------------------- auth and scopes


async def test_bad_token_is_an_auth_error(sandbox: GumadoSandbox) -> None:
    async with make_client(sandbox, "9|not-a-real-token") as client:
        with pytest.raises(AuthError) as rejected:
            await client.me()
    assert rejected.value.status == 401
    assert "rejected the API token" in str(rejected.value)
    with pytest.raises(AuthError):
        GumadoClient("http://127.0.0.1:1/api/v1", "  ")
    with pytest.raises(AuthError) as garbled:
        GumadoClient("http://127.0.0.1:1/api/v1", "abc\ndef-secret")
    assert "def-secret" not in str(garbled.value)


@pytest.mark.parametrize(
    ("token", "call", "scope"),
    [
        ("read_only", "send_invite", "request:create"),
        ("read_only", "create_organization", "organizations:create"),
        ("read_only", "list_campaigns", "request:read"),
        ("no_scopes", "list_reviews", "reviews:read"),
        ("no_scopes", "list_organizations", "organizations:read"),
    ],
)
async def test_missing_scope_is_named(
    sandbox: GumadoSandbox, token: str, call: str, scope: str
) -> None:
    calls = {
        "send_invite": lambda c: c.send_invite(first_campaign(sandbox), email="a@example.com"),
        "create_organization": lambda c: c.create_organization("Forbidden Co"),
        "list_campaigns": lambda c: c.list_campaigns(),
        "list_reviews": lambda c: c.list_reviews(),
        "list_organizations": lambda c: c.list_organizations(),
    }
    async with make_client(sandbox, token) as client:
        with pytest.raises(ScopeError) as refused:
            await calls[call](client)
    assert refused.value.scope == scope and refused.value.status == 403
    assert scope in str(refused.value)
    assert not any(i.email == "a@example.com" for i in sandbox.invites)


async def test_scopes_are_enough_for_what_they_allow(sandbox: GumadoSandbox) -> None:
    async with make_client(sandbox, "read_only") as client:
        assert (await client.list_reviews()).items
        assert await client.list_organizations()
    async with make_client(sandbox, "no_scopes") as client:
        assert (await client.me()).id == "1"  # "Any valid token"
        assert await client.list_sources()
        assert await client.list_countries()
