"""Messages about a channel's subscriptions: the list with Remove buttons and confirmations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.blocks.ids import ACTION_REMOVE_SUBSCRIPTION, BLOCK_SUBSCRIPTION_PREFIX
from bot.blocks.limits import SECTION_TEXT_BUDGET
from bot.blocks.text import mrkdwn, plain_text, slack_date
from bot.results import SubscriptionLine
from bot.text import truncate

__all__ = [
    "build_notes",
    "build_subscribed",
    "build_subscription_list",
    "build_unsubscribed",
    "remove_action_id",
    "subscription_id_of_action",
]

# Slack rejects messages whose blocks total roughly 12–13k characters (SLACK_FACTS §4).
BLOCKS_JSON_BUDGET = 10_500
DESCRIPTION_LIMIT = 1500


def remove_action_id(subscription_id: int) -> str:
    """The Remove button's action_id (unique within the message)."""
    return f"{ACTION_REMOVE_SUBSCRIPTION}:{subscription_id}"


def subscription_id_of_action(action_id: str) -> int | None:
    """The subscription id a Remove button's action_id carries."""
    prefix, _, raw = action_id.partition(":")
    return int(raw) if prefix == ACTION_REMOVE_SUBSCRIPTION and raw.isdecimal() else None


def _line_block(line: SubscriptionLine, *, can_remove: bool) -> dict[str, Any]:
    description = truncate(line.description, DESCRIPTION_LIMIT)
    added = f"added by <@{line.created_by}> {slack_date(line.created_at, '{date_short_pretty}')}"
    block: dict[str, Any] = {
        "type": "section",
        "block_id": f"{BLOCK_SUBSCRIPTION_PREFIX}{line.id}",
        "text": mrkdwn(f"*#{line.id}* {description}\n_{added}_"),
    }
    if can_remove:
        block["accessory"] = {
            "type": "button",
            "action_id": remove_action_id(line.id),
            "text": plain_text("Remove"),
            "value": str(line.id),
            "style": "danger",
            "confirm": {
                "title": plain_text("Remove this subscription?"),
                "text": plain_text(f"Subscription #{line.id} stops sending review cards here."),
                "confirm": plain_text("Remove"),
                "deny": plain_text("Keep it"),
                "style": "danger",
            },
        }
    return block


def build_subscription_list(
    channel_id: str, lines: Sequence[SubscriptionLine], *, can_remove: bool
) -> dict[str, Any]:
    """This channel's subscriptions; Remove buttons for admins."""
    if not lines:
        text = (
            f"<#{channel_id}> has no subscriptions. An admin can add one with "
            "`/reviews subscribe all`, filters such as `/reviews subscribe rating:<=3`, "
            "or `/reviews subscribe` for a form."
        )
        return {"text": text, "blocks": [{"type": "section", "text": mrkdwn(text)}]}
    count = f"{len(lines)} subscription" + ("" if len(lines) == 1 else "s")
    header = {"type": "section", "text": mrkdwn(f"*Subscriptions of <#{channel_id}>* ({count})")}
    blocks: list[dict[str, Any]] = [header]
    footer = (
        "Remove one with its button or `/reviews unsubscribe <id>`; `/reviews unsubscribe all` "
        "removes them all."
        if can_remove
        else "Only workspace admins can add or remove subscriptions."
    )
    size = len(json.dumps([*blocks, mrkdwn(footer)], ensure_ascii=False)) + 400
    shown = 0
    for line in lines:
        block = _line_block(line, can_remove=can_remove)
        block_size = len(json.dumps(block, ensure_ascii=False)) + 2
        if len(blocks) >= 47 or size + block_size > BLOCKS_JSON_BUDGET:
            break
        blocks.append(block)
        size += block_size
        shown += 1
    if shown < len(lines):
        rest = ", ".join(f"#{line.id}" for line in lines[shown:])
        more = truncate(f"…and {len(lines) - shown} more: {rest}", 300)
        blocks.append({"type": "context", "elements": [mrkdwn(more)]})
    blocks.append({"type": "context", "elements": [mrkdwn(footer)]})
    return {"text": f"Subscriptions of <#{channel_id}>: {count}", "blocks": blocks}


def build_subscribed(
    *, channel_id: str, user_id: str, subscription_id: int, description: str
) -> dict[str, Any]:
    """The in-channel note that a subscription was added (the channel sees what will arrive)."""
    text = (
        f"✅ <@{user_id}> subscribed <#{channel_id}> (#{subscription_id}): "
        f"{truncate(description, DESCRIPTION_LIMIT)}"
    )
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": mrkdwn(text)},
            {
                "type": "context",
                "elements": [
                    mrkdwn("`/reviews subscriptions` lists this channel's subscriptions.")
                ],
            },
        ],
    }


def build_unsubscribed(
    *, channel_id: str, user_id: str, removed: Sequence[tuple[int, str]]
) -> dict[str, Any]:
    """The in-channel note that subscriptions were removed."""
    if len(removed) == 1:
        subscription_id, description = removed[0]
        text = (
            f"🗑️ <@{user_id}> removed subscription #{subscription_id} of "
            f"<#{channel_id}>: {truncate(description, DESCRIPTION_LIMIT)}"
        )
    else:
        ids = ", ".join(f"#{subscription_id}" for subscription_id, _ in removed)
        text = truncate(
            f"🗑️ <@{user_id}> removed all {len(removed)} subscriptions of "
            f"<#{channel_id}> ({ids}). No more review cards will arrive here.",
            SECTION_TEXT_BUDGET,
        )
    return {"text": text, "blocks": [{"type": "section", "text": mrkdwn(text)}]}


def build_notes(notes: Sequence[str]) -> dict[str, Any]:
    """A private message with one or more notes (warnings, errors) in mrkdwn."""
    text = truncate("\n".join(notes), SECTION_TEXT_BUDGET) or "Done."
    return {"text": text, "blocks": [{"type": "section", "text": mrkdwn(text)}]}
