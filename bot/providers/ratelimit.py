"""Client-side pacing that keeps us under a platform's per-minute request budget.

Both platforms count requests in a window ("60 requests / minute, window resets every 60s" for
Gumado). A leaky bucket such as aiolimiter's admits a full burst *and* the steady drip inside
one window (up to 2x the budget), which a fixed-window server answers with 429s. A sliding log
of the last ``max_calls`` start times never admits more than ``max_calls`` in any ``period``,
so normal use never sees a 429; when the server still says stop (429, or
``X-RateLimit-Remaining: 0``) every caller waits until the time it gave or we estimated.

The server keeps one bucket per token ("All authenticated requests share the same rate limit
bucket", Gumado's document), so :class:`RateBuckets` hands every client of one token in this
process the same limiter. Other processes (replicas) have their own: the server's
``X-RateLimit-Remaining: 0`` and 429s are what keep them from overrunning each other.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import deque
from collections.abc import Callable

__all__ = ["RateBuckets", "SlidingWindowLimiter"]


class SlidingWindowLimiter:
    """At most ``max_calls`` acquisitions in any ``period`` seconds, shared by all callers."""

    def __init__(
        self,
        max_calls: int,
        period: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_calls < 1 or period <= 0:
            raise ValueError("max_calls must be >= 1 and period > 0")
        self.max_calls = max_calls
        self.period = period
        self._clock = clock
        self._starts: deque[float] = deque()
        self._blocked_until = 0.0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SlidingWindowLimiter(max_calls={self.max_calls}, period={self.period:g})"

    def _forget_old(self, now: float) -> None:
        while self._starts and now - self._starts[0] >= self.period:
            self._starts.popleft()

    def delay(self) -> float:
        """Seconds the next caller would wait now (0 when a slot is free)."""
        now = self._clock()
        self._forget_old(now)
        wait = max(0.0, self._blocked_until - now)
        if len(self._starts) >= self.max_calls:
            # The next slot frees when the max_calls-th newest start leaves the window (the
            # log may hold more than max_calls after the server lowered the limit).
            wait = max(wait, self._starts[-self.max_calls] + self.period - now)
        return wait

    @property
    def headroom(self) -> int:
        """Requests still allowed in the current window (for status displays)."""
        now = self._clock()
        self._forget_old(now)
        if self._blocked_until > now:
            return 0
        return max(0, self.max_calls - len(self._starts))

    async def acquire(self) -> None:
        """Wait for a slot and take it. Callers are served in arrival order."""
        async with self._lock:
            while (wait := self.delay()) > 0:
                await asyncio.sleep(wait)
            self._starts.append(self._clock())

    def block_for(self, seconds: float) -> None:
        """The server asked us to stop: nobody starts a request for ``seconds``."""
        self._blocked_until = max(self._blocked_until, self._clock() + max(0.0, seconds))

    def set_limit(self, max_calls: int) -> None:
        """Pace to ``max_calls`` per window from now on (the server's ``X-RateLimit-Limit``)."""
        if max_calls < 1:
            raise ValueError("max_calls must be >= 1")
        self.max_calls = max_calls


class RateBuckets:
    """One :class:`SlidingWindowLimiter` per (platform, token) for this process.

    Keys hold a SHA-256 of the token, never the token, so nothing printable carries it. A bucket
    lives as long as the process (a few hundred bytes per token ever used), because a client
    built later for the same token must still see the requests made before it.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str], SlidingWindowLimiter] = {}

    def __repr__(self) -> str:
        return f"RateBuckets(buckets={len(self._buckets)})"

    def __len__(self) -> int:
        return len(self._buckets)

    def limiter(
        self, platform: str, token: str, *, max_calls: int, period: float = 60.0
    ) -> SlidingWindowLimiter:
        """The shared limiter of ``token`` on ``platform`` (made with these figures if new)."""
        key = (platform, hashlib.sha256(token.strip().encode("utf-8", "surrogatepass")).hexdigest())
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = SlidingWindowLimiter(max_calls, period, clock=self._clock)
            self._buckets[key] = bucket
        return bucket
