"""In-memory workspace of the Slack stand-in: team, users, channels, messages, views and files."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from sandbox.slack_seed import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    Channel,
    default_channels,
    default_usergroups,
    default_users,
    localize_user,
)

JSON = dict[str, Any]
Clock = Callable[[], float]
T = TypeVar("T")

TRIGGER_LIFETIME_SECONDS = 3.0
# Bot scopes the stand-in grants unless told otherwise; each method checks the one it needs.
DEFAULT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:read",
    "channels:join",
    "channels:history",
    "groups:read",
    "groups:history",
    "im:read",
    "im:write",
    "im:history",
    "users:read",
    "usergroups:read",
    "files:write",
    "team:read",
)


class SlackError(Exception):
    """A Web API error, answered as ``{"ok": false, "error": ...}`` with HTTP 200."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> JSON:
        """The JSON body Slack answers with."""
        return {"ok": False, "error": self.error, **self.extra}


@dataclass(frozen=True)
class Call:
    """One HTTP request the stand-in received (API method, "upload" or "response_url")."""

    method: str
    args: JSON
    headers: dict[str, str]
    at: float
    connection: str = ""
    """The client's address and port: one per TCP connection (a kept-alive one is reused)."""


@dataclass
class UploadedFile:
    """A file announced by files.getUploadURLExternal, its bytes and where it was shared."""

    id: str
    filename: str
    length: int
    alt_txt: str | None = None
    title: str | None = None
    content: bytes | None = None
    channel: str | None = None
    thread_ts: str | None = None
    completed: bool = False


@dataclass
class ResponseUrl:
    """A response_url: what was posted to it and the message it belongs to."""

    id: str
    created_at: float
    channel: str | None = None
    user_id: str | None = None
    message_ts: str | None = None
    posts: list[JSON] = field(default_factory=list)


def new_trigger_id(issued_at: float) -> str:
    """A trigger id that carries its issue time, so the stand-in can expire it after 3 s."""
    return f"{int(issued_at * 1000)}.{secrets.randbelow(10**11)}.{secrets.token_hex(16)}"


def trigger_issued_at(trigger_id: str) -> float | None:
    """The issue time encoded by :func:`new_trigger_id`, or None if it is not one of ours."""
    parts = trigger_id.split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    return int(parts[0]) / 1000


def encode_cursor(offset: int) -> str:
    """An opaque pagination cursor, base64 like Slack's."""
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def paginate(items: list[T], cursor: str | None, limit: int) -> tuple[list[T], str]:
    """One page of ``items`` and the next cursor ("" at the end)."""
    start = 0
    if cursor:
        try:
            start = int(base64.b64decode(cursor).decode().removeprefix("offset:"))
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise SlackError("invalid_cursor") from exc
    end = len(items) if limit <= 0 else start + limit
    return items[start:end], encode_cursor(end) if end < len(items) else ""


