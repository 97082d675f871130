"""Plain-text rendering of Slack messages and modals, as a person would see them in Slack."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]
_TOKEN = re.compile(r"<([^<>]+)>")
_RULE = "─" * 40
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}
# mrkdwn emphasis as Slack reads it: a mark at a word's edge, text that does not start or end
# with a space. A terminal shows the words without the marks.
_EMPHASIS = re.compile(r"(?<![\w*_~])([*_~])(?=\S)([^\n]*?\S)\1(?![\w*_~])")


def _unescape(text: str) -> str:
    # Slack escapes only these three; &amp; last so "&amp;lt;" stays "&lt;".
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class _Names:
    def __init__(
        self,
        users: Mapping[str, str] | None,
        channels: Mapping[str, str] | None,
        usergroups: Mapping[str, str] | None,
        *,
        terminal: bool = False,
    ) -> None:
        self.users = users or {}
        self.channels = channels or {}
        self.usergroups = usergroups or {}
        self.terminal = terminal

    def token(self, body: str) -> str:
        target, _, label = body.partition("|")
        if target.startswith("@"):
            return "@" + (label or self.users.get(target[1:], target[1:]))
        if target.startswith("#"):
            return "#" + (label or self.channels.get(target[1:], target[1:]))
        if target.startswith("!subteam^"):
            group_id = target.removeprefix("!subteam^")
            return label or "@" + self.usergroups.get(group_id, group_id)
        if target.startswith("!date^"):
            if label:
                return label
            seconds = int(target.split("^")[1])
            return datetime.fromtimestamp(seconds, UTC).strftime("%b %d, %Y %H:%M UTC")
        if target.startswith("!"):
            return _SPECIAL.get(target[1:], label or target[1:])
        url = target.removeprefix("mailto:")
        return f"{label} ({url})" if label and label != url else url

    def mrkdwn(self, text: str) -> str:
        if self.terminal:
            for _ in range(2):  # *bold _and italic_*
                text = _EMPHASIS.sub(r"\2", text)
        return _unescape(_TOKEN.sub(lambda match: self.token(match.group(1)), text))

    def text(self, obj: Any) -> str:
        if not isinstance(obj, dict):
            return ""
        text = str(obj.get("text", ""))
        return self.mrkdwn(text) if obj.get("type") == "mrkdwn" else text


def render_mrkdwn(
    text: str,
    *,
    users: Mapping[str, str] | None = None,
    channels: Mapping[str, str] | None = None,
    usergroups: Mapping[str, str] | None = None,
) -> str:
    """Resolve mentions, links and dates in mrkdwn and undo Slack's escaping."""
    return _Names(users, channels, usergroups).mrkdwn(text)


def _element(names: _Names, element: Any) -> str:
    if not isinstance(element, dict):
        return ""
    kind = element.get("type", "")
    if kind == "button":
        return f"[ {names.text(element.get('text'))} ]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("plain_text", "mrkdwn"):
        return names.text(element)
    if kind == "overflow":
        return "[ … ]"
    if kind in ("datepicker", "timepicker", "datetimepicker"):
        chosen = element.get("initial_date") or element.get("initial_time")
        return f"[ {chosen or names.text(element.get('placeholder')) or kind} ]"
    if kind.endswith("select") or kind.endswith("select_menu"):
        option = element.get("initial_option") or {}
        chosen = names.text(option.get("text")) or names.text(element.get("placeholder"))
        return f"[ {chosen or 'Select'} ▾ ]"
    if kind in ("checkboxes", "radio_buttons"):
        initial = element.get("initial_options") or [element.get("initial_option")]
        on, off = ("☑", "☐") if kind == "checkboxes" else ("●", "○")
        return "\n".join(
            f"{on if option in initial else off} {names.text(option.get('text'))}"
            for option in element.get("options", [])
        )
    if kind.endswith("_input"):
        value = element.get("initial_value") or names.text(element.get("placeholder"))
        return f"[ {value or ' ' * 20} ]"
    return f"[{kind}]"


def _rich_text(names: _Names, elements: list[Any]) -> str:
    parts: list[str] = []
    for element in elements:
        if not isinstance(element, dict):
            continue
        kind = element.get("type")
        if kind == "text":
            parts.append(str(element.get("text", "")))
        elif kind == "link":
            parts.append(names.token(f"{element.get('url')}|{element.get('text', '')}"))
        elif kind == "user":
            parts.append(names.token(f"@{element.get('user_id')}"))
        elif kind == "channel":
            parts.append(names.token(f"#{element.get('channel_id')}"))
        elif kind == "emoji":
            parts.append(f":{element.get('name')}:")
        elif "elements" in element:
            parts.append(_rich_text(names, element["elements"]))
            if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
                parts.append("\n")
    return "".join(parts).rstrip("\n")


