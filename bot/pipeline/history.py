"""Reading a channel's history to settle posts whose outcome is unknown, within Slack's limits.

A post that timed out, lost its connection, or whose process died may or may not be in the
channel; the only way to know is to look for its message metadata. Since 2025 Slack gives apps
installed outside its Marketplace (OAuth distribution) ``conversations.history`` and
``conversations.replies`` at Tier 1: 1 request per minute per workspace and at most 15 messages a
page; internal single-workspace apps keep Tier 3 (SLACK_FACTS §6). So history is scarce:

- it is read only for posts whose outcome is unknown (an error answer means nothing was posted);
- one read per channel covers all its unknown posts, and only the stretch of time they span
  (``oldest``/``latest``), newest first;
- a page that cannot be had (the budget is spent, or a 429) ends the read: what the pages read
  showed still counts, and a post not settled keeps a narrower window for the next read;
- each (workspace, method) has a budget for the install's tier, so we do not spend calls on 429s.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.log import get_logger
from bot.metrics import Metrics
from bot.pipeline.slack_calls import Permanent, SlackRateLimited, Transient, read_joining
from bot.providers.ratelimit import SlidingWindowLimiter

__all__ = [
    "CLOCK_MARGIN_SECONDS",
    "LANDING_SECONDS",
    "HistoryBudget",
    "Lookup",
    "Unsure",
    "look_for_posts",
    "unanswered_window",
]

log = get_logger(__name__)

CLOCK_MARGIN_SECONDS = 5.0
"""Slack's clock against ours: a window reaches this far beyond what we measured."""
LANDING_SECONDS = 30.0
"""A request Slack received may still land this long after we stopped waiting for it: an
unanswered post's window reaches that far, and its history is read only once that has passed."""
HISTORY_METHOD = "conversations.history"
REPLIES_METHOD = "conversations.replies"
MAX_PAGES = 3
"""Pages one read takes at most (Tier 1 allows one a minute: the budget stops it sooner)."""
RETRY_UNREADABLE_SECONDS = 30.0
"""When history failed with a 5xx or timeout: look again after this long."""


@dataclass(frozen=True)
class Tier:
    """A history tier: requests per minute per method and workspace, and the page size."""

    per_minute: int
    page_size: int


TIER1 = Tier(per_minute=1, page_size=15)
TIER3 = Tier(per_minute=50, page_size=100)


@dataclass
class HistoryBudget:
    """This process's history reads per (workspace, method), paced to the install's tier.

    Other replicas keep their own budgets; Slack's 429 (``block``) is what keeps them apart.
    """

    tier: Tier
    clock: Callable[[], float] = time.monotonic
    _limiters: dict[tuple[str, str], SlidingWindowLimiter] = field(default_factory=dict)

    def _limiter(self, team_id: str, method: str) -> SlidingWindowLimiter:
        key = (team_id, method)
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = SlidingWindowLimiter(self.tier.per_minute, 60.0, clock=self.clock)
            self._limiters[key] = limiter
        return limiter

    def wait(self, team_id: str, method: str) -> float:
        """Seconds until a read of ``method`` may be made (0: now)."""
        return self._limiter(team_id, method).delay()

    async def take(self, team_id: str, method: str) -> None:
        """Count a read made now (call only when ``wait`` said 0)."""
        await self._limiter(team_id, method).acquire()

    def block(self, team_id: str, method: str, seconds: float) -> None:
        """Slack said 429: no read of ``method`` for ``seconds``."""
        self._limiter(team_id, method).block_for(seconds)


def unanswered_window(started: float, now: float) -> tuple[float, float]:
    """Where a post begun at ``started`` (Slack time, margin included) that got no answer by
    ``now`` may land."""
    return started, now + LANDING_SECONDS + CLOCK_MARGIN_SECONDS


@dataclass(frozen=True)
class Unsure:
    """A post of ``key`` may be in Slack between Slack times ``start`` and ``end`` (None: now)."""

    key: str
    start: float
    end: float | None


@dataclass
class Lookup:
    """What one read settled: ``found`` (key → ts), ``absent``, and ``unsettled`` (narrowed)."""

    found: dict[str, str] = field(default_factory=dict)
    absent: set[str] = field(default_factory=set)
    unsettled: dict[str, Unsure] = field(default_factory=dict)
    retry_after: float = 0.0
    """When ``unsettled``: seconds until a read may settle them."""


def _metadata_key(message: Mapping[str, Any], event_type: str, field_name: str) -> str | None:
    metadata = message.get("metadata")
    if not isinstance(metadata, Mapping) or metadata.get("event_type") != event_type:
        return None
    payload = metadata.get("event_payload")
    if not isinstance(payload, Mapping) or payload.get(field_name) is None:
        return None
    return str(payload[field_name])


