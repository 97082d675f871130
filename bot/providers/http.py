"""The HTTP transport both platform clients share: pacing, retries, timeouts, redaction.

A client calls :meth:`PlatformHTTP.request`; it gets back a response for every status below
500 except 429, and maps 4xx bodies to errors itself (each platform words them differently).
429 waits ``Retry-After`` and retries a bounded number of times, then raises ``RateLimited``;
timeouts, connection failures and 5xx back off exponentially, then raise ``Unavailable``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
)

from bot.errors import RateLimited, Unavailable
from bot.providers.ratelimit import SlidingWindowLimiter

log = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 5.0
MAX_RETRY_AFTER = 120.0


class _Retryable(Exception):
    """Internal: one attempt failed in a way worth another try."""

    def __init__(self, final: Exception, retry_after: float | None = None) -> None:
        super().__init__(str(final))
        self.final = final
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float:
    """Seconds from a ``Retry-After`` header (delta-seconds form), bounded and defaulted."""
    if value is None:
        return DEFAULT_RETRY_AFTER
    try:
        seconds = float(value.strip())
    except ValueError:
        return DEFAULT_RETRY_AFTER
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


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
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.platform = platform
        self.limiter = SlidingWindowLimiter(requests_per_minute, 60.0)
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
            log.warning("%s %s timed out", self.platform, method)
            if idempotent:
                raise _Retryable(error) from exc
            raise error from exc
        except httpx.TransportError as exc:
            error = Unavailable(f"Could not reach {self.platform.title()}", platform=self.platform)
            log.warning("%s %s transport error: %s", self.platform, method, type(exc).__name__)
            if idempotent:
                raise _Retryable(error) from exc
            raise error from exc

        self._note_budget(response)
        if response.status_code == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            self.limiter.block_for(retry_after)
            log.warning("%s rate-limited us; waiting %.1f s", self.platform, retry_after)
            # A 429 was not processed, so retrying is safe even for non-idempotent calls.
            raise _Retryable(
                RateLimited(
                    f"{self.platform.title()} is rate-limiting us; try again in "
                    f"{max(1, round(retry_after))} s",
                    platform=self.platform,
                    retry_after=retry_after,
                ),
                retry_after=retry_after,
            )
        if response.status_code >= 500:
            error = Unavailable(
                f"{self.platform.title()} had a server error ({response.status_code})",
                platform=self.platform,
                status=response.status_code,
            )
            log.warning("%s answered %s", self.platform, response.status_code)
            if idempotent:
                raise _Retryable(error)
            raise error
        return response

    def _note_budget(self, response: httpx.Response) -> None:
        """Honour ``X-RateLimit-Remaining: 0`` before the server has to send a 429."""
        remaining = response.headers.get("X-RateLimit-Remaining")
        if remaining is not None and remaining.strip() == "0" and response.status_code != 429:
            reset = response.headers.get("Retry-After") or response.headers.get("X-RateLimit-Reset")
            if reset is not None:
                self.limiter.block_for(parse_retry_after(reset))
