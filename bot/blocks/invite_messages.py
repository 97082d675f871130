"""What the person who sent an invite reads afterwards: the private confirmation.

The customer's email and phone appear only masked (``s•••@e•••.com``); the platform's own
silent cases are explained where it has them (a repeat within the campaign's duplicate window,
by default 14 days, or an unsubscribed contact: accepted with the same 202, nothing sent).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.blocks.text import mrkdwn, slack_date
from bot.results import InviteReceipt
from bot.text import escape_mrkdwn, plain, safe_mrkdwn, truncate

__all__ = ["build_invite_confirmation", "receipt_lines"]

NAME = 120


def _when(receipt: InviteReceipt) -> str:
    if receipt.form.when_sent is not None:
        return receipt.form.when_sent
    hours = receipt.send_after_hours
    if hours is None:
        return "after the campaign's own delay, within its sending hours"
    if hours == 0:
        return "as soon as the campaign's sending hours allow"
    due = receipt.accepted_at + timedelta(hours=hours)
    unit = "hour" if hours == 1 else "hours"
    return f"in {hours} {unit} ({slack_date(due)}), within the campaign's sending hours"


def receipt_lines(receipt: InviteReceipt) -> list[str]:
    """The confirmation as mrkdwn lines (shared by the message and the modal's last view)."""
    who = escape_mrkdwn(receipt.contact)
    name = plain(receipt.customer_name, NAME)
    if name:
        who += f" ({safe_mrkdwn(name)})"
    campaign = safe_mrkdwn(plain(receipt.campaign_label, NAME) or "the campaign")
    place = plain(receipt.organization_name, NAME)
    where = f" of {safe_mrkdwn(place)}" if place else ""
    lines = [
        f"✅ *Review invite sent* to {who}.",
        f"*Campaign:* {campaign}{where} ({escape_mrkdwn(receipt.platform_label)})",
        f"*When:* {_when(receipt)}",
    ]
    if receipt.invite_id:
        kind = receipt.form.receipt_id_label
        shown = escape_mrkdwn(truncate(receipt.invite_id, 80)).replace("`", "")
        lines.append(f"*{escape_mrkdwn(receipt.platform_label)} {kind}:* `{shown}`")
    if receipt.sms_left is not None:
        lines.append(f"SMS invites left this period: {receipt.sms_left}")
    window = receipt.form.duplicate_window
    if receipt.earlier_at is not None and window is not None:
        by = f"<@{receipt.earlier_by}>" if receipt.earlier_by else "Someone"
        lines.append(
            f"ℹ️ {by} already invited this contact through this campaign "
            f"{slack_date(receipt.earlier_at, '{date_short_pretty}')}. {window}"
        )
    if receipt.form.opt_out_note is not None:
        lines.append(receipt.form.opt_out_note)
    return lines


def build_invite_confirmation(receipt: InviteReceipt) -> dict[str, Any]:
    """The private message (chat.postEphemeral or a DM) after an invite was accepted."""
    lines = receipt_lines(receipt)
    main, extra = lines[:-1], lines[-1:]
    if receipt.form.opt_out_note is None:
        main, extra = lines, []
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": mrkdwn("\n".join(main), verbatim=True)}
    ]
    if extra:
        blocks.append(
            {
                "type": "context",
                "elements": [mrkdwn(extra[0], verbatim=True)],
            }
        )
    text = f"Review invite sent to {escape_mrkdwn(receipt.contact)}"
    return {"text": text, "blocks": blocks}
