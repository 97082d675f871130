"""Posting a rendered digest: the message once, then its 12-week chart into the thread.

A scheduled digest's message carries its run key (``bot/digest/runner.py``'s ``run_key``) in
its metadata. When the run may already be in the channel (taken over from a process that died
mid-way, or a post that got no answer), the channel's history is read for that key before
posting again. An error answer (5xx, 429) posted nothing. Where the chart cannot be uploaded,
the trend is posted as text in the thread instead.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.blocks.digest import EVENT_TYPE_DIGEST, build_trend_fallback
from bot.digest.resources import DigestResources
from bot.digest.targets import DigestTarget
from bot.domain import DigestStats
from bot.log import get_logger
from bot.pipeline.slack_calls import (
    SlackFailure,
    SlackRateLimited,
    Transient,
    Unanswered,
    find_message_with_metadata,
    post_message,
    sender_client,
)

__all__ = ["MAX_RETRY_WAIT", "POST_ATTEMPTS", "Rendered", "post_digest"]

log = get_logger(__name__)

POST_ATTEMPTS = 3
MAX_RETRY_WAIT = 30.0


@dataclass(frozen=True)
class Rendered:
    """A digest ready to post: the message, the chart (None when there is no trend) and figures."""

    target: DigestTarget
    stats: DigestStats
    payload: dict[str, Any]
    chart: bytes | None
    synced: bool


async def post_digest(
    resources: DigestResources,
    rendered: Rendered,
    *,
    run: str | None = None,
    look_first: bool = False,
) -> str:
    """Post the digest and its trend; returns the message ts (SlackFailure if not posted).

    ``look_first``: the run may already be in the channel (see ``_post_once``).
    """
    target = rendered.target
    client = resources.slack_client(target.team_id)
    payload = dict(rendered.payload)
    if run is not None:
        metadata = payload["metadata"]
        payload["metadata"] = {
            **metadata,
            "event_payload": {**metadata["event_payload"], "run": run},
        }
    ts = await _post_once(
        resources, sender_client(client), target.channel_id, payload, run, look_first=look_first
    )
    await _attach_trend(resources, rendered, ts)
    resources.metrics.digests.labels("sent").inc()
    return ts


async def _post_once(
    resources: DigestResources,
    client: Any,
    channel: str,
    payload: dict[str, Any],
    run: str | None,
    *,
    look_first: bool = False,
) -> str:
    """Post once: before (re)posting a run that may be in the channel, look for it.

    ``look_first``: the run was taken over from a process that died mid-way. After a post
    that got no answer the same holds. An error answer (5xx, 429) posted nothing.
    """
    metrics = resources.metrics
    failure: SlackFailure | None = None
    unsure = run is not None and look_first
    for attempt in range(POST_ATTEMPTS):
        try:
            if unsure:
                found = await find_message_with_metadata(
                    client, channel, EVENT_TYPE_DIGEST, lambda p: p.get("run") == run, metrics
                )
                if found is not None:
                    return found
                unsure = False
            return await post_message(client, channel, payload, metrics)
        except SlackRateLimited as exc:
            failure = exc
            await asyncio.sleep(min(exc.retry_after, MAX_RETRY_WAIT))
        except Transient as exc:
            failure = exc
            unsure = unsure or (run is not None and isinstance(exc, Unanswered))
            await asyncio.sleep(2.0**attempt)
    assert failure is not None
    raise failure


async def _attach_trend(resources: DigestResources, rendered: Rendered, ts: str) -> None:
    """Upload the chart into the digest's thread; the text trend when that is refused."""
    if rendered.chart is None:
        return
    target = rendered.target
    client = resources.slack_client(target.team_id)
    try:
        await client.files_upload_v2(
            channel=target.channel_id,
            thread_ts=ts,
            content=rendered.chart,
            filename="review-trend.png",
            title=f"12-week trend · {target.organization_name}"[:250],
            alt_txt="Bar chart of weekly review counts with a line of the average rating",
        )
        return
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown_error")
    except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        error = type(exc).__name__
    if error == "missing_scope":
        reason = (
            "The chart could not be uploaded: the app lacks the `files:write` permission "
            "(reinstall it from its manifest to grant it)."
        )
    else:
        reason = f"The chart could not be uploaded ({error})."
    log.info("digest_chart_fallback", channel=target.channel_id, error=error)
    fallback = {**build_trend_fallback(rendered.stats, reason=reason), "thread_ts": ts}
    try:
        await post_message(sender_client(client), target.channel_id, fallback, resources.metrics)
    except SlackFailure as exc:
        log.warning("digest_trend_unposted", channel=target.channel_id, error=exc.reason)
