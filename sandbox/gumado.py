"""An in-process Gumado that speaks the API document's protocol (seeds/003), for tests and demos.

State and its webhooks: :mod:`sandbox.gumado_state`; routes: :mod:`sandbox.gumado_routes`
and :mod:`sandbox.gumado_control`; invite rules: :mod:`sandbox.gumado_invites`; seed:
:mod:`sandbox.gumado_data`. This module adds what the HTTP side needs: tokens with scopes,
the per-token fixed-window rate limit, fault injection, a request log, and start/stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import string
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from sandbox.gumado_models import SandboxInvalid, SandboxNotFound
from sandbox.gumado_state import GumadoState

__all__ = ["ALL_SCOPES", "Fault", "GumadoSandbox", "SandboxInvalid", "SandboxNotFound"]

# "Token Permissions" in the document.
ALL_SCOPES = frozenset(
    {
        "reviews:read",
        "request:read",
        "request:create",
        "organizations:read",
        "organizations:create",
        "organizations:update",
        "organizations:delete",
    }
)


@dataclass
class Fault:
    """The next ``count`` API requests (under ``path`` if set) fail or are slowed this way."""

    status: int | None = None
    count: int = 1
    retry_after: float | str | None = None
    delay: float = 0.0
    path: str | None = None
    body: str | None = None
    content_type: str | None = None


class GumadoSandbox(GumadoState):
    """Gumado's REST API and webhooks, in memory, on a local port."""

    def __init__(
        self,
        *,
        seed: int = 7,
        now: Callable[[], datetime] | None = None,
        rate_limit: int = 60,
        window_seconds: float = 60.0,
        webhook_retry_scale: float = 1.0,
        webhook_timeout: float = 30.0,
    ) -> None:
        if rate_limit < 1 or window_seconds <= 0:
            raise ValueError("rate_limit must be >= 1 and window_seconds > 0")
        super().__init__(
            seed=seed,
            now=now,
            webhook_retry_scale=webhook_retry_scale,
            webhook_timeout=webhook_timeout,
        )
        self.rate_limit = rate_limit
        self.window_seconds = window_seconds
        self.tokens: dict[str, str] = {}
        """Seeded tokens: ``full``, ``read_only`` (reviews + organizations read), ``no_scopes``."""
        self._scopes: dict[str, frozenset[str]] = {}
        self.add_token("full", ALL_SCOPES)
        self.add_token("read_only", {"reviews:read", "organizations:read"})
        self.add_token("no_scopes", set())
        self.requests: list[tuple[str, str, str]] = []
        """Every API request as (method, path, query string); never headers."""
        self.throttled = 0
        """How many requests the rate limit answered with 429 (faults not counted)."""
        self.links_base_url: str | None = None
        """Base URL written into pagination ``links`` (tests point it elsewhere)."""
        self._faults: list[Fault] = []
        self._buckets: dict[str, tuple[float, int]] = {}
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url: str | None = None

    # ---------------------------------------------------------------- running

    def make_app(self) -> web.Application:
        """The aiohttp application: ``/api/v1/…`` and the ``/_sandbox/…`` control routes."""
        from sandbox.gumado_routes import build_app

        return build_app(self)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0 = any free port); return the API base URL."""
        self._closing.clear()
        runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound = runner.addresses[0][1] if runner.addresses else port
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown}:{bound}/api/v1"
        return self.base_url

    async def stop(self, *, drain_timeout: float = 5.0) -> None:
        """Finish (or, after ``drain_timeout`` s, cancel) webhook deliveries and stop serving."""
        self._closing.set()
        await self.webhooks.close(drain_timeout)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def sleep(self, seconds: float) -> None:
        """Sleep that ends early when the sandbox stops (injected delays must not hold it up)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)

    # ---------------------------------------------------------------- tokens, limits, faults

    def add_token(self, name: str, scopes: Iterable[str]) -> str:
        """Create a token with ``scopes`` (Sanctum-style ``id|secret``); return its value."""
        wanted = frozenset(scopes)
        unknown = wanted - ALL_SCOPES
        if unknown:
            raise ValueError(f"Unknown scopes: {', '.join(sorted(unknown))}")
        secret = "".join(self._rng.choices(string.ascii_letters + string.digits, k=40))
        token = f"{len(self._scopes) + 1}|{secret}"
        self.tokens[name] = token
        self._scopes[token] = wanted
        return token

    def scopes_of(self, token: str | None) -> frozenset[str] | None:
        """The token's scopes, or ``None`` when the sandbox does not know the token."""
        return None if token is None else self._scopes.get(token)

    @staticmethod
    def token_bucket(token: str) -> str:
        """The rate-limit bucket key of a known token (one bucket per token)."""
        return f"token:{token}"

    def spend(self, name: str, count: int) -> int:
        """Count ``count`` requests against token ``name``'s window, as another holder of the
        token would (another replica, another tool); return the requests left in it."""
        if count < 1:
            raise ValueError("count must be >= 1")
        key = self.token_bucket(self.tokens[name])
        remaining = 0
        for _ in range(count):
            _, remaining, _ = self.consume(key)
        return remaining

    def consume(self, key: str) -> tuple[bool, int, float]:
        """Count one request in ``key``'s fixed window: (allowed, remaining, seconds to reset)."""
        now = time.monotonic()
        start, count = self._buckets.get(key, (now, 0))
        if now - start >= self.window_seconds:
            start, count = now, 0
        reset_in = start + self.window_seconds - now
        if count >= self.rate_limit:
            self._buckets[key] = (start, count)
            return False, 0, reset_in
        self._buckets[key] = (start, count + 1)
        return True, self.rate_limit - count - 1, reset_in

    @staticmethod
    def retry_after(reset_in: float) -> int:
        """Whole seconds for ``Retry-After`` (at least 1)."""
        return max(1, math.ceil(reset_in))

    def inject_fault(
        self,
        *,
        status: int | None = None,
        count: int = 1,
        retry_after: float | str | None = None,
        delay: float = 0.0,
        path: str | None = None,
        body: str | None = None,
        content_type: str | None = None,
    ) -> Fault:
        """Make the next ``count`` API requests answer ``status`` and/or wait ``delay`` s first.

        A 429's ``Retry-After`` is ``retry_after`` seconds (1 if unset); a string is sent as it
        is, e.g. the HTTP-date form (RFC 9110) a proxy in front of the API may use.
        """
        if status is not None and not 200 <= status <= 599:
            raise ValueError("status must be a final HTTP status code (200-599)")
        if count < 1 or delay < 0:
            raise ValueError("count must be >= 1 and delay >= 0")
        if status is None and delay == 0:
            raise ValueError("a fault needs a status, a delay or both")
        fault = Fault(status, count, retry_after, delay, path, body, content_type)
        self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        self._faults.clear()

    def take_fault(self, path: str) -> Fault | None:
        """The first pending fault matching ``path``, counted down by one."""
        for fault in self._faults:
            if fault.path is None or path.startswith(fault.path):
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None
