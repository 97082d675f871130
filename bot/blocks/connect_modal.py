"""``/reviews connect`` and ``/reviews disconnect``: the modal, its notices and the messages.

The token field never gets an ``initial_value``: a token must not travel back to Slack in a
view. When a check fails after the modal said "Checking…", the form comes back with the
problem above it and an empty token field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.blocks.ids import (
    ACTION_CONNECT_CREDENTIAL,
    ACTION_CONNECT_NAME,
    ACTION_CONNECT_PLATFORM,
    ACTION_DISCONNECT_CANCEL,
    ACTION_DISCONNECT_CONFIRM,
    BLOCK_CONNECT_CREDENTIAL,
    BLOCK_CONNECT_INTRO,
    BLOCK_CONNECT_NAME,
    BLOCK_CONNECT_PLATFORM,
    BLOCK_CONNECT_PROBLEM,
    BLOCK_DISCONNECT,
    CALLBACK_CONNECT,
    CALLBACK_CONNECT_NOTICE,
)
from bot.blocks.limits import SECTION_TEXT_BUDGET
from bot.blocks.text import mrkdwn, plain_text
from bot.domain import PlatformInfo
from bot.results import Connected, ConnectValues
from bot.text import escape_mrkdwn, plain, platform_label, shown_name, truncate

__all__ = [
    "NAME_RULES",
    "build_connect_modal",
    "build_connect_notice",
    "build_connected_message",
    "build_connected_notice",
    "build_disconnect_prompt",
    "build_disconnect_result",
    "connect_block_errors",
    "name_problem",
    "read_connect_values",
]

TITLE = "Connect reviews"
NAME_MAX = 40
# Names go into `connection:<name>` filters and `/reviews disconnect <name>`: one word, and not
# all digits (a number there is read as a connection id).
_NAME = re.compile(rf"[A-Za-z][A-Za-z0-9_.-]{{0,{NAME_MAX - 1}}}")
NAME_RULES = (
    f"Up to {NAME_MAX} letters, digits, dots, dashes or underscores, starting with a letter"
)
TOKEN_MAX = 500
FIELD_BLOCKS: dict[str, str] = {
    "platform": BLOCK_CONNECT_PLATFORM,
    "token": BLOCK_CONNECT_CREDENTIAL,
    "name": BLOCK_CONNECT_NAME,
}
"""The fields of ``ConnectValues`` (the keys of ``ConnectOutcome.errors``) → input block ids."""


def connect_block_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Inline errors by field (``bot.services.connect_form``) → by input block (``response_action``)."""
    return {FIELD_BLOCKS[name]: text for name, text in errors.items()}


def _section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": mrkdwn(truncate(text, SECTION_TEXT_BUDGET))}
    if block_id:
        block["block_id"] = block_id
    return block


