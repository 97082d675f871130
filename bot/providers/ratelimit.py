"""Client-side pacing that keeps us under a platform's per-minute request budget.

Both platforms count requests in a window ("60 requests / minute, window resets every 60s" for
Gumado). A leaky bucket such as aiolimiter's admits a full burst *and* the steady drip inside
one window (up to 2x the budget), which a fixed-window server answers with 429s. A sliding log
of the last ``max_calls`` start times never admits more than ``max_calls`` in any ``period``,
so normal use never sees a 429; when the server still says stop (429 + Retry-After, or
``X-RateLimit-Remaining: 0``) every caller waits until the time it gave.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable


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

    def _forget_old(self, now: float) -> None:
        while self._starts and now - self._starts[0] >= self.period:
            self._starts.popleft()

    def delay(self) -> float:
        """Seconds the next caller would wait now (0 when a slot is free)."""
        now = self._clock()
        self._forget_old(now)
        wait = max(0.0, self._blocked_until - now)
        if len(self._starts) >= self.max_calls:
            wait = max(wait, self._starts[0] + self.period - now)
        return wait

    @property
    def headroom(self) -> int:
        """Requests still allowed in the current window (for status displays)."""
        now = self._clock()
        self._forget_old(now)
        if self._blocked_until > now:
            return 0
        return self.max_calls - len(self._starts)

    async def acquire(self) -> None:
        """Wait for a slot and take it. Callers are served in arrival order."""
        async with self._lock:
            while (wait := self.delay()) > 0:
                await asyncio.sleep(wait)
            self._starts.append(self._clock())

    def block_for(self, seconds: float) -> None:
        """The server asked us to stop: nobody starts a request for ``seconds``."""
        self._blocked_until = max(self._blocked_until, self._clock() + max(0.0, seconds))
