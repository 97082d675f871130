"""The HTTP transport both platform clients share: pacing, retries, timeouts, redaction.

A client calls :meth:`PlatformHTTP.request`; it gets back a response for every status below
500 except 429, and maps 4xx bodies to errors itself (each platform words them differently).
429 with ``Retry-After`` waits that long and retries a bounded number of times, then raises
``RateLimited``; 429 without it raises ``RateLimited`` at once (see :meth:`_rate_limited`).
Timeouts, connection failures and 5xx back off exponentially, then raise ``Unavailable``.
Every answer's ``X-RateLimit-Limit``/``X-RateLimit-Remaining`` adjust the shared limiter.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
)

from bot.errors import RateLimited, Unavailable
from bot.log import get_logger
from bot.providers.ratelimit import SlidingWindowLimiter

log = get_logger(__name__)

StatusObserver = Callable[[str, str], None]
"""Told (platform, status) for every answer: the HTTP status, ``timeout`` or ``transport_error``."""

DEFAULT_RETRY_AFTER = 5.0
MAX_RETRY_AFTER = 120.0


class _Retryable(Exception):
    """Internal: one attempt failed in a way worth another try."""

    def __init__(self, final: Exception, retry_after: float | None = None) -> None:
        super().__init__(str(final))
        self.final = final
        self.retry_after = retry_after


def _utc_now() -> datetime:
    return datetime.now(UTC)


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` header asks for, bounded; None when absent or unreadable.

    RFC 9110 allows delta-seconds or an HTTP-date ("Fri, 31 Dec 1999 23:59:59 GMT"); the date
    form is counted from ``now`` (our clock). Fractions are accepted (the sandboxes' short waits).
    """
    text = (value or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000": UTC with no claim about the local zone
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float:
    """Seconds from a ``Retry-After`` header (either RFC 9110 form), defaulted when missing."""
    seconds = retry_after_seconds(value, now=now or _utc_now())
    return DEFAULT_RETRY_AFTER if seconds is None else seconds


def _count_header(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name, "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


class PlatformHTTP:
    """An ``httpx.AsyncClient`` with a platform's auth header, pacing and retry policy."""

    def __init__(
        self,
        *,
        platform: str,
        base_url: str,
        auth_headers: Mapping[str, str],
        timeout: float,
        requests_per_minute: int,
        max_retries: int,
        backoff_base: float,
        window_seconds: float = 60.0,
        limiter: SlidingWindowLimiter | None = None,
        wall_clock: Callable[[], datetime] = _utc_now,
        transport: httpx.AsyncBaseTransport | None = None,
        on_status: StatusObserver | None = None,
    ) -> None:
        self.platform = platform
        self._on_status = on_status
        # An injected limiter is the token's shared bucket (RateBuckets); else one of our own.
        self.limiter = limiter or SlidingWindowLimiter(requests_per_minute, window_seconds)
        self._wall_clock = wall_clock
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={
                "Accept": "application/json",
                "User-Agent": "slack-review-bot/0.1",
                **auth_headers,
            },
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"PlatformHTTP(platform={self.platform!r}, base_url={str(self._client.base_url)!r})"

    @property
    def base_url(self) -> httpx.URL:
        return self._client.base_url

    async def aclose(self) -> None:
        await self._client.aclose()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return float(exc.retry_after)
        # Exponential backoff with "equal jitter": about base, 2·base, 4·base … per attempt.
        ceiling: float = self.backoff_base * 2.0 ** (state.attempt_number - 1)
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send one logical request; see the module docstring for what is retried."""
        url = path.lstrip("/") if not path.startswith("http") else path
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(method, url, params, json, idempotent)
        except _Retryable as exc:
            raise exc.final from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def _attempt(
        self, method: str, url: str, params: Any, json: Any, idempotent: bool
    ) -> httpx.Response:
        await self.limiter.acquire()
        try:
            response = await self._client.request(method, url, params=params, json=json)
        except httpx.TimeoutException as exc:
            error = Unavailable(
                f"{self.platform.title()} did not answer in time", platform=self.platform
            )
            self._observe("timeout")
            log.warning("platform_request_timed_out", platform=self.platform, method=method)
            if idempotent:
                raise _Retryable(error) from exc
            raise error from exc
        except httpx.TransportError as exc:
            error = Unavailable(f"Could not reach {self.platform.title()}", platform=self.platform)
            self._observe("transport_error")
            log.warning(
                "platform_request_failed",
                platform=self.platform,
                method=method,
                error_type=type(exc).__name__,
            )
            if idempotent:
                raise _Retryable(error) from exc
            raise error from exc

        self._observe(str(response.status_code))
        self._note_budget(response)
        if response.status_code == 429:
            raise self._rate_limited(response)
        if response.status_code >= 500:
            error = Unavailable(
                f"{self.platform.title()} had a server error ({response.status_code})",
                platform=self.platform,
                status=response.status_code,
            )
            log.warning(
                "platform_server_error", platform=self.platform, status=response.status_code
            )
            if idempotent:
                raise _Retryable(error)
            raise error
        return response

    def _observe(self, status: str) -> None:
        if self._on_status is not None:
            self._on_status(self.platform, status)

    def _rate_limited(self, response: httpx.Response) -> Exception:
        """What a 429 raises: retried after ``Retry-After`` when given, else at once."""
        told = retry_after_seconds(response.headers.get("Retry-After"), now=self._wall_clock())
        # Cloutly's 429 carries no Retry-After ("You reached a rate-limit of 100 API calls per
        # minute", seeds/000) and we cannot see when its window began, so only a whole window
        # from now is sure to outlast it. Sleeping that out here would keep a person or the
        # poller's whole pass waiting, and retrying sooner would only draw more 429s: the caller
        # gets RateLimited(retry_after) now, and meanwhile every user of the token is held.
        wait = told if told is not None else self.limiter.period
        self.limiter.block_for(wait)
        log.warning("platform_rate_limited", platform=self.platform, wait_seconds=round(wait, 1))
        error = RateLimited(
            f"{self.platform.title()} is rate-limiting us; try again in {max(1, math.ceil(wait))} s",
            platform=self.platform,
            retry_after=wait,
        )
        if told is None:
            return error
        # A 429 was not processed, so retrying is safe even for non-idempotent calls.
        return _Retryable(error, retry_after=wait)

    def _note_budget(self, response: httpx.Response) -> None:
        """Follow the server's ``X-RateLimit-Limit`` and stop at ``X-RateLimit-Remaining: 0``."""
        limit = _count_header(response, "X-RateLimit-Limit")
        if limit is not None and limit >= 1 and limit != self.limiter.max_calls:
            log.info("platform_rate_limit_learned", platform=self.platform, limit=limit)
            self.limiter.set_limit(limit)
        if response.status_code != 429 and _count_header(response, "X-RateLimit-Remaining") == 0:
            # The bucket is spent. Gumado's document sends no reset time, and the bucket is
            # shared with whoever else holds the token (other replicas, other tools), so our
            # own log cannot tell when the server's window began. It began before this answer,
            # so it resets within one window from now: waiting that long may idle for part of
            # a window but never draws a 429.
            self.limiter.block_for(self.limiter.period)


class PacedHTTPClient:
    """What both platform clients expose of their :class:`PlatformHTTP`: pacing and closing."""

    _http: PlatformHTTP

    @property
    def headroom(self) -> int:
        """Requests our own pacing still allows in the current minute (for status displays)."""
        return self._http.limiter.headroom

    @property
    def rate_limit(self) -> int:
        """Requests our pacing allows per window (the headroom counts down from this)."""
        return self._http.limiter.max_calls

    @property
    def pacing_delay(self) -> float:
        """Seconds a request made now would wait first: our pacing or the platform's Retry-After."""
        return self._http.limiter.delay()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
