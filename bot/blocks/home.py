"""The App Home tab: connections and health, subscriptions with digest schedules, recent activity.

Pure: everything comes in as plain values. Admin-only parts (configuration buttons, webhook
URLs) are left out unless ``viewer_is_admin``. Slack allows 100 blocks in a Home view; long
lists are grouped into sections of a few lines and cut with "…and N more".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.blocks.ids import (
    ACTION_HOME_CHANNEL,
    ACTION_HOME_CONNECT,
    ACTION_HOME_DIGEST,
    ACTION_HOME_INVITE,
    ACTION_HOME_SUBSCRIBE,
    BLOCK_HOME_ACTIONS,
    BLOCK_HOME_ACTIVITY,
    BLOCK_HOME_CHANNEL,
    BLOCK_HOME_CONNECTION_PREFIX,
    BLOCK_HOME_CONNECTIONS,
    BLOCK_HOME_HEADER,
    BLOCK_HOME_SUBSCRIPTIONS,
    CALLBACK_HOME_CHANNEL,
    CALLBACK_HOME_NOTICE,
)
from bot.blocks.limits import CONTEXT_TEXT, SECTION_TEXT_BUDGET, VIEW_TITLE
from bot.blocks.text import mrkdwn, plain_text, slack_date, stars
from bot.results import (
    HOME_SUBSCRIPTIONS_SHOWN,
    HomeConnection,
    HomeReport,
    HomeSubscription,
)
from bot.text import escape_mrkdwn, plain, truncate

__all__ = [
    "DAY_NAMES",
    "MAX_CONNECTIONS",
    "build_channel_picker",
    "build_home",
    "build_home_notice",
]

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_CONNECTIONS = 15
SUBSCRIPTIONS_PER_SECTION = 10
LINE_LIMIT = 280  # ten lines must fit one section (3000 characters)


def _section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": mrkdwn(truncate(text, SECTION_TEXT_BUDGET))}
    if block_id:
        block["block_id"] = block_id
    return block


def _when(moment: datetime | None, never: str = "never") -> str:
    return slack_date(moment, "{date_short_pretty} {time}") if moment else never


def _safe(text: str | None, limit: int) -> str:
    return escape_mrkdwn(plain(text, limit).replace("`", "'").replace("\n", " "))


def _button(text: str, action_id: str, *, primary: bool = False) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain_text(text),
        "value": action_id,
    }
    if primary:
        button["style"] = "primary"
    return button


def _actions(viewer_is_admin: bool) -> dict[str, Any]:
    elements = [_button("Request a review", ACTION_HOME_INVITE, primary=True)]
    if viewer_is_admin:
        elements += [
            _button("Connect an account", ACTION_HOME_CONNECT),
            _button("Subscribe a channel", ACTION_HOME_SUBSCRIBE),
            _button("Digest settings", ACTION_HOME_DIGEST),
        ]
    return {"type": "actions", "block_id": BLOCK_HOME_ACTIONS, "elements": elements}


def _connection(item: HomeConnection, position: int, poll_every: str) -> dict[str, Any]:
    name = _safe(item.name, 80) or "(unnamed)"
    platform = _safe(item.platform_label, 20)
    health = "🟢 healthy" if item.healthy else "🔴 unhealthy"
    lines = [f"*{name}* ({platform}) — {health}"]
    if item.has_webhook:
        lines.append(
            f"Last webhook: {_when(item.last_webhook_at)} · Last poll: {_when(item.last_poll_at)}"
        )
    else:
        lines.append(f"Last poll: {_when(item.last_poll_at)} (polled every {poll_every})")
    noun = "subscription covers" if item.subscriptions == 1 else "subscriptions cover"
    lines.append(f"{item.subscriptions} {noun} it")
    if item.missing_scopes:
        scopes = ", ".join(f"`{_safe(s, 40)}`" for s in item.missing_scopes[:6])
        lines.append(f"⚠️ The token lacks {scopes}")
    if item.last_error:
        lines.append(
            f"Last error: `{_safe(item.last_error, 300)}` {_when(item.last_error_at, '')}".rstrip()
        )
    if item.webhook_url:
        lines.append(f"Webhook URL: `{escape_mrkdwn(item.webhook_url)}`")
    return _section("\n".join(lines), f"{BLOCK_HOME_CONNECTION_PREFIX}{position}")


def _schedule(item: HomeSubscription) -> str:
    if not item.digest_enabled:
        return "digest off"
    day = DAY_NAMES[item.digest_day] if 0 <= item.digest_day < 7 else "?"
    zone = _safe(item.digest_timezone, 64) or "UTC"
    return f"digest {day}s {item.digest_hour:02d}:00 {zone}"


def _subscription_line(item: HomeSubscription) -> str:
    # The schedule first: a long description is what gets cut.
    line = f"• <#{item.channel_id}> `#{item.id}` _{_schedule(item)}_ — {item.description}"
    return truncate(line, LINE_LIMIT)


def _every(seconds: int) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = seconds // 60
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"


def _activity(report: HomeReport) -> list[dict[str, Any]]:
    cards = [
        f"• {stars(card.rating)} {_safe(card.source, 40)}"
        + (f" by {_safe(card.author, 60)}" if card.author else "")
        + f" in <#{card.channel_id}> — {_when(card.sent_at)}"
        for card in list(report.cards)[:5]
    ]
    invites = [
        f"• {_when(invite.created_at)} — {_safe(invite.status, 20)}"
        + (
            f" ({invite.platform_label} invite `{_safe(invite.invite_id, 64)}`)"
            if invite.invite_id and invite.platform_label
            else ""
        )
        for invite in list(report.invites)[:5]
    ]
    text = "*Recent activity*\n*Last cards posted*\n" + (
        "\n".join(cards) if cards else "_None yet._"
    )
    text += "\n*Your last invites*\n" + ("\n".join(invites) if invites else "_None yet._")
    return [_section(text, BLOCK_HOME_ACTIVITY)]


def build_home(report: HomeReport) -> dict[str, Any]:
    """The Home tab view (``views.publish``)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "block_id": BLOCK_HOME_HEADER, "text": plain_text("Reviews")},
        _section(
            "Your Gumado and Cloutly reviews in Slack. `/reviews help` lists every command. "
            'Subscriptions can look for words (`text:"parking"`) or a language (`language:es`), '
            "remind about unanswered low ratings (`respond:24h`), roll good reviews up "
            "(`rollup:>=4 every:1h`), use compact cards (`style:compact`) and post the recent "
            "past (`backfill:7d`). `/reviews test` shows a sample card in a channel and who it "
            "would reach, without pinging anyone."
        ),
        _actions(report.viewer_is_admin),
    ]
    for note in report.notes[:3]:
        blocks.append({"type": "context", "elements": [mrkdwn(truncate(note, CONTEXT_TEXT))]})
    blocks.append({"type": "divider"})
    connections = list(report.connections)
    if connections:
        head = f"*Connections* ({len(connections)})"
    else:
        head = "*Connections*: none yet." + (
            " *Connect an account* above adds Gumado or Cloutly." if report.viewer_is_admin else ""
        )
    blocks.append(_section(head, BLOCK_HOME_CONNECTIONS))
    poll_every = _every(report.poll_interval_seconds)
    for position, item in enumerate(connections[:MAX_CONNECTIONS]):
        blocks.append(_connection(item, position, poll_every))
    if len(connections) > MAX_CONNECTIONS:
        more = len(connections) - MAX_CONNECTIONS
        blocks.append({"type": "context", "elements": [mrkdwn(f"…and {more} more connections")]})
    blocks.append({"type": "divider"})
    shown = list(report.subscriptions)[:HOME_SUBSCRIPTIONS_SHOWN]
    total = max(report.subscriptions_total, len(shown))
    blocks.append(
        _section(
            f"*Subscriptions and digest schedules* ({total} in this workspace)"
            if total
            else "*Subscriptions*: none yet. `/reviews subscribe` in a channel starts its cards.",
            BLOCK_HOME_SUBSCRIPTIONS,
        )
    )
    for start in range(0, len(shown), SUBSCRIPTIONS_PER_SECTION):
        chunk = shown[start : start + SUBSCRIPTIONS_PER_SECTION]
        blocks.append(_section("\n".join(_subscription_line(item) for item in chunk)))
    if total > len(shown):
        more = total - len(shown)
        blocks.append(
            {
                "type": "context",
                "elements": [
                    mrkdwn(
                        f"…and {more} more; `/reviews subscriptions` in a channel lists its own."
                    )
                ],
            }
        )
    blocks.append({"type": "divider"})
    blocks += _activity(report)
    return {"type": "home", "blocks": blocks}


