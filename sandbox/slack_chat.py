"""chat.* methods and response_url posts of the Slack stand-in."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.slack_limits import check_message_blocks
from sandbox.slack_state import JSON, ApiRequest, Handler, SlackError, SlackState, need

# Slack truncates top-level text above 40,000 characters and rejects longer with msg_too_long.
MAX_TEXT = 40_000
RESPONSE_URL_MAX_POSTS = 5
RESPONSE_URL_LIFETIME_SECONDS = 30 * 60


def public(message: JSON, *, with_metadata: bool = True) -> JSON:
    """A copy of a stored message as the API returns it."""
    shown = copy.deepcopy(message)
    if not with_metadata:
        shown.pop("metadata", None)
    return shown


def _content(req: ApiRequest) -> tuple[str, Any, Any]:
    text = req.text("text") or ""
    blocks = req.structured("blocks", "invalid_blocks_format")
    attachments = req.structured("attachments", "invalid_attachments")
    if blocks is not None:
        check_message_blocks(blocks)
        req.check_images()
    if len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    return text, blocks, attachments


def _metadata(req: ApiRequest) -> Any:
    metadata = req.structured("metadata", "invalid_metadata_format")
    if metadata is not None and (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_format")
    return metadata


def post_message(req: ApiRequest) -> JSON:
    """chat.postMessage: post as the bot, optionally in a thread and with metadata."""
    state = req.state
    need(state, "chat:write")
    channel = state.channel(req.required("channel", "channel_not_found"))
    state.check_postable(channel)
    text, blocks, attachments = _content(req)
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    message = state.bot_message(
        text=text, blocks=blocks, attachments=attachments, metadata=_metadata(req)
    )
    message = state.add_message(channel.id, message, req.text("thread_ts"))
    return {"ok": True, "channel": channel.id, "ts": message["ts"], "message": public(message)}


def update_message(req: ApiRequest) -> JSON:
    """chat.update: edit one of the bot's own messages; omitted blocks are kept."""
    state = req.state
    need(state, "chat:write")
    channel = state.channel(req.required("channel", "channel_not_found"))
    message = state.find_message(channel.id, req.required("ts", "message_not_found"))
    if message is None:
        raise SlackError("message_not_found")
    if message.get("bot_id") != state.bot_id:
        raise SlackError("cant_update_message")
    if channel.is_archived:
        raise SlackError("is_archived")
    text, blocks, attachments = _content(req)
    if not text and blocks is None and attachments is None:
        raise SlackError("no_text")
    if req.text("text") is not None:
        message["text"] = text
    for key, value in (("blocks", blocks), ("attachments", attachments)):
        if value is not None:
            message[key] = value
    metadata = _metadata(req)
    if metadata is not None:
        message["metadata"] = metadata
    message["edited"] = {"user": state.bot_user_id, "ts": state.next_ts()}
    shown = public(message)
    return {
        "ok": True,
        "channel": channel.id,
        "ts": shown["ts"],
        "text": shown["text"],
        "message": shown,
    }


def delete_message(req: ApiRequest) -> JSON:
    """chat.delete: remove one of the bot's own messages."""
    state = req.state
    need(state, "chat:write")
    channel = state.channel(req.required("channel", "channel_not_found"))
    message = state.find_message(channel.id, req.required("ts", "message_not_found"))
    if message is None:
        raise SlackError("message_not_found")
    if message.get("bot_id") != state.bot_id:
        raise SlackError("cant_delete_message")
    state.messages[channel.id].remove(message)
    return {"ok": True, "channel": channel.id, "ts": message["ts"]}


def post_ephemeral(req: ApiRequest) -> JSON:
    """chat.postEphemeral: a message only ``user`` sees, which can never be updated."""
    state = req.state
    need(state, "chat:write")
    channel = state.channel(req.required("channel", "channel_not_found"))
    user_id = req.required("user", "user_not_found")
    state.user(user_id)
    state.check_postable(channel)
    if user_id not in channel.members:
        raise SlackError("user_not_in_channel")
    text, blocks, attachments = _content(req)
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    message = add_ephemeral(state, channel.id, user_id, text, blocks, req.text("thread_ts"))
    return {"ok": True, "message_ts": message["ts"]}


def add_ephemeral(
    state: SlackState, channel_id: str, user_id: str, text: str, blocks: Any, thread_ts: str | None
) -> JSON:
    """Store an ephemeral message for ``user_id``."""
    message = state.bot_message(text=text, blocks=blocks)
    message.update({"ts": state.next_ts(), "visible_to": user_id, "is_ephemeral": True})
    if thread_ts:
        message["thread_ts"] = thread_ts
    state.ephemerals.setdefault(channel_id, []).append(message)
    return message


def get_permalink(req: ApiRequest) -> JSON:
    """chat.getPermalink."""
    state = req.state
    channel = state.channel(req.required("channel", "channel_not_found"))
    message = state.find_message(channel.id, req.required("message_ts", "message_not_found"))
    if message is None:
        raise SlackError("message_not_found")
    return {"ok": True, "channel": channel.id, "permalink": state.permalink(channel.id, message)}


def _original(state: SlackState, record_channel: str, ts: str | None) -> tuple[list[JSON], JSON]:
    for pool in (state.messages.get(record_channel, []), state.ephemerals.get(record_channel, [])):
        for message in pool:
            if message["ts"] == ts:
                return pool, message
    raise SlackError("message_not_found")


def post_to_response_url(state: SlackState, url_id: str, body: JSON) -> tuple[int, JSON]:
    """Apply one response_url post: up to 5 in 30 minutes, ephemeral unless in_channel."""
    record = state.response_urls.get(url_id)
    if record is None or state.clock() - record.created_at > RESPONSE_URL_LIFETIME_SECONDS:
        return 404, {"ok": False, "error": "expired_url"}
    if len(record.posts) >= RESPONSE_URL_MAX_POSTS:
        return 404, {"ok": False, "error": "used_url"}
    delete = bool(body.get("delete_original"))
    if not delete and not body.get("text") and not body.get("blocks"):
        return 400, {"ok": False, "error": "no_text"}
    record.posts.append(copy.deepcopy(body))
    if record.channel is None:
        return 200, {"ok": True}
    text, blocks = str(body.get("text") or ""), body.get("blocks")
    try:
        if blocks is not None:
            check_message_blocks(blocks)
        if delete or body.get("replace_original"):
            pool, original = _original(state, record.channel, record.message_ts)
            if delete:
                pool.remove(original)
            else:
                original.update({"text": text, "blocks": blocks or []})
        elif body.get("response_type") == "in_channel":
            message = state.bot_message(text=text, blocks=blocks)
            state.add_message(record.channel, message, body.get("thread_ts"))
        elif record.user_id:
            add_ephemeral(
                state, record.channel, record.user_id, text, blocks, body.get("thread_ts")
            )
    except SlackError as exc:
        return 400, exc.body()
    return 200, {"ok": True}


HANDLERS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "chat.update": update_message,
    "chat.delete": delete_message,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
}