def _known(platform: str | None, platforms: Sequence[PlatformInfo]) -> PlatformInfo | None:
    return next((info for info in platforms if info.name == platform), None)


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a connection, or None."""
    if not name:
        return "Give the connection a name."
    if _NAME.fullmatch(name) is None:
        return NAME_RULES + "."
    return None


def read_connect_values(
    values: Mapping[str, Any], platforms: Sequence[PlatformInfo]
) -> tuple[ConnectValues, dict[str, str]]:
    """The submitted fields and the inline errors (block id → message) of a plain check."""

    def field_of(block_id: str, action_id: str) -> Mapping[str, Any]:
        found = (values.get(block_id) or {}).get(action_id)
        return found if isinstance(found, Mapping) else {}

    option = field_of(BLOCK_CONNECT_PLATFORM, ACTION_CONNECT_PLATFORM).get("selected_option")
    platform = option.get("value") if isinstance(option, Mapping) else None
    token = field_of(BLOCK_CONNECT_CREDENTIAL, ACTION_CONNECT_CREDENTIAL).get("value")
    name = field_of(BLOCK_CONNECT_NAME, ACTION_CONNECT_NAME).get("value")
    given = ConnectValues(
        platform=platform if _known(platform, platforms) else None,
        name=name.strip() if isinstance(name, str) else "",
        token=token.strip() if isinstance(token, str) else "",
    )
    errors: dict[str, str] = {}
    if given.platform is None:
        errors[BLOCK_CONNECT_PLATFORM] = f"Choose {_either(platforms)}."
    if not given.token:
        errors[BLOCK_CONNECT_CREDENTIAL] = "Paste the API token."
    elif len(given.token) > TOKEN_MAX:
        errors[BLOCK_CONNECT_CREDENTIAL] = "That is longer than any API token; paste it again."
    problem = name_problem(given.name)
    if problem is not None:
        errors[BLOCK_CONNECT_NAME] = problem
    return given, errors


def _either(platforms: Sequence[PlatformInfo]) -> str:
    names = [info.display_name for info in platforms]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def _platform_option(info: PlatformInfo) -> dict[str, Any]:
    return {"text": plain_text(info.display_name), "value": info.name}


def _intro(platforms: Sequence[PlatformInfo], existing: Sequence[str]) -> str:
    intro = (
        f"Connect a {_either(platforms)} account. The token is checked with the platform before "
        "it is saved, and it is stored encrypted.\n"
        "_Use an existing name to replace its token: a connection keeps its webhook URL._"
    )
    if existing:
        names = ", ".join(f"`{shown_name(n)}`" for n in list(existing)[:20])
        more = f" and {len(existing) - 20} more" if len(existing) > 20 else ""
        intro += f"\nThis workspace's connections: {names}{more}."
    return intro


def _platform_element(platforms: Sequence[PlatformInfo], platform: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": ACTION_CONNECT_PLATFORM,
        "placeholder": plain_text(_either(platforms)),
        "options": [_platform_option(info) for info in platforms],
    }
    chosen = _known(platform, platforms)
    if chosen is not None:
        element["initial_option"] = _platform_option(chosen)
    return element


def _name_element(name: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ACTION_CONNECT_NAME,
        "placeholder": plain_text("e.g. gumado-main"),
        "max_length": NAME_MAX,
    }
    if name and name_problem(name) is None:
        element["initial_value"] = name
    return element


def build_connect_modal(
    *,
    platforms: Sequence[PlatformInfo],
    private_metadata: str,
    existing: Sequence[str] = (),
    problem: str | None = None,
    platform: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """The connect form; ``problem`` (mrkdwn) shows above it when a check failed."""
    blocks: list[dict[str, Any]] = [_section(_intro(platforms, existing), BLOCK_CONNECT_INTRO)]
    if problem:
        blocks.append(_section(f"⚠️ {problem}", BLOCK_CONNECT_PROBLEM))
    blocks += [
        {
            "type": "input",
            "block_id": BLOCK_CONNECT_PLATFORM,
            "label": plain_text("Platform"),
            "element": _platform_element(platforms, platform),
        },
        {
            "type": "input",
            "block_id": BLOCK_CONNECT_CREDENTIAL,
            "label": plain_text("API token"),
            "element": {
                "type": "plain_text_input",
                "action_id": ACTION_CONNECT_CREDENTIAL,
                "placeholder": plain_text("Paste the token"),
                "max_length": TOKEN_MAX,
            },
            "hint": plain_text(". ".join(info.credential_help for info in platforms) + "."),
        },
        {
            "type": "input",
            "block_id": BLOCK_CONNECT_NAME,
            "label": plain_text("Display name"),
            "element": _name_element(name),
            "hint": plain_text(
                f"{NAME_RULES}. Used in `connection:<name>` filters and "
                "`/reviews disconnect <name>`."
            ),
        },
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK_CONNECT,
        "title": plain_text(TITLE),
        "submit": plain_text("Connect"),
        "close": plain_text("Cancel"),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }


def build_connect_notice(
    message_mrkdwn: str, *, private_metadata: str = "", done: bool = False
) -> dict[str, Any]:
    """The modal showing only a message: loading, a refusal, "Checking…", or the result."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_CONNECT_NOTICE,
        "title": plain_text(TITLE),
        "close": plain_text("Done" if done else "Close"),
        "private_metadata": private_metadata,
        "blocks": [_section(message_mrkdwn, BLOCK_CONNECT_INTRO)],
    }


def _every(seconds: int) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = seconds // 60
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"