def build_channel_picker(*, purpose: str) -> dict[str, Any]:
    """A small modal asking which channel (Home's *Subscribe a channel* / *Digest settings*)."""
    what = (
        "Which channel should get the review cards?"
        if purpose == "subscribe"
        else "Whose digest schedules do you want to change?"
    )
    return {
        "type": "modal",
        "callback_id": CALLBACK_HOME_CHANNEL,
        "title": plain_text("Subscribe a channel" if purpose == "subscribe" else "Digest settings"),
        "submit": plain_text("Next"),
        "close": plain_text("Cancel"),
        "private_metadata": purpose,
        "blocks": [
            {
                "type": "input",
                "block_id": BLOCK_HOME_CHANNEL,
                "label": plain_text(what),
                "element": {
                    "type": "conversations_select",
                    "action_id": ACTION_HOME_CHANNEL,
                    "placeholder": plain_text("Choose a channel"),
                    "filter": {
                        "include": ["public", "private"],
                        "exclude_bot_users": True,
                        "exclude_external_shared_channels": True,
                    },
                },
            }
        ],
    }


def build_home_notice(message_mrkdwn: str, *, title: str = "Reviews") -> dict[str, Any]:
    """A modal showing only a message (a refusal, or something not available yet)."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_HOME_NOTICE,
        "title": plain_text(truncate(title, VIEW_TITLE)),
        "close": plain_text("Close"),
        "blocks": [_section(message_mrkdwn)],
    }
