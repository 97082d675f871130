"""Slack's Block Kit limits (``bot.blocks.limits``) as assertions for every builder's tests."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from bot.blocks.limits import (
    ACTIONS_ELEMENTS,
    ALT_TEXT,
    BLOCKS_JSON,
    BUTTON_TEXT,
    BUTTON_VALUE,
    CONFIRM_BUTTON,
    CONFIRM_TEXT,
    CONFIRM_TITLE,
    CONTEXT_ELEMENTS,
    HEADER_TEXT,
    ID,
    INPUT_LABEL,
    MARKDOWN_BLOCK,
    MESSAGE_BLOCKS,
    OPTION_TEXT,
    OPTION_VALUE,
    OPTIONS,
    OVERFLOW_OPTIONS,
    PLACEHOLDER,
    PRIVATE_METADATA,
    SECTION_FIELD_TEXT,
    SECTION_FIELDS,
    SECTION_TEXT,
    TOP_LEVEL_TEXT,
    URL,
    VIEW_BLOCKS,
    VIEW_BYTES,
    VIEW_TITLE,
)

BLOCK_TYPES = frozenset(
    {
        "section",
        "header",
        "context",
        "actions",
        "divider",
        "image",
        "input",
        "rich_text",
        "markdown",
        "file",
        "video",
    }
)
SELECTS = frozenset(
    {
        "static_select",
        "multi_static_select",
        "external_select",
        "multi_external_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
    }
)


class _Ids:
    """Tracks action_id/block_id uniqueness within one message or view."""

    def __init__(self) -> None:
        self.action_ids: set[str] = set()
        self.block_ids: set[str] = set()

    def action(self, element: Mapping[str, Any], where: str) -> None:
        action_id = element.get("action_id")
        if action_id is None:
            return
        _len(action_id, ID, f"{where}.action_id", minimum=1)
        assert action_id not in self.action_ids, f"{where}: duplicate action_id {action_id!r}"
        self.action_ids.add(action_id)

    def block(self, block: Mapping[str, Any], where: str) -> None:
        block_id = block.get("block_id")
        if block_id is None:
            return
        _len(block_id, ID, f"{where}.block_id", minimum=1)
        assert block_id not in self.block_ids, f"{where}: duplicate block_id {block_id!r}"
        self.block_ids.add(block_id)


def _len(value: Any, limit: int, where: str, *, minimum: int = 0) -> None:
    assert isinstance(value, str), f"{where}: expected a string, got {type(value).__name__}"
    assert minimum <= len(value) <= limit, f"{where}: length {len(value)} not in {minimum}..{limit}"


def _text(obj: Any, limit: int, where: str, *, plain_only: bool = False) -> None:
    assert isinstance(obj, Mapping), f"{where}: a text object must be a dict"
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    assert obj.get("type") in kinds, f"{where}: text type {obj.get('type')!r} not in {kinds}"
    # Slack rejects empty text objects (invalid_blocks), plain_text and mrkdwn alike.
    _len(obj.get("text"), limit, f"{where}.text", minimum=1)
    if obj["type"] == "plain_text":
        assert "verbatim" not in obj, f"{where}: verbatim is only valid on mrkdwn"


def _confirm(confirm: Any, where: str) -> None:
    _text(confirm.get("title"), CONFIRM_TITLE, f"{where}.title", plain_only=True)
    _text(confirm.get("text"), CONFIRM_TEXT, f"{where}.text")
    _text(confirm.get("confirm"), CONFIRM_BUTTON, f"{where}.confirm", plain_only=True)
    _text(confirm.get("deny"), CONFIRM_BUTTON, f"{where}.deny", plain_only=True)


def _option(option: Any, where: str) -> None:
    _text(option.get("text"), OPTION_TEXT, f"{where}.text")
    _len(option.get("value"), OPTION_VALUE, f"{where}.value", minimum=1)
    if "description" in option:
        _text(option["description"], OPTION_TEXT, f"{where}.description")


def _element(element: Any, ids: _Ids, where: str) -> None:
    assert isinstance(element, Mapping), f"{where}: an element must be a dict"
    kind = element.get("type")
    ids.action(element, where)
    if "confirm" in element:
        _confirm(element["confirm"], f"{where}.confirm")
    if "placeholder" in element:
        _text(element["placeholder"], PLACEHOLDER, f"{where}.placeholder", plain_only=True)
    if kind == "button":
        _text(element.get("text"), BUTTON_TEXT, f"{where}.text", plain_only=True)
        if "value" in element:
            _len(element["value"], BUTTON_VALUE, f"{where}.value", minimum=1)
        if "url" in element:
            _len(element["url"], URL, f"{where}.url", minimum=1)
        assert element.get("style") in (None, "primary", "danger"), f"{where}: bad style"
    elif kind == "image":
        _len(element.get("image_url"), URL, f"{where}.image_url", minimum=1)
        _len(element.get("alt_text"), ALT_TEXT, f"{where}.alt_text", minimum=1)
    elif kind in SELECTS or kind in ("overflow", "radio_buttons", "checkboxes"):
        options = element.get("options", [])
        limit = OVERFLOW_OPTIONS if kind == "overflow" else OPTIONS
        assert len(options) <= limit, f"{where}: {len(options)} options > {limit}"
        if kind == "overflow":
            assert len(options) >= 1, f"{where}: overflow needs options"
        for i, option in enumerate(options):
            _option(option, f"{where}.options[{i}]")
        groups = element.get("option_groups", [])
        assert len(groups) <= OPTIONS, f"{where}: {len(groups)} option_groups > {OPTIONS}"
        for g, group in enumerate(groups):
            _text(group.get("label"), OPTION_TEXT, f"{where}.option_groups[{g}].label")
            assert len(group.get("options", [])) <= OPTIONS, f"{where}: group too large"
            for i, option in enumerate(group.get("options", [])):
                _option(option, f"{where}.option_groups[{g}].options[{i}]")
        for key in ("initial_option",):
            if key in element:
                _option(element[key], f"{where}.{key}")


def _block(block: Any, ids: _Ids, where: str) -> None:
    assert isinstance(block, Mapping), f"{where}: a block must be a dict"
    kind = block.get("type")
    assert kind in BLOCK_TYPES, f"{where}: unknown block type {kind!r}"
    ids.block(block, where)
    if kind == "section":
        assert "text" in block or "fields" in block, f"{where}: section needs text or fields"
        if "text" in block:
            _text(block["text"], SECTION_TEXT, f"{where}.text")
        fields = block.get("fields", [])
        assert len(fields) <= SECTION_FIELDS, f"{where}: {len(fields)} fields > {SECTION_FIELDS}"
        for i, item in enumerate(fields):
            _text(item, SECTION_FIELD_TEXT, f"{where}.fields[{i}]")
        if "accessory" in block:
            _element(block["accessory"], ids, f"{where}.accessory")
    elif kind == "header":
        _text(block.get("text"), HEADER_TEXT, f"{where}.text", plain_only=True)
    elif kind == "context":
        elements = block.get("elements", [])
        assert 1 <= len(elements) <= CONTEXT_ELEMENTS, f"{where}: {len(elements)} elements"
        for i, element in enumerate(elements):
            if element.get("type") == "image":
                _element(element, ids, f"{where}.elements[{i}]")
            else:
                _text(element, SECTION_TEXT, f"{where}.elements[{i}]")
    elif kind == "actions":
        elements = block.get("elements", [])
        assert 1 <= len(elements) <= ACTIONS_ELEMENTS, f"{where}: {len(elements)} elements"
        for i, element in enumerate(elements):
            _element(element, ids, f"{where}.elements[{i}]")
    elif kind == "image":
        _len(block.get("image_url"), URL, f"{where}.image_url", minimum=1)
        _len(block.get("alt_text"), ALT_TEXT, f"{where}.alt_text", minimum=1)
        if "title" in block:
            _text(block["title"], ALT_TEXT, f"{where}.title", plain_only=True)
    elif kind == "input":
        _text(block.get("label"), INPUT_LABEL, f"{where}.label", plain_only=True)
        if "hint" in block:
            _text(block["hint"], INPUT_LABEL, f"{where}.hint", plain_only=True)
        _element(block.get("element"), ids, f"{where}.element")
    elif kind == "markdown":
        _len(block.get("text"), MARKDOWN_BLOCK, f"{where}.text", minimum=1)


def _blocks(blocks: Any, limit: int, ids: _Ids) -> None:
    assert isinstance(blocks, list), "blocks must be a list"
    assert len(blocks) <= limit, f"{len(blocks)} blocks > {limit}"
    for i, block in enumerate(blocks):
        _block(block, ids, f"blocks[{i}]")


def assert_message_within_limits(payload: Mapping[str, Any]) -> None:
    """Fail when a chat.postMessage/chat.update/respond payload breaks a Slack limit."""
    text = payload.get("text")
    blocks = payload.get("blocks")
    assert text or blocks, "a message needs text or blocks"
    if text is not None:
        _len(text, TOP_LEVEL_TEXT, "text", minimum=1 if not blocks else 0)
    if blocks is not None:
        _blocks(blocks, MESSAGE_BLOCKS, _Ids())
        size = len(json.dumps(blocks, ensure_ascii=False))
        assert size <= BLOCKS_JSON, f"blocks serialize to {size} characters > {BLOCKS_JSON}"
    metadata = payload.get("metadata")
    if metadata is not None:
        assert isinstance(metadata.get("event_type"), str), "metadata.event_type must be a string"
        assert isinstance(metadata.get("event_payload"), Mapping), "metadata.event_payload"
    json.dumps(payload)  # must be JSON-serializable as posted


def assert_view_within_limits(view: Mapping[str, Any]) -> None:
    """Fail when a modal or Home tab view breaks a Slack limit."""
    kind = view.get("type")
    assert kind in ("modal", "home"), f"view type {kind!r}"
    blocks = view.get("blocks", [])
    _blocks(blocks, VIEW_BLOCKS, _Ids())
    if kind == "modal":
        _text(view.get("title"), VIEW_TITLE, "title", plain_only=True)
        has_input = any(block.get("type") == "input" for block in blocks)
        if has_input:
            assert "submit" in view, "a modal with input blocks needs submit"
    for key in ("submit", "close"):
        if key in view:
            _text(view[key], VIEW_TITLE, key, plain_only=True)
    if "private_metadata" in view:
        _len(view["private_metadata"], PRIVATE_METADATA, "private_metadata")
    for key in ("callback_id", "external_id"):
        if key in view:
            _len(view[key], ID, key)
    size = len(json.dumps(view, ensure_ascii=False).encode())
    assert size <= VIEW_BYTES, f"view is {size} bytes > {VIEW_BYTES}"


def iter_text_objects(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every text object (``{"type": "plain_text"|"mrkdwn", "text": …}``) anywhere in ``node``."""
    if isinstance(node, Mapping):
        if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
            yield node
        for value in node.values():
            yield from iter_text_objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from iter_text_objects(item)
