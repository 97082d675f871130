"""``/reviews status``: connections and their health, subscriptions, failed deliveries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.blocks.ids import (
    ACTION_STATUS_RETRY,
    BLOCK_STATUS_CONNECTIONS,
    BLOCK_STATUS_FAILED,
    BLOCK_STATUS_FAILED_PREFIX,
    BLOCK_STATUS_HEADER,
    BLOCK_STATUS_SUBSCRIPTIONS,
)
from bot.blocks.limits import SECTION_TEXT_BUDGET
from bot.blocks.text import mrkdwn, plain_text, slack_date
from bot.results import ConnectionStatus, FailedDelivery, StatusReport
from bot.text import escape_mrkdwn, plain, truncate

__all__ = [
    "build_status",
    "retry_delivery_id",
]

MAX_CONNECTIONS = 20
# Slack rejects messages whose blocks total roughly 12–13k characters (SLACK_FACTS §4).
BLOCKS_JSON_BUDGET = 10_500
MAX_FAILED = 10
ERROR_LIMIT = 300
FAILED_REASON_LIMIT = 150  # ten lines must fit one section (3000 characters)
NAME_LIMIT = 80


def _when(moment: datetime | None, never: str = "never") -> str:
    return slack_date(moment, "{date_short_pretty} {time}") if moment else never


def _every(seconds: int) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = seconds // 60
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"


def _error_text(text: str, limit: int = ERROR_LIMIT) -> str:
    return escape_mrkdwn(plain(text, limit).replace("`", "'").replace("\n", " "))


def _connection_block(
    connection: ConnectionStatus, *, poll_interval_seconds: int, viewer_is_admin: bool
) -> dict[str, Any]:
    name = escape_mrkdwn(plain(connection.name, NAME_LIMIT) or "(unnamed)")
    platform = escape_mrkdwn(connection.platform_label)
    health = "🟢 healthy" if connection.healthy else "🔴 unhealthy"
    lines = [f"*{name}* ({platform}) — {health}"]
    if connection.has_webhook:
        lines.append(
            f"Last webhook: {_when(connection.last_webhook_at)} · "
            f"Last poll: {_when(connection.last_poll_at)}"
        )
        lines.append(
            "_Polled too when its webhook has been silent for a day, every "
            f"{_every(poll_interval_seconds)}._"
        )
    else:
        lines.append(
            f"Last poll: {_when(connection.last_poll_at)} "
            f"(no webhooks: polled every {_every(poll_interval_seconds)})"
        )
    extra: list[str] = []
    if connection.subscriptions is not None:
        extra.append(f"Subscriptions covering it: {connection.subscriptions}")
    if connection.headroom is not None:
        left, limit = connection.headroom
        extra.append(f"API budget: {left} of {limit} requests left this minute")
    if extra:
        lines.append(" · ".join(extra))
    if connection.missing_scopes:
        scopes = ", ".join(f"`{escape_mrkdwn(s)}`" for s in connection.missing_scopes[:6])
        lines.append(f"⚠️ The token lacks {scopes}; reconnect with a token that has them.")
    if connection.skipped_reviews:
        n = connection.skipped_reviews
        lines.append(
            f"⚠️ The last poll skipped {n} review{'s' if n != 1 else ''} it could not "
            "read (the log names their ids); every other review came through."
        )
    if connection.last_error:
        lines.append(
            f"Last error: `{_error_text(connection.last_error)}` "
            f"{_when(connection.last_error_at, '')}".rstrip()
        )
    if connection.has_webhook:
        if viewer_is_admin and connection.webhook_url:
            hint = connection.webhook_hint
            lines.append(
                f"Webhook URL: `{escape_mrkdwn(connection.webhook_url)}`"
                + (f"\n_In {platform}: {hint}._" if hint else "")
            )
        else:
            lines.append("_Webhook URL: shown to admins only._")
    return {"type": "section", "text": mrkdwn(truncate("\n".join(lines), SECTION_TEXT_BUDGET))}


def _failed_block(item: FailedDelivery, position: int, *, can_retry: bool) -> dict[str, Any]:
    """One failed card: where, why, when; admins get a Retry button (re-queues it)."""
    text = (
        f"• <#{item.channel_id}> — `{_error_text(item.reason, FAILED_REASON_LIMIT)}` — "
        f"{_when(item.when)}"
    )
    block: dict[str, Any] = {
        "type": "section",
        "block_id": f"{BLOCK_STATUS_FAILED_PREFIX}{position}",
        "text": mrkdwn(text),
    }
    if can_retry and item.delivery_id is not None:
        block["accessory"] = {
            "type": "button",
            "action_id": f"{ACTION_STATUS_RETRY}:{item.delivery_id}",
            "text": plain_text("Retry"),
            "value": str(item.delivery_id),
        }
    return block


def retry_delivery_id(action_id: str) -> int | None:
    """The delivery id of a status message's Retry button, or None."""
    prefix, _, number = action_id.partition(":")
    if prefix != ACTION_STATUS_RETRY or not number.isdecimal() or len(number) > 12:
        return None
    return int(number)


