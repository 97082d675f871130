"""``/reviews help`` and the short answers of the command router (unknown, not yet available)."""

from __future__ import annotations

from typing import Any, NamedTuple

from bot.blocks.ids import BLOCK_HELP
from bot.blocks.text import escape_mrkdwn, truncate

__all__ = [
    "COMMANDS",
    "LATER_COMMANDS",
    "Command",
    "build_help",
    "build_not_available",
    "build_unknown_subcommand",
]


class Command(NamedTuple):
    """One subcommand of ``/reviews``: what it does and one example."""

    name: str
    summary: str
    example: str


COMMANDS: tuple[Command, ...] = (
    Command("help", "this list", "/reviews help"),
    Command(
        "list",
        "browse reviews privately, with the same filters and page:N",
        '/reviews list org:"Acme Dental" rating:<=3 page:2',
    ),
    Command("invite", "ask a customer for a review (opens a form)", "/reviews invite"),
    Command(
        "subscribe",
        "send review cards to this channel: `all`, filters, or no words for a form (admins)",
        '/reviews subscribe org:"Acme Dental" location:3 rating:<=3 source:Google,Yelp '
        "mention:@frontdesk alert:<=2",
    ),
    Command(
        "unsubscribe",
        "stop one subscription of this channel, or `all` of them (admins)",
        "/reviews unsubscribe 3",
    ),
    Command(
        "subscriptions",
        "this channel's subscriptions, with Remove buttons",
        "/reviews subscriptions",
    ),
    Command(
        "digest",
        "post the weekly digest now, or change its schedule",
        '/reviews digest now "Acme Dental"',
    ),
    Command("connect", "connect a Gumado or Cloutly account (admins)", "/reviews connect"),
    Command("disconnect", "remove a connection (admins)", "/reviews disconnect cloutly"),
    Command(
        "status",
        "connections, their health, subscriptions and failed deliveries",
        "/reviews status",
    ),
)
"""Every subcommand of PRODUCT.md, in the order help shows them."""

LATER_COMMANDS: frozenset[str] = frozenset()
"""Subcommands a later release delivers; until then they answer that they are not available."""

_FILTERS = (
    "Filters: `org:` (name or id, quoted when it has spaces), `location:`, "
    "`rating:5` / `rating:<=2` / `rating:>=4` / `rating:1-3`, `source:Google,Yelp`, "
    "`mention:@group` or `@person`, `alert:<=2` (mention at or below this rating), "
    "`connection:<name>`."
)


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _poll_interval(seconds: int) -> str:
    if seconds % 60 == 0 and seconds >= 60:
        minutes = seconds // 60
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"


def build_help(*, poll_interval_seconds: int) -> dict[str, Any]:
    """The help message: every subcommand with one example, filters, and how reviews arrive."""
    lines = [
        f"• `{command.name}` — {command.summary}\n      `{command.example}`" for command in COMMANDS
    ]
    later = ", ".join(f"`{name}`" for name in sorted(LATER_COMMANDS))
    every = _poll_interval(poll_interval_seconds)
    arrival = (
        "Gumado sends new and edited reviews at once through its webhook (see `/reviews status`). "
        f"Cloutly has no webhooks, so Cloutly accounts are polled every {every} "
        "(so is a Gumado account whose webhook has been silent for a day)."
    )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": _mrkdwn("*Reviews* — `/reviews <command>`")},
        {"type": "section", "block_id": BLOCK_HELP, "text": _mrkdwn("\n".join(lines))},
        {"type": "context", "elements": [_mrkdwn(_FILTERS)]},
        {"type": "context", "elements": [_mrkdwn(arrival)]},
    ]
    if later:
        blocks.append(
            {"type": "context", "elements": [_mrkdwn(f"Coming with the next release: {later}.")]}
        )
    text = "Reviews commands: " + ", ".join(command.name for command in COMMANDS)
    return {"text": text, "blocks": blocks, "response_type": "ephemeral"}


def build_unknown_subcommand(word: str, suggestion: str | None) -> dict[str, Any]:
    """The answer to ``/reviews foo``: the word, a suggestion, and where help is."""
    shown = escape_mrkdwn(truncate(word.replace("`", ""), 40))
    text = f"I don't know `{shown}`."
    if suggestion:
        text += f" Did you mean `/reviews {suggestion}`?"
    text += " `/reviews help` lists every command."
    return {"text": text, "response_type": "ephemeral"}


def build_not_available(name: str) -> dict[str, Any]:
    """The answer to a subcommand that a later release delivers."""
    command = next((c for c in COMMANDS if c.name == name), None)
    what = f" ({command.summary})" if command else ""
    text = (
        f"`/reviews {escape_mrkdwn(name)}`{what} is not available in this version yet; "
        "it arrives with the next release. `/reviews help` lists what works today."
    )
    return {"text": text, "response_type": "ephemeral"}
