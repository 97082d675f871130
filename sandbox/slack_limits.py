"""Block Kit and view limits, checked and reported the way the Slack Web API does."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sandbox.slack_state import JSON, SlackError

MESSAGE_MAX_BLOCKS = 50
SURFACE_MAX_BLOCKS = 100
VIEW_MAX_BYTES = 250_000
_BLOCK_TYPES = {
    *("section", "header", "context", "actions", "image", "divider"),
    *("input", "rich_text", "markdown", "file", "video"),
}


def _length(problems: list[str], value: Any, limit: int, at: str, *, minimum: int = 0) -> None:
    if not isinstance(value, str):
        problems.append(f"must be a string [json-pointer:{at}]")
    elif len(value) > limit:
        problems.append(f"must be less than {limit + 1} characters [json-pointer:{at}]")
    elif len(value) < minimum:
        problems.append(f"must be more than {minimum - 1} characters [json-pointer:{at}]")


def _text(problems: list[str], obj: Any, limit: int, at: str, *, plain: bool = False) -> None:
    allowed = ("plain_text",) if plain else ("plain_text", "mrkdwn")
    if not isinstance(obj, dict) or obj.get("type") not in allowed:
        problems.append(f"must be a {' or '.join(allowed)} text object [json-pointer:{at}]")
        return
    _length(problems, obj.get("text"), limit, f"{at}/text", minimum=1)


def _element(problems: list[str], element: Any, at: str) -> None:
    if not isinstance(element, dict):
        problems.append(f"must be an object [json-pointer:{at}]")
        return
    if "action_id" in element:
        _length(problems, element["action_id"], 255, f"{at}/action_id")
    kind = element.get("type")
    if kind == "button":
        _text(problems, element.get("text"), 75, f"{at}/text", plain=True)
        for key, limit in (("value", 2000), ("url", 3000)):
            if key in element:
                _length(problems, element[key], limit, f"{at}/{key}")
    elif kind == "overflow" and not 1 <= len(element.get("options") or []) <= 5:
        problems.append(f"must provide between 1 and 5 items [json-pointer:{at}/options]")
    elif kind in ("static_select", "multi_static_select", "radio_buttons", "checkboxes"):
        options = element.get("options") or []
        if len(options) > 100:
            problems.append(f"no more than 100 items allowed [json-pointer:{at}/options]")
        for i, option in enumerate(options):
            _text(problems, (option or {}).get("text"), 75, f"{at}/options/{i}/text")
            _length(problems, (option or {}).get("value"), 150, f"{at}/options/{i}/value")
    if "placeholder" in element:
        _text(problems, element["placeholder"], 150, f"{at}/placeholder", plain=True)


def _elements(problems: list[str], block: JSON, limit: int, at: str) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        problems.append(f"must provide at least 1 item [json-pointer:{at}/elements]")
        return
    if len(elements) > limit:
        problems.append(f"no more than {limit} items allowed [json-pointer:{at}/elements]")
    action_ids = [e.get("action_id") for e in elements if isinstance(e, dict) and "action_id" in e]
    if len(action_ids) != len(set(action_ids)):
        problems.append(f"duplicate action_id [json-pointer:{at}/elements]")


def _section(problems: list[str], block: JSON, at: str) -> None:
    if "text" not in block and "fields" not in block:
        problems.append(f"must provide either text or fields [json-pointer:{at}]")
    if "text" in block:
        _text(problems, block["text"], 3000, f"{at}/text")
    fields = block.get("fields") or []
    if len(fields) > 10:
        problems.append(f"no more than 10 items allowed [json-pointer:{at}/fields]")
    for i, item in enumerate(fields):
        _text(problems, item, 2000, f"{at}/fields/{i}")
    if "accessory" in block:
        _element(problems, block["accessory"], f"{at}/accessory")


def _header(problems: list[str], block: JSON, at: str) -> None:
    _text(problems, block.get("text"), 150, f"{at}/text", plain=True)


def _context(problems: list[str], block: JSON, at: str) -> None:
    _elements(problems, block, 10, at)


def _actions(problems: list[str], block: JSON, at: str) -> None:
    _elements(problems, block, 25, at)
    for i, element in enumerate(block.get("elements") or []):
        _element(problems, element, f"{at}/elements/{i}")


def _image(problems: list[str], block: JSON, at: str) -> None:
    _length(problems, block.get("alt_text"), 2000, f"{at}/alt_text", minimum=1)
    if ("image_url" in block) == ("slack_file" in block):
        problems.append(f"must provide exactly one of image_url or slack_file [json-pointer:{at}]")
    elif "image_url" in block:
        _length(problems, block["image_url"], 3000, f"{at}/image_url", minimum=1)


def _input(problems: list[str], block: JSON, at: str) -> None:
    _text(problems, block.get("label"), 2000, f"{at}/label", plain=True)
    if "element" not in block:
        problems.append(f"missing required field: element [json-pointer:{at}]")
    else:
        _element(problems, block["element"], f"{at}/element")


def _markdown(problems: list[str], block: JSON, at: str) -> None:
    _length(problems, block.get("text"), 12000, f"{at}/text", minimum=1)


_CHECKS: dict[str, Callable[[list[str], JSON, str], None]] = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "image": _image,
    "input": _input,
    "markdown": _markdown,
}


def block_problems(blocks: Any, *, max_blocks: int, pointer: str) -> list[str]:
    """Slack-style descriptions of every limit ``blocks`` breaks (empty when valid)."""
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{pointer}]"]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"no more than {max_blocks} items allowed [json-pointer:{pointer}]")
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"{pointer}/{i}"
        if not isinstance(block, dict) or block.get("type") not in _BLOCK_TYPES:
            kind = block.get("type") if isinstance(block, dict) else None
            problems.append(f"unsupported type: {kind} [json-pointer:{at}/type]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            _length(problems, block_id, 255, f"{at}/block_id")
            if block_id in seen:
                problems.append(f"duplicate block_id [json-pointer:{at}/block_id]")
            seen.add(str(block_id))
        check = _CHECKS.get(block["type"])
        if check is not None:
            check(problems, block, at)
    return problems


def _raise(error: str, problems: list[str]) -> None:
    raise SlackError(
        error,
        errors=problems,
        response_metadata={"messages": [f"[ERROR] {problem}" for problem in problems]},
    )


def check_message_blocks(blocks: Any) -> None:
    """Raise ``invalid_blocks`` as chat.postMessage/chat.update do."""
    problems = block_problems(blocks, max_blocks=MESSAGE_MAX_BLOCKS, pointer="/blocks")
    if problems:
        _raise("invalid_blocks", problems)


def check_view(view: Any, *, surface: str) -> None:
    """Raise what views.open/push/update (surface "modal") or views.publish ("home") raise."""
    if not isinstance(view, dict) or view.get("type") != surface:
        _raise("invalid_arguments", [f"must be a {surface} view [json-pointer:/view/type]"])
    if len(json.dumps(view).encode()) > VIEW_MAX_BYTES:
        raise SlackError("view_too_large")
    blocks = view.get("blocks", [])
    problems = block_problems(blocks, max_blocks=SURFACE_MAX_BLOCKS, pointer="/view/blocks")
    if surface == "modal":
        _text(problems, view.get("title"), 24, "/view/title", plain=True)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                _text(problems, view[key], 24, f"/view/{key}", plain=True)
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks or [])
        if has_input and view.get("submit") is None:
            problems.append(
                "must provide submit when an input block is present [json-pointer:/view]"
            )
    for key, limit in (("private_metadata", 3000), ("callback_id", 255), ("external_id", 255)):
        if key in view:
            _length(problems, view[key], limit, f"/view/{key}")
    if problems:
        _raise("invalid_arguments", problems)
