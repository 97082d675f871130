"""``/reviews help`` and the router's answer to an unknown subcommand.

The subcommands come in as plain data (``handlers/subcommands.py`` holds the registry).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from bot.blocks.ids import BLOCK_HELP
from bot.blocks.text import mrkdwn
from bot.text import escape_mrkdwn, truncate

__all__ = ["Command", "build_help", "build_unknown_subcommand"]


class Command(NamedTuple):
    """One subcommand of ``/reviews`` as help shows it: what it does and one example."""

    name: str
    summary: str
    example: str


_FILTERS = (
    "Filters: `org:` (name or id, quoted when it has spaces), `location:`, "
    "`rating:5` / `rating:<=2` / `rating:>=4` / `rating:1-3`, `source:Google,Yelp`, "
    "`mention:@group` or `@person`, `alert:<=2` (mention at or below this rating), "
    '`connection:<name>`, `text:"parking"` (words in the review, any case or accents), '
    "`language:es`."
)
_SUBSCRIBE_WORDS = (
    "Subscriptions also take `respond:24h` (a reminder in the card's thread when a low rating "
    "is not answered by then), `rollup:>=4 every:1h` (good reviews in one message per period), "
    "`style:compact` (two-line cards) and `backfill:7d` or `backfill:20` (post the recent past "
    "here once, oldest first). `/reviews list` also takes `unanswered` (`replied:no`). "
    "`/reviews test` shows a sample card and who it would reach, pinging nobody."
)


def _poll_interval(seconds: int) -> str:
    if seconds % 60 == 0 and seconds >= 60:
        minutes = seconds // 60
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"


def build_help(
    commands: Sequence[tuple[str, str, str]], *, poll_interval_seconds: int
) -> dict[str, Any]:
    """The help message: each (name, summary, example) in order, filters, how reviews arrive."""
    listed = [Command(*command) for command in commands]
    lines = [f"• `{c.name}` — {c.summary}\n      `{c.example}`" for c in listed]
    every = _poll_interval(poll_interval_seconds)
    arrival = (
        "Gumado sends new and edited reviews at once through its webhook (see `/reviews status`). "
        f"Cloutly has no webhooks, so Cloutly accounts are polled every {every} "
        "(so is a Gumado account whose webhook has been silent for a day)."
    )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": mrkdwn("*Reviews* — `/reviews <command>`")},
        {"type": "section", "block_id": BLOCK_HELP, "text": mrkdwn("\n".join(lines))},
        {"type": "context", "elements": [mrkdwn(_FILTERS), mrkdwn(_SUBSCRIBE_WORDS)]},
        {"type": "context", "elements": [mrkdwn(arrival)]},
    ]
    text = "Reviews commands: " + ", ".join(c.name for c in listed)
    return {"text": text, "blocks": blocks, "response_type": "ephemeral"}


def build_unknown_subcommand(word: str, suggestion: str | None) -> dict[str, Any]:
    """The answer to ``/reviews foo``: the word, a suggestion, and where help is."""
    shown = escape_mrkdwn(truncate(word.replace("`", ""), 40))
    text = f"I don't know `{shown}`."
    if suggestion:
        text += f" Did you mean `/reviews {suggestion}`?"
    text += " `/reviews help` lists every command."
    return {"text": text, "response_type": "ephemeral"}
