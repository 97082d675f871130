"""Rate limits as the documents give them, over real HTTP against the sandboxes.

Gumado (seeds/003, "Rate Limiting"): 60 a minute, one bucket per token, X-RateLimit-Limit and
X-RateLimit-Remaining on every answer, Retry-After only on 429. Cloutly (seeds/000): a 429 with
no Retry-After at all. Windows are shrunk (sandbox ``window_seconds``, client
``rate_window_seconds`` or an injected limiter) so nothing here waits a real minute.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet

from bot.config import load_settings
from bot.crypto import TokenCipher
from bot.errors import RateLimited
from bot.providers.cloutly import CloutlyClient
from bot.providers.gumado import GumadoClient
from bot.providers.gumado.adapter import GumadoProvider
from bot.providers.http import (
    DEFAULT_RETRY_AFTER,
    MAX_RETRY_AFTER,
    PlatformHTTP,
    parse_retry_after,
    retry_after_seconds,
)
from bot.providers.ratelimit import RateBuckets, SlidingWindowLimiter
from bot.providers.registry import ProviderRegistry
from sandbox.cloutly import CloutlySandbox
from sandbox.gumado import GumadoSandbox

NOW = datetime(2025, 12, 15, 12, 0, tzinfo=UTC)
FAST = {"timeout": 2.0, "backoff_base": 0.01}


@pytest.fixture
async def gumado() -> AsyncIterator[GumadoSandbox]:
    sandbox = GumadoSandbox(now=lambda: NOW, window_seconds=1.0)
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


@pytest.fixture
async def cloutly() -> AsyncIterator[CloutlySandbox]:
    sandbox = CloutlySandbox(now=lambda: NOW)
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


def gumado_client(sandbox: GumadoSandbox, **options: Any) -> GumadoClient:
    assert sandbox.base_url is not None
    return GumadoClient(sandbox.base_url, sandbox.tokens["full"], **{**FAST, **options})


def cloutly_client(sandbox: CloutlySandbox, **options: Any) -> CloutlyClient:
    assert sandbox.base_url is not None
    return CloutlyClient(sandbox.base_url, sandbox.tokens["api_key"], **{**FAST, **options})


# ---------------------------------------------------------------- Gumado


async def test_remaining_zero_on_a_200_holds_requests_until_the_window_resets(
    gumado: GumadoSandbox,
) -> None:
    # Another holder of the token (a second replica) has used 59 of the 60 this window.
    assert gumado.spend("full", 59) == 1
    async with gumado_client(gumado, rate_window_seconds=1.0) as client:
        await client.me()  # 200 with X-RateLimit-Remaining: 0, and no Retry-After
        assert client.headroom == 0
        assert client.pacing_delay > 0.9  # a whole window: its start is unknown to us
        started = time.monotonic()
        await client.me()
        assert time.monotonic() - started >= 0.9
    assert gumado.throttled == 0, "the next request waited for the reset instead of drawing a 429"


async def test_remaining_zero_holds_concurrent_callers_too(gumado: GumadoSandbox) -> None:
    gumado.spend("full", 59)
    async with gumado_client(gumado, rate_window_seconds=1.0) as client:
        await client.me()
        answers = await asyncio.gather(*(client.me() for _ in range(4)))
    assert len(answers) == 4 and gumado.throttled == 0


async def test_pacing_follows_the_servers_x_ratelimit_limit() -> None:
    for server_limit in (5, 100):
        sandbox = GumadoSandbox(now=lambda: NOW, rate_limit=server_limit)
        await sandbox.start()
        try:
            async with gumado_client(sandbox) as client:
                assert client.rate_limit == 60  # the document's figure until the server speaks
                await client.me()
                assert client.rate_limit == server_limit
                assert client.headroom == server_limit - 1
        finally:
            await sandbox.stop()


async def test_a_lower_server_limit_keeps_a_burst_free_of_429s() -> None:
    sandbox = GumadoSandbox(now=lambda: NOW, rate_limit=3, window_seconds=0.5)
    await sandbox.start()
    try:
        async with gumado_client(sandbox, rate_window_seconds=0.6) as client:
            await client.me()  # learns "X-RateLimit-Limit: 3"
            answers = await asyncio.gather(*(client.me() for _ in range(5)))
        assert len(answers) == 5 and sandbox.throttled == 0
    finally:
        await sandbox.stop()


async def test_retry_after_as_an_http_date_is_understood(gumado: GumadoSandbox) -> None:
    # A proxy in front may send the HTTP-date form RFC 9110 allows; "now" is our wall clock.
    assert gumado.base_url is not None
    gumado.inject_fault(status=429, retry_after="Mon, 15 Dec 2025 12:00:30 GMT")
    limiter = SlidingWindowLimiter(60, 60.0)
    http = PlatformHTTP(
        platform="gumado",
        base_url=gumado.base_url,
        auth_headers={"Authorization": f"Bearer {gumado.tokens['full']}"},
        timeout=2.0,
        requests_per_minute=60,
        max_retries=0,
        backoff_base=0.01,
        limiter=limiter,
        wall_clock=lambda: NOW,
    )
    try:
        with pytest.raises(RateLimited, match="try again in 30 s") as limited:
            await http.request("GET", "me")
    finally:
        await http.aclose()
    assert limited.value.retry_after == 30.0
    assert 29 < limiter.delay() <= 30


async def test_a_real_time_http_date_is_waited_out_then_retried(gumado: GumadoSandbox) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=2)
    gumado.inject_fault(status=429, retry_after=format_datetime(soon, usegmt=True))
    async with gumado_client(gumado, max_retries=1) as client:
        started = time.monotonic()
        assert (await client.me()).id == "1"
        assert time.monotonic() - started >= 0.5  # the date has whole seconds only
    assert len(gumado.requests) == 2


def test_retry_after_forms() -> None:
    now = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
    assert retry_after_seconds("120", now=now) == 120.0
    assert retry_after_seconds(" 1.5 ", now=now) == 1.5
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=now) == 30.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:30 -0000", now=now) == 30.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:27:00 GMT", now=now) == 0.0  # past
    assert retry_after_seconds("99999", now=now) == MAX_RETRY_AFTER
    for unreadable in (None, "", "soon", "nan", "inf", "Wed, 99 Foo 2015"):
        assert retry_after_seconds(unreadable, now=now) is None
    assert parse_retry_after(None) == DEFAULT_RETRY_AFTER  # Slack's callers keep a default
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=now) == 30.0


# ---------------------------------------------------------------- one bucket per token


def test_rate_buckets_are_per_platform_and_token_and_never_hold_the_token() -> None:
    buckets = RateBuckets()
    token = "7|secret-token-value"
    first = buckets.limiter("gumado", token, max_calls=60)
    assert buckets.limiter("gumado", f" {token}\n", max_calls=60) is first
    assert buckets.limiter("gumado", "8|other", max_calls=60) is not first
    assert buckets.limiter("cloutly", token, max_calls=100) is not first
    assert len(buckets) == 3
    assert token not in repr(buckets) and token not in repr(vars(buckets))


@dataclass
class StoredConnection:
    id: int
    platform: str
    token_encrypted: str


async def test_registry_clients_of_one_token_share_its_bucket(
    gumado: GumadoSandbox, cloutly: CloutlySandbox
) -> None:
    assert gumado.base_url is not None and cloutly.base_url is not None
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-1-2-3",
            "SLACK_SIGNING_SECRET": "secret",
            "GUMADO_API_URL": gumado.base_url,
            "CLOUTLY_API_URL": cloutly.base_url,
        }
    )
    cipher = TokenCipher(Fernet.generate_key().decode())
    registry = ProviderRegistry(settings, cipher)
    gumado.window_seconds = 60.0  # the document's minute: nothing below waits for it
    token = gumado.tokens["full"]
    try:
        poller = registry.provider_for(StoredConnection(1, "gumado", cipher.encrypt(token)))
        check = registry.new_provider("gumado", token)  # the connect form's check
        other_token = registry.new_provider("gumado", gumado.tokens["read_only"])
        try:
            assert isinstance(poller, GumadoProvider)
            await poller.client.me()
            assert check.headroom == 59 and other_token.headroom == 60

            gumado.spend("full", 58)
            await poller.client.me()  # X-RateLimit-Remaining: 0
            assert check.pacing_delay > 50, "the check waits with the poller"
            assert other_token.pacing_delay == 0
        finally:
            await check.aclose()
            await other_token.aclose()

        key = cloutly.tokens["api_key"]
        cloutly.inject_fault(status=429)
        first = registry.new_provider("cloutly", key)
        try:
            with pytest.raises(RateLimited):
                await first.organizations()
        finally:
            await first.aclose()
        second = registry.new_provider("cloutly", key)
        try:
            assert second.pacing_delay > 50
        finally:
            await second.aclose()
    finally:
        await registry.aclose()


# ---------------------------------------------------------------- Cloutly


async def test_cloutly_429_without_retry_after_raises_at_once_and_holds_a_window(
    cloutly: CloutlySandbox,
) -> None:
    cloutly.inject_fault(status=429)
    async with cloutly_client(cloutly, max_retries=3) as client:
        started = time.monotonic()
        with pytest.raises(RateLimited, match="try again in 60 s") as limited:
            await client.list_businesses()
        assert time.monotonic() - started < 1, "no wait inside the call"
        assert limited.value.retry_after == 60.0  # a whole window: at least the 25 s asked for
        assert len(cloutly.requests) == 1, "never retried in a burst"
        assert client.headroom == 0 and client.pacing_delay > 59
        with pytest.raises(TimeoutError):  # the next call waits on our side, not at Cloutly
            await asyncio.wait_for(client.list_reviews(), timeout=0.3)
    assert len(cloutly.requests) == 1


async def test_cloutly_requests_resume_after_the_window(cloutly: CloutlySandbox) -> None:
    cloutly.inject_fault(status=429)
    async with cloutly_client(cloutly, limiter=SlidingWindowLimiter(100, 0.5)) as client:
        with pytest.raises(RateLimited) as limited:
            await client.list_businesses()
        assert limited.value.retry_after == 0.5
        started = time.monotonic()
        assert len(await client.list_businesses()) == len(cloutly.businesses)
        assert time.monotonic() - started >= 0.4
    assert len(cloutly.requests) == 2


async def test_cloutly_real_limit_answers_without_retry_after(cloutly: CloutlySandbox) -> None:
    cloutly.rate_limit = 2
    async with cloutly_client(cloutly, max_retries=3) as client:
        await client.list_businesses()
        await client.list_businesses()
        with pytest.raises(RateLimited) as limited:
            await client.list_businesses()
    assert limited.value.retry_after == 60.0
    assert len(cloutly.requests) == 3