def _head_blocks(report: StatusReport) -> list[dict[str, Any]]:
    return [
        {
            "type": "header",
            "block_id": BLOCK_STATUS_HEADER,
            "text": plain_text("Reviews status"),
        },
        {
            "type": "section",
            "block_id": BLOCK_STATUS_CONNECTIONS,
            "text": mrkdwn(
                f"*Connections* ({len(report.connections)})"
                if report.connections
                else "*Connections*: none yet. An admin connects Gumado or Cloutly with "
                "`/reviews connect` (or GUMADO_API_TOKEN / CLOUTLY_API_KEY at start-up)."
            ),
        },
    ]


def _tail_blocks(report: StatusReport, failed: Sequence[FailedDelivery]) -> list[dict[str, Any]]:
    """Subscription counts and the last failed deliveries."""
    if failed:
        failed_text = f"*Failed deliveries* (last {len(failed)})"
        if report.viewer_is_admin and any(item.delivery_id for item in failed):
            failed_text += " — *Retry* posts the card again"
    else:
        failed_text = "*Failed deliveries*: none."
    return [
        {"type": "divider"},
        {
            "type": "section",
            "block_id": BLOCK_STATUS_SUBSCRIPTIONS,
            "text": mrkdwn(
                f"*Subscriptions*: {report.channel_subscriptions} in <#{report.channel_id}>, "
                f"{report.workspace_subscriptions} in the workspace. "
                "`/reviews subscriptions` lists this channel's."
            ),
        },
        {"type": "section", "block_id": BLOCK_STATUS_FAILED, "text": mrkdwn(failed_text)},
        *(
            _failed_block(item, n, can_retry=report.viewer_is_admin)
            for n, item in enumerate(failed)
        ),
    ]


def _connection_blocks(report: StatusReport, size: int) -> list[dict[str, Any]]:
    """As many connections as fit the blocks budget after ``size``, then how many are left."""
    blocks: list[dict[str, Any]] = []
    for connection in report.connections[:MAX_CONNECTIONS]:
        block = _connection_block(
            connection,
            poll_interval_seconds=report.poll_interval_seconds,
            viewer_is_admin=report.viewer_is_admin,
        )
        block_size = len(json.dumps(block, ensure_ascii=False)) + 2
        if size + block_size > BLOCKS_JSON_BUDGET:
            break
        blocks.append(block)
        size += block_size
    if len(blocks) < len(report.connections):
        more = len(report.connections) - len(blocks)
        blocks.append({"type": "context", "elements": [mrkdwn(f"…and {more} more connections")]})
    return blocks


def build_status(report: StatusReport) -> dict[str, Any]:
    """The status message (ephemeral), kept under Slack's total size for blocks."""
    head = _head_blocks(report)
    failed = list(report.failed)[:MAX_FAILED]
    tail = _tail_blocks(report, failed)
    size = len(json.dumps(head + tail, ensure_ascii=False)) + 200
    blocks = head + _connection_blocks(report, size) + tail
    unhealthy = sum(1 for c in report.connections if not c.healthy)
    summary = (
        f"Reviews status: {len(report.connections)} connections"
        + (f" ({unhealthy} unhealthy)" if unhealthy else "")
        + f", {report.workspace_subscriptions} subscriptions, {len(failed)} failed deliveries"
    )
    return {"text": summary, "blocks": blocks}