def _block(names: _Names, block: Any) -> list[str]:
    if not isinstance(block, dict):
        return []
    kind = block.get("type")
    if kind == "header":
        title = names.text(block.get("text"))
        return [title, "═" * len(title)]
    if kind == "section":
        lines = names.text(block.get("text")).splitlines() or [""]
        if "accessory" in block:
            accessory = _element(names, block["accessory"]).splitlines() or [""]
            lines[0] = f"{lines[0]}  {accessory[0]}".strip()
            lines.extend(accessory[1:])
        lines.extend(names.text(item) for item in block.get("fields", []))
        return lines
    if kind == "context":
        return ["  ".join(_element(names, e) for e in block.get("elements", []))]
    if kind == "actions":
        return ["  ".join(_element(names, e) for e in block.get("elements", []))]
    if kind == "image":
        title = names.text(block.get("title"))
        return [f"[image: {block.get('alt_text', '')}]" + (f" {title}" if title else "")]
    if kind == "divider":
        return [_RULE]
    if kind == "input":
        label = names.text(block.get("label")) + (" (optional)" if block.get("optional") else "")
        lines = [
            label,
            *("  " + line for line in _element(names, block.get("element")).splitlines()),
        ]
        hint = names.text(block.get("hint"))
        return [*lines, f"  {hint}"] if hint else lines
    if kind == "rich_text":
        return _rich_text(names, block.get("elements", [])).splitlines()
    if kind == "markdown":
        return str(block.get("text", "")).splitlines()
    return [f"[{kind} block]"]


def render_blocks(
    blocks: list[Any],
    *,
    users: Mapping[str, str] | None = None,
    channels: Mapping[str, str] | None = None,
    usergroups: Mapping[str, str] | None = None,
) -> list[str]:
    """Lines for a list of blocks; the maps turn ids into names."""
    names = _Names(users, channels, usergroups)
    return [line for block in blocks for line in _block(names, block)]


def _sender(message: JSON, users: Mapping[str, str]) -> str:
    if message.get("bot_id"):
        profile = message.get("bot_profile") or {}
        return f"{profile.get('name') or message.get('username') or 'app'}  APP"
    user = message.get("user")
    return str(users.get(user, user)) if user else ""


def render_message(
    message: JSON,
    *,
    users: Mapping[str, str] | None = None,
    channels: Mapping[str, str] | None = None,
    usergroups: Mapping[str, str] | None = None,
    terminal: bool = False,
) -> str:
    """A message as Slack shows it: sender, blocks (or text), files, thread and ephemeral marks.

    ``terminal``: mrkdwn's *bold*, _italic_ and ~strike~ marks are left out (a terminal cannot
    show them); plain text keeps its characters as typed.
    """
    names = _Names(users, channels, usergroups, terminal=terminal)
    head = _sender(message, names.users)
    if message.get("is_ephemeral") or message.get("visible_to"):
        head = f"{head}  (only visible to you)".strip()
    blocks = message.get("blocks")
    if blocks:
        body = [line for block in blocks for line in _block(names, block)]
    else:
        body = names.mrkdwn(str(message.get("text", ""))).splitlines()
    body.extend(f"[file: {f.get('title') or f.get('name')}]" for f in message.get("files", []))
    if message.get("edited"):
        body.append("(edited)")
    if message.get("reply_count"):
        count = message["reply_count"]
        body.append(f"💬 {count} {'reply' if count == 1 else 'replies'}")
    lines = [head, *body] if head else body
    if message.get("thread_ts") not in (None, message.get("ts")):
        lines = [f"↳ {lines[0]}", *(f"  {line}" for line in lines[1:])] if lines else lines
    return "\n".join(lines)


def render_view(
    view: JSON,
    *,
    users: Mapping[str, str] | None = None,
    channels: Mapping[str, str] | None = None,
    usergroups: Mapping[str, str] | None = None,
) -> str:
    """A modal (or Home tab) as Slack shows it: title, blocks with inputs, close/submit buttons."""
    names = _Names(users, channels, usergroups)
    title = names.text(view.get("title")) or ("Home" if view.get("type") == "home" else "")
    lines = [f"┌─ {title} " + "─" * max(0, 36 - len(title))]
    for block in view.get("blocks", []):
        lines.extend(f"│ {line}".rstrip() for line in _block(names, block))
    buttons = [names.text(view.get(key)) for key in ("close", "submit") if view.get(key)]
    if view.get("type") == "modal" and not view.get("close"):
        buttons.insert(0, "Cancel")
    footer = "  ".join(f"[ {label} ]" for label in buttons)
    lines.append(f"└─ {footer}" if footer else "└" + "─" * 39)
    return "\n".join(lines)