class SlackState:
    """Everything the stand-in workspace holds."""

    def __init__(self, *, clock: Clock, scopes: Iterable[str], team_name: str) -> None:
        self.clock = clock
        self.scopes = set(scopes)
        self.team_id = TEAM_ID
        self.team_name = team_name
        self.domain = "demo"
        self.bot_user_id, self.bot_id, self.app_id = BOT_USER_ID, BOT_ID, APP_ID
        self.users: dict[str, JSON] = {user["id"]: user for user in default_users()}
        self.usergroups: list[JSON] = default_usergroups()
        self.channels: dict[str, Channel] = {c.id: c for c in default_channels()}
        self.messages: dict[str, list[JSON]] = {}
        self.ephemerals: dict[str, list[JSON]] = {}
        self.views: dict[str, JSON] = {}
        self.view_stacks: list[list[str]] = []
        self.home_views: dict[str, str] = {}
        self.used_triggers: set[str] = set()
        self.trigger_views: dict[str, str] = {}
        self.files: dict[str, UploadedFile] = {}
        self.upload_keys: dict[str, str] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self._last_ts_us = int(clock() * 1_000_000)
        self._serial = 0

    def next_ts(self) -> str:
        """A message ts like "1732300000.000100", strictly increasing across the workspace."""
        self._last_ts_us = max(int(self.clock() * 1_000_000), self._last_ts_us + 100)
        seconds, micros = divmod(self._last_ts_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    def new_id(self, prefix: str) -> str:
        """A fresh Slack-style id such as "V00000001A"."""
        self._serial += 1
        return f"{prefix}0{self._serial:08X}"

    def new_hash(self) -> str:
        """A view hash like Slack's "1569362015.55b5e41b"."""
        self._serial += 1
        return f"{int(self.clock())}.{self._serial:08x}"

    def user(self, user_id: str | None) -> JSON:
        """The user object with its current tz_offset and tz_label."""
        user = self.users.get(user_id or "")
        if user is None:
            raise SlackError("user_not_found")
        return localize_user(user, self.clock(), with_email="users:read.email" in self.scopes)

    def open_dm(self, user_id: str) -> Channel:
        """The bot's DM with ``user_id``, created on first use."""
        self.user(user_id)
        for channel in self.channels.values():
            if channel.im_user == user_id:
                return channel
        channel = Channel(self.new_id("D"), user_id, im_user=user_id, members={user_id})
        self.channels[channel.id] = channel
        return channel

    def channel(self, channel_id: str | None) -> Channel:
        """The conversation ``channel_id`` names (a user id means the bot's DM with them)."""
        channel_id = channel_id or ""
        if channel_id[:1] in ("U", "W") and channel_id in self.users:
            return self.open_dm(channel_id)
        channel = self.channels.get(channel_id)
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def check_postable(self, channel: Channel) -> None:
        """Raise the error Slack gives the bot for posting into ``channel``."""
        if channel.is_archived:
            raise SlackError("is_archived")
        if channel.bot_member:
            return
        # chat:write.public lets a bot post to public channels it has not joined.
        if channel.kind == "public" and "chat:write.public" in self.scopes:
            return
        raise SlackError("not_in_channel")

    def check_readable(self, channel: Channel, scope_by_kind: dict[str, str]) -> None:
        """Raise what Slack says when the bot reads a channel it cannot see or has not joined."""
        if channel.kind == "private" and not channel.bot_member:
            raise SlackError("channel_not_found")
        need(self, scope_by_kind[channel.kind])
        if not channel.bot_member:
            raise SlackError("not_in_channel")

    def bot_message(
        self, *, text: str, blocks: Any = None, attachments: Any = None, metadata: Any = None
    ) -> JSON:
        """A message as the bot posts it (without ts)."""
        message: JSON = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": text,
            "team": self.team_id,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": "reviews",
                "team_id": self.team_id,
                "deleted": False,
            },
        }
        for key, value in (("blocks", blocks), ("attachments", attachments)):
            if value is not None:
                message[key] = value
        if metadata is not None:
            message["metadata"] = metadata
        return message

    def add_message(self, channel_id: str, message: JSON, thread_ts: str | None = None) -> JSON:
        """Store ``message`` (a reply when thread_ts is given) with a fresh ts."""
        message["ts"] = self.next_ts()
        if thread_ts:
            parent = self.find_message(channel_id, thread_ts)
            if parent is None:
                raise SlackError("thread_not_found")
            # A reply to a reply lands in the parent's thread, as in Slack.
            root = parent.get("thread_ts", parent["ts"])
            parent = self.find_message(channel_id, root) or parent
            message["thread_ts"] = root
            message["parent_user_id"] = parent.get("user")
            parent["thread_ts"] = root
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            users = parent.setdefault("reply_users", [])
            if message.get("user") not in users:
                users.append(message.get("user"))
            parent["reply_users_count"] = len(users)
            parent["latest_reply"] = message["ts"]
        self.messages.setdefault(channel_id, []).append(message)
        return message

    def find_message(self, channel_id: str, ts: str | None) -> JSON | None:
        """The stored (non-ephemeral) message with this ts."""
        for message in self.messages.get(channel_id, []):
            if message["ts"] == ts:
                return message
        return None

    def permalink(self, channel_id: str, message: JSON) -> str:
        """A Slack-style permalink to ``message``."""
        link = f"https://{self.domain}.slack.com/archives/{channel_id}/p{message['ts'].replace('.', '')}"
        if message.get("thread_ts") not in (None, message["ts"]):
            link += f"?thread_ts={message['thread_ts']}&cid={channel_id}"
        return link


def need(state: SlackState, scope: str) -> None:
    """Raise ``missing_scope`` unless the token has ``scope``."""
    if scope not in state.scopes:
        raise SlackError("missing_scope", needed=scope, provided=",".join(sorted(state.scopes)))


@dataclass
class ApiRequest:
    """One authenticated Web API call: merged arguments plus the workspace."""

    state: SlackState
    args: JSON
    team_id: str
    origin: str
    image_failure: SlackError | None = None
    """Raised once the call's blocks pass their other checks: an image failed to download."""

    def check_images(self) -> None:
        """Refuse the call as Slack does when one of its images could not be downloaded."""
        if self.image_failure is not None:
            raise self.image_failure

    def text(self, name: str) -> str | None:
        """A string argument, or None when absent."""
        value = self.args.get(name)
        return None if value is None else str(value)

    def required(self, name: str, error: str = "invalid_arguments") -> str:
        """A string argument that must be present and non-empty."""
        value = self.text(name)
        if not value:
            raise SlackError(error)
        return value

    def flag(self, name: str) -> bool:
        """A boolean argument: true, "true" or "1"."""
        return self.args.get(name) in (True, 1, "1", "true", "True")

    def number(self, name: str, default: int) -> int:
        """An integer argument."""
        value = self.args.get(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise SlackError("invalid_arguments") from exc

    def structured(self, name: str, error: str) -> Any:
        """A JSON argument, which form bodies and query strings carry as a JSON string."""
        value = self.args.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise SlackError(error) from exc
        return value


Handler = Callable[[ApiRequest], JSON]


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_args(request: web.Request) -> JSON:
    """Merge query string, form body and JSON body: slack_sdk sends some POSTs as query only."""
    args: JSON = dict(request.query)
    if not request.can_read_body:
        return args
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError:
            body = None
        if isinstance(body, dict):
            args.update(body)
    elif request.content_type in _FORM_TYPES:
        form = await request.post()
        args.update({key: value for key, value in form.items() if isinstance(value, str)})
    return args
