"""Slack's rate tier for reading history, as the stand-in enforces it.

Since 2025 (Slack changelog "2025-05 terms, rate limit update"; SLACK_FACTS §6) apps distributed
outside the Slack Marketplace get ``conversations.history`` and ``conversations.replies`` at
Tier 1 — 1 request per minute per method per workspace — and a ``limit`` of at most (and by
default) 15 messages. Internal, single-workspace apps made from a manifest keep Tier 3 (50+ a
minute, ``limit`` up to 999). The stand-in treats a token issued through its OAuth flow as a
distributed app's and the configured bot tokens as an internal app's, unless told otherwise.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["HISTORY_METHODS", "TIER1_LIMIT", "HistoryTiers"]

HISTORY_METHODS = frozenset({"conversations.history", "conversations.replies"})
TIER1_LIMIT = 15
"""Tier 1: ``limit`` max and default."""
PER_MINUTE = {"tier1": 1, "tier3": 50}

Tier = Literal["tier1", "tier3"]


@dataclass
class HistoryTiers:
    """Counts history reads per (workspace, method) in a sliding window, by the token's tier."""

    distributed_tokens: Callable[[], set[str]]
    """Tokens of distributed (OAuth-installed) apps: Tier 1 unless ``tier`` forces one."""
    tier: Tier | None = None
    """Force one tier for every token (None: by how the token was issued)."""
    window_seconds: float = 60.0
    """Slack's minute; tests shrink it."""
    clock: Callable[[], float] = time.monotonic
    # (workspace, method, tier) -> read times: the limit is per method per app per workspace,
    # and the two tiers stand for two apps (a rotated token is still the same app).
    _reads: dict[tuple[str, str, str], deque[float]] = field(
        default_factory=lambda: defaultdict(deque)
    )

    def tier_of(self, token: str) -> Tier:
        """The history tier of the app the token belongs to."""
        if self.tier is not None:
            return self.tier
        return "tier1" if token in self.distributed_tokens() else "tier3"

    def retry_after(self, method: str, token: str, team_id: str) -> int | None:
        """Seconds to wait when this read is over the tier's limit (the read is counted if not)."""
        if method not in HISTORY_METHODS:
            return None
        now = self.clock()
        tier = self.tier_of(token)
        reads = self._reads[(team_id, method, tier)]
        while reads and now - reads[0] >= self.window_seconds:
            reads.popleft()
        allowed = PER_MINUTE[tier]
        if len(reads) >= allowed:
            return max(1, math.ceil(reads[0] + self.window_seconds - now))
        reads.append(now)
        return None

    def page_limit(self, token: str, asked: int | None) -> int | None:
        """The ``limit`` a Tier 1 app gets (at most 15, 15 when not given); None: as asked."""
        if self.tier_of(token) != "tier1":
            return None
        return TIER1_LIMIT if asked is None or asked <= 0 else min(asked, TIER1_LIMIT)
