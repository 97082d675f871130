"""GumadoClient failures over real HTTP: rate limits, 5xx, timeouts, unreadable answers, redaction."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from structlog.testing import capture_logs

from bot.errors import (
    AuthError,
    Invalid,
    NotFound,
    ProviderError,
    RateLimited,
    ScopeError,
    Unavailable,
)
from bot.providers.gumado import GumadoClient
from sandbox.gumado import GumadoSandbox

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


# ---------------------------------------------------------------- rate limits and failures


async def test_429_waits_retry_after_then_succeeds() -> None:
    sandbox = GumadoSandbox(now=lambda: NOW, rate_limit=3, window_seconds=1.0)
    await sandbox.start()
    try:
        async with make_client(sandbox) as client:
            # Another holder of the token spent this window's budget (our own pacing would
            # have stopped at "X-RateLimit-Remaining: 0" before a 429).
            sandbox.spend("full", 3)
            started = time.monotonic()
            me = await client.me()  # the 4th in the window: 429, Retry-After: 1
            elapsed = time.monotonic() - started
        assert me.id == "1"
        assert sandbox.throttled == 1
        assert elapsed >= 1.0
    finally:
        await sandbox.stop()


async def test_persistent_429_raises_rate_limited(
    sandbox: GumadoSandbox, client: GumadoClient
) -> None:
    sandbox.inject_fault(status=429, count=10, retry_after=0.05)
    sandbox.requests.clear()
    with pytest.raises(RateLimited) as limited:
        await client.list_organizations()
    assert limited.value.retry_after == pytest.approx(0.05)
    assert len(sandbox.requests) == 3  # one try + max_retries=2


async def test_client_pacing_keeps_a_burst_under_the_limit() -> None:
    sandbox = GumadoSandbox(now=lambda: NOW, rate_limit=4, window_seconds=0.5)
    await sandbox.start()
    try:
        # The client's sliding window is a little longer than the server's fixed one, so
        # network jitter between "sent" and "counted" cannot push a request into a full window.
        async with make_client(sandbox, requests_per_minute=4, rate_window_seconds=0.6) as client:
            started = time.monotonic()
            answers = await asyncio.gather(*(client.me() for _ in range(12)))
            elapsed = time.monotonic() - started
            assert client.headroom == 0
        assert len(answers) == 12
        assert sandbox.throttled == 0
        assert elapsed >= 1.2  # 12 requests at 4 per 0.6 s need two full waits
    finally:
        await sandbox.stop()


async def test_server_errors_are_retried_then_succeed(
    sandbox: GumadoSandbox, client: GumadoClient
) -> None:
    sandbox.inject_fault(status=500, count=2)
    sandbox.requests.clear()
    assert len(await client.list_organizations()) == len(sandbox.organizations)
    assert len(sandbox.requests) == 3


async def test_persistent_server_errors_raise_unavailable(
    sandbox: GumadoSandbox, client: GumadoClient
) -> None:
    sandbox.inject_fault(status=503, count=10)
    with pytest.raises(Unavailable) as down:
        await client.me()
    assert down.value.status == 503


async def test_timeouts_are_retried_then_unavailable(sandbox: GumadoSandbox) -> None:
    async with make_client(sandbox, timeout=0.2, max_retries=1) as client:
        sandbox.inject_fault(delay=1.0, count=1)
        assert (await client.me()).id == "1"  # first attempt timed out, the retry answered
        sandbox.inject_fault(delay=1.0, count=5)
        started = time.monotonic()
        with pytest.raises(Unavailable) as slow:
            await client.me()
        assert "did not answer in time" in str(slow.value)
        assert time.monotonic() - started < 1.0


async def test_unreadable_answers_are_provider_errors(
    sandbox: GumadoSandbox, client: GumadoClient
) -> None:
    sandbox.inject_fault(status=200, body="<html>maintenance</html>")
    with pytest.raises(ProviderError, match="not JSON"):
        await client.me()
    sandbox.inject_fault(status=200, body='{"items": []}', content_type="application/json")
    with pytest.raises(ProviderError, match="without a 'data' list"):
        await client.list_reviews()
    sandbox.inject_fault(status=200, body='{"items": []}', content_type="application/json")
    with pytest.raises(ProviderError, match="without a 'data' list"):
        await client.list_organizations()
    sandbox.inject_fault(status=202, body='{"ok": true}', content_type="application/json")
    with pytest.raises(ProviderError, match="no invite 'id'"):
        await client.send_invite(first_campaign(sandbox), email="a@example.com")
    sandbox.inject_fault(status=418, body="I'm a teapot")
    with pytest.raises(ProviderError) as teapot:
        await client.me()
    assert type(teapot.value) is ProviderError and teapot.value.status == 418


async def test_the_token_never_shows_in_errors_reprs_or_logs(
    sandbox: GumadoSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = sandbox.add_token("limited", {"reviews:read"})
    errors: list[BaseException] = []
    async with make_client(sandbox, token, timeout=0.2, max_retries=1) as client:
        assert token not in repr(client) and token not in str(client)
        attempts = [
            lambda: client.create_organization("X"),  # ScopeError
            lambda: client.get_organization(424242),  # ScopeError (organizations:read)
            lambda: client.send_invite(first_campaign(sandbox)),  # ScopeError
        ]
        for attempt in attempts:
            with pytest.raises(ProviderError) as caught:
                await attempt()
            errors.append(caught.value)
        for fault, expected in [
            ({"status": 500, "count": 5}, Unavailable),
            ({"status": 429, "count": 5, "retry_after": 0.01}, RateLimited),
            ({"delay": 1.0, "count": 5}, Unavailable),
            ({"status": 200, "body": "<html>"}, ProviderError),
        ]:
            sandbox.inject_fault(**fault)
            with pytest.raises(expected) as caught_fault:
                await client.list_reviews()
            sandbox.clear_faults()
            errors.append(caught_fault.value)
    async with make_client(sandbox) as full:
        for call in (
            lambda: full.get_organization(424242),
            lambda: full.send_invite(first_campaign(sandbox)),
        ):
            with pytest.raises(ProviderError) as caught_full:
                await call()
            errors.append(caught_full.value)
    async with make_client(sandbox, token + "x") as bad:
        with pytest.raises(AuthError) as caught_auth:
            await bad.me()
        errors.append(caught_auth.value)
    kinds = {type(error) for error in errors}
    assert {AuthError, ScopeError, NotFound, Invalid, RateLimited, Unavailable} <= kinds
    for error in errors:
        chain: BaseException | None = error
        while chain is not None:
            assert token not in str(chain) and token not in repr(chain)
            chain = chain.__cause__ or chain.__context__
    assert token not in caplog.text
    assert sandbox.tokens["full"] not in caplog.text


async def test_a_review_that_cannot_be_read_is_skipped_and_counted_not_a_failed_page(
    sandbox: GumadoSandbox, client: GumadoClient
) -> None:
    good = (await client.list_reviews()).items[0]
    body = {
        "data": [
            {"id": 9001, "author": "Secret Name", "message": "private words", "source": None},
            {
                "id": int(good.id),
                "author": good.author,
                "date": "2025-12-15T10:30:00.000000Z",
                "rating": None,
                "message": None,
                "source": good.source,
            },
            ["not", "an", "object"],
        ],
        "meta": {"current_page": 1, "last_page": 1, "per_page": 10, "total": 3},
    }
    sandbox.inject_fault(status=200, body=json.dumps(body), content_type="application/json")
    with capture_logs() as logs:
        page = await client.list_reviews()
    # The unrated review without text is a review; the source-less one and the list are not.
    assert [r.id for r in page.items] == [good.id]
    assert page.items[0].rating is None
    assert page.extra == {"skipped": "2"} and page.total == 3
    logged = repr(logs)
    assert [entry["id"] for entry in logs] == ["9001", "?"]
    assert "source" in logs[0]["reason"]
    assert "Secret Name" not in logged and "private words" not in logged
