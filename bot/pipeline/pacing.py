"""Per-channel pacing of posts: Slack allows about one message a second per channel."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["BURST", "ChannelPace", "Pacer"]

RATE_PER_SECOND = 1.0
# "Short bursts are allowed" (chat.postMessage): a few cards at once, then one a second.
BURST = 3.0


class ChannelPace:
    """A token bucket for one channel, plus the Retry-After wait Slack imposed on it."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._tokens = BURST
        self._stamp = clock()
        self._blocked_until = 0.0

    def _refill(self) -> float:
        now = self._clock()
        self._tokens = min(BURST, self._tokens + (now - self._stamp) * RATE_PER_SECOND)
        self._stamp = now
        return now

    def available(self) -> int:
        """How many posts may go out now."""
        now = self._refill()
        if now < self._blocked_until:
            return 0
        return int(self._tokens)

    def take(self) -> None:
        """Count one post."""
        self._refill()
        self._tokens -= 1.0

    def block(self, seconds: float) -> None:
        """Slack said 429: nothing goes to this channel for ``seconds``."""
        now = self._refill()
        self._blocked_until = max(self._blocked_until, now + seconds)
        self._tokens = min(self._tokens, 0.0)

    def wait(self) -> float:
        """Seconds until the next post may go out."""
        now = self._refill()
        blocked = max(0.0, self._blocked_until - now)
        refill = max(0.0, (1.0 - self._tokens) / RATE_PER_SECOND)
        return max(blocked, refill)


class Pacer:
    """The paces of every channel this process posts to."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._paces: dict[tuple[str, str], ChannelPace] = {}

    def of(self, team_id: str, channel_id: str) -> ChannelPace:
        """The pace of one channel."""
        key = (team_id, channel_id)
        pace = self._paces.get(key)
        if pace is None:
            pace = self._paces[key] = ChannelPace(self._clock)
        return pace

    def blocked_channels(self) -> set[str]:
        """Channels that may not get a post right now."""
        return {channel for (_, channel), pace in self._paces.items() if pace.available() == 0}

    def shortest_wait(self) -> float | None:
        """Seconds until the first blocked channel frees up (None if none is blocked)."""
        waits = [pace.wait() for pace in self._paces.values()]
        positive = [w for w in waits if w > 0]
        return min(positive) if positive else None