def _connected_lines(result: Connected) -> list[str]:
    name = shown_name(result.name)
    info = result.info
    label = info.display_name
    account = f" (account: {escape_mrkdwn(plain(result.account, 100))})" if result.account else ""
    if result.rotated:
        head = f"✅ The token of *{name}* ({label}) was replaced{account}."
        if result.webhook_url:
            head += f" Its webhook URL is unchanged: nothing to do in {label}."
    else:
        head = f"✅ Connected *{name}* ({label}){account}."
    head += f" {info.organizations(result.organizations)} found."
    lines = [head]
    for scope, consequence in result.missing:
        lines.append(
            f"⚠️ The token lacks `{escape_mrkdwn(scope)}`: {consequence} Add it under "
            f"{info.scope_settings} and connect again with the same name."
        )
    if result.unverified:
        scopes = ", ".join(f"`{escape_mrkdwn(s)}`" for s in result.unverified)
        lines.append(f"_Could not check {scopes} now; a missing one shows in `/reviews status`._")
    every = _every(result.poll_interval_seconds)
    if result.webhook_url and not result.rotated:
        events = ", ".join(f"`{event}`" for event in info.webhook_events)
        steps = "\n".join(
            f"{number}. {step.format(events=events)}"
            for number, step in enumerate(info.webhook_steps, start=1)
        )
        lines += [
            "*Webhook URL* (keep it private: whoever has it can send reviews to this app):",
            f"`{escape_mrkdwn(result.webhook_url)}`",
            f"*In {label}:*\n{steps}",
            f"_Until the first webhook arrives, and whenever it is silent for a day, the account "
            f"is polled every {every}. `/reviews status` shows the URL again (to admins)._",
        ]
    elif not info.has_webhooks:
        lines.append(f"_{label} has no webhooks: its reviews are polled every {every}._")
    lines.append("Next: run `/reviews subscribe` in the channel that should get the review cards.")
    return lines


def build_connected_message(result: Connected) -> dict[str, Any]:
    """The private message after a connect: the webhook URL and the platform's steps."""
    lines = _connected_lines(result)
    blocks = [_section(line) for line in lines]
    text = f"Connected {plain(result.name, 80)} ({result.info.display_name})"
    return {"text": text, "blocks": blocks}


def build_connected_notice(result: Connected) -> dict[str, Any]:
    """The modal after a connect: the same content as the message, shown at once."""
    return build_connect_notice("\n".join(_connected_lines(result)), done=True)


def build_disconnect_prompt(
    *,
    connection_id: int,
    name: str,
    platform: str,
    platforms: Sequence[PlatformInfo],
    own_subscriptions: int,
    has_webhook: bool,
) -> dict[str, Any]:
    """The private confirmation of ``/reviews disconnect <name>``."""
    shown = shown_name(name)
    label = platform_label(platform, platforms)
    effects = ["its polling stops", "the reviews stored from it are deleted"]
    if has_webhook:
        effects.insert(0, f"its webhook URL stops working ({label} gets 404)")
    if own_subscriptions:
        word = "subscription" if own_subscriptions == 1 else "subscriptions"
        effects.append(f"the {own_subscriptions} {word} made for it alone are removed")
    text = (
        f"Disconnect *{shown}* ({label})? "
        + "; ".join(effects)
        + ". You can connect the account again later with `/reviews connect`."
    )
    value = str(connection_id)
    return {
        "text": f"Disconnect {plain(name, 80)}?",
        "blocks": [
            _section(text),
            {
                "type": "actions",
                "block_id": BLOCK_DISCONNECT,
                "elements": [
                    {
                        "type": "button",
                        "action_id": ACTION_DISCONNECT_CONFIRM,
                        "text": plain_text("Disconnect"),
                        "style": "danger",
                        "value": value,
                    },
                    {
                        "type": "button",
                        "action_id": ACTION_DISCONNECT_CANCEL,
                        "text": plain_text("Keep it"),
                        "value": value,
                    },
                ],
            },
        ],
    }


def build_disconnect_result(text_mrkdwn: str) -> dict[str, Any]:
    """What replaces the confirmation: done, kept, or why nothing happened."""
    text = truncate(text_mrkdwn, SECTION_TEXT_BUDGET)
    return {"text": text, "blocks": [_section(text)]}