async def look_for_posts(
    client: AsyncWebClient,
    *,
    team_id: str,
    channel: str,
    unsure: Sequence[Unsure],
    event_type: str,
    key_field: str,
    budget: HistoryBudget,
    metrics: Metrics,
    thread_ts: str | None = None,
    now: Callable[[], float] = time.time,
) -> Lookup:
    """Read the channel (or the thread of ``thread_ts``) once for all ``unsure`` posts.

    A message is a post of ``key`` when its ``event_type`` metadata carries ``key_field`` =
    ``key``. A history Slack refuses for good (not in the channel, no scope) counts every post
    as absent: posting again then beats never posting.
    """
    lookup = Lookup()
    if not unsure:
        return lookup
    method = REPLIES_METHOD if thread_ts is not None else HISTORY_METHOD
    wanted = {u.key: u for u in unsure}
    oldest = min(u.start for u in unsure)
    latest = max(now() + CLOCK_MARGIN_SECONDS if u.end is None else u.end for u in unsure)
    # History comes newest first, a thread oldest first: every message between ``edge`` and
    # the end the read started from has been seen.
    newest_first = thread_ts is None
    edge = latest if newest_first else oldest
    cursor: str | None = None
    pages = 0
    complete = False
    while pages < MAX_PAGES:
        if (wait := budget.wait(team_id, method)) > 0:
            lookup.retry_after = wait
            break
        await budget.take(team_id, method)
        args = _page_args(channel, oldest, latest, budget, thread_ts=thread_ts, cursor=cursor)
        try:
            page = await _read_page(client, channel, method, args, metrics, budget, team_id, lookup)
        except Permanent as exc:
            log.warning("slack_history_unreadable", channel=channel, error=exc.reason)
            lookup.absent.update(u.key for u in unsure)
            return lookup
        if page is None:
            break
        pages += 1
        messages = [m for m in page.get("messages") or () if isinstance(m, Mapping)]
        _note_found(lookup, messages, wanted, event_type, key_field)
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not page.get("has_more") or not cursor:
            complete = True
            break
        edge = _moved_edge(edge, messages, newest_first=newest_first)
    _sort_out(lookup, unsure, complete=complete, newest_first=newest_first, edge=edge)
    if lookup.unsettled and lookup.retry_after <= 0:
        lookup.retry_after = budget.wait(team_id, method) or 1.0
    return lookup


def _note_found(
    lookup: Lookup,
    messages: Sequence[Mapping[str, Any]],
    wanted: dict[str, Unsure],
    event_type: str,
    key_field: str,
) -> None:
    """Record the ts of every wanted post among ``messages`` (by the key in its metadata)."""
    for message in messages:
        key = _metadata_key(message, event_type, key_field)
        if key in wanted and "ts" in message:
            lookup.found[wanted[key].key] = str(message["ts"])


def _page_args(
    channel: str,
    oldest: float,
    latest: float,
    budget: HistoryBudget,
    *,
    thread_ts: str | None,
    cursor: str | None,
) -> dict[str, Any]:
    """The arguments of one ``conversations.history`` / ``conversations.replies`` page."""
    args: dict[str, Any] = {
        "channel": channel,
        "oldest": f"{oldest:.6f}",
        "latest": f"{latest:.6f}",
        "inclusive": True,
        "limit": budget.tier.page_size,
        "include_all_metadata": True,
    }
    if thread_ts is not None:
        args["ts"] = thread_ts
    if cursor is not None:
        args["cursor"] = cursor
    return args


async def _read_page(
    client: AsyncWebClient,
    channel: str,
    method: str,
    args: dict[str, Any],
    metrics: Metrics,
    budget: HistoryBudget,
    team_id: str,
    lookup: Lookup,
) -> AsyncSlackResponse | None:
    """One page, or None when the read stops here (``lookup.retry_after`` says when to retry).

    Permanent (Slack refuses the history for good) is raised to the caller.
    """
    read = client.conversations_replies if "ts" in args else client.conversations_history
    try:
        return await read_joining(client, channel, method, functools.partial(read, **args), metrics)
    except SlackRateLimited as exc:
        budget.block(team_id, method, exc.retry_after)
        lookup.retry_after = exc.retry_after
    except Transient as exc:
        log.info("slack_history_failed", channel=channel, error=exc.reason)
        lookup.retry_after = RETRY_UNREADABLE_SECONDS
    return None


def _moved_edge(edge: float, messages: Sequence[Mapping[str, Any]], *, newest_first: bool) -> float:
    """How far the read got: past the oldest (history) or newest (thread) message of a page."""
    stamps = [float(m["ts"]) for m in messages if _is_ts(m.get("ts"))]
    if stamps:
        edge = min(edge, *stamps) if newest_first else max(edge, *stamps)
    return edge


def _sort_out(
    lookup: Lookup, unsure: Sequence[Unsure], *, complete: bool, newest_first: bool, edge: float
) -> None:
    """Each post not found: absent where the read covered its window, else still unsettled."""
    for u in unsure:
        if u.key in lookup.found:
            continue
        if complete:
            lookup.absent.add(u.key)
        elif newest_first:
            # Not found from ``edge`` on: only the older part is still in doubt.
            if u.start >= edge:
                lookup.absent.add(u.key)
            else:
                end = edge if u.end is None else min(u.end, edge)
                lookup.unsettled[u.key] = Unsure(u.key, u.start, end)
        elif u.end is not None and u.end <= edge:
            lookup.absent.add(u.key)
        else:
            lookup.unsettled[u.key] = Unsure(u.key, max(u.start, edge), u.end)


def _is_ts(value: object) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True
