"""conversations.* methods of the Slack stand-in."""

from __future__ import annotations

from sandbox.slack_chat import public
from sandbox.slack_state import JSON, ApiRequest, Handler, SlackError, need, paginate

_READ_SCOPE = {"public": "channels:read", "private": "groups:read", "im": "im:read"}
_HISTORY_SCOPE = {"public": "channels:history", "private": "groups:history", "im": "im:history"}


def _window(req: ApiRequest, messages: list[JSON]) -> list[JSON]:
    """Messages between oldest and latest (exclusive unless ``inclusive``)."""
    low, high = float(req.text("oldest") or 0), float(req.text("latest") or "inf")
    if req.flag("inclusive"):
        return [m for m in messages if low <= float(m["ts"]) <= high]
    return [m for m in messages if low < float(m["ts"]) < high]


def history(req: ApiRequest) -> JSON:
    """conversations.history: top-level messages, newest first; metadata only on request."""
    state = req.state
    channel = state.channel(req.required("channel", "channel_not_found"))
    state.check_readable(channel, _HISTORY_SCOPE)
    top = [m for m in state.messages.get(channel.id, []) if m.get("thread_ts") in (None, m["ts"])]
    window = _window(req, list(reversed(top)))
    page, cursor = paginate(window, req.text("cursor"), min(req.number("limit", 100), 999))
    with_metadata = req.flag("include_all_metadata")
    body: JSON = {
        "ok": True,
        "messages": [public(m, with_metadata=with_metadata) for m in page],
        "has_more": bool(cursor),
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
    }
    if cursor:
        body["response_metadata"] = {"next_cursor": cursor}
    return body


def replies(req: ApiRequest) -> JSON:
    """conversations.replies: the parent, then its replies oldest first."""
    state = req.state
    channel = state.channel(req.required("channel", "channel_not_found"))
    state.check_readable(channel, _HISTORY_SCOPE)
    parent = state.find_message(channel.id, req.required("ts", "thread_not_found"))
    if parent is None:
        raise SlackError("thread_not_found")
    root = parent.get("thread_ts", parent["ts"])
    thread = [m for m in state.messages[channel.id] if m.get("thread_ts", m["ts"]) == root]
    page, cursor = paginate(_window(req, thread), req.text("cursor"), req.number("limit", 1000))
    with_metadata = req.flag("include_all_metadata")
    body: JSON = {
        "ok": True,
        "messages": [public(m, with_metadata=with_metadata) for m in page],
        "has_more": bool(cursor),
    }
    if cursor:
        body["response_metadata"] = {"next_cursor": cursor}
    return body


def info(req: ApiRequest) -> JSON:
    """conversations.info: private channels the bot is not in do not exist for it."""
    state = req.state
    channel = state.channel(req.required("channel", "channel_not_found"))
    if channel.kind == "private" and not channel.bot_member:
        raise SlackError("channel_not_found")
    need(state, _READ_SCOPE[channel.kind])
    return {"ok": True, "channel": channel.info()}


def join(req: ApiRequest) -> JSON:
    """conversations.join: bots may join public channels only."""
    state = req.state
    need(state, "channels:join")
    channel = state.channel(req.required("channel", "channel_not_found"))
    if channel.kind == "private" and not channel.bot_member:
        raise SlackError("channel_not_found")
    if channel.kind != "public":
        raise SlackError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise SlackError("is_archived")
    body: JSON = {"ok": True, "channel": channel.info()}
    if channel.bot_member:
        body.update(
            warning="already_in_channel", response_metadata={"warnings": ["already_in_channel"]}
        )
    channel.bot_member = True
    body["channel"] = channel.info()
    return body


def open_conversation(req: ApiRequest) -> JSON:
    """conversations.open: the bot's DM with one user ("D…" id)."""
    state = req.state
    need(state, "im:write")
    users = [u for u in (req.text("users") or "").split(",") if u]
    if req.text("channel"):
        channel, existed = state.channel(req.text("channel")), True
    elif len(users) == 1:
        existed = any(c.im_user == users[0] for c in state.channels.values())
        channel = state.open_dm(users[0])
    else:
        # Group DMs (mpim) are not part of the stand-in.
        raise SlackError("users_list_not_supplied" if not users else "method_not_supported")
    body: JSON = {
        "ok": True,
        "channel": channel.info() if req.flag("return_im") else {"id": channel.id},
    }
    if existed:
        body.update(no_op=True, already_open=True)
    return body


HANDLERS: dict[str, Handler] = {
    "conversations.history": history,
    "conversations.replies": replies,
    "conversations.info": info,
    "conversations.join": join,
    "conversations.open": open_conversation,
}
