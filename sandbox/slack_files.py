"""files.getUploadURLExternal, the upload URL itself, and files.completeUploadExternal."""

from __future__ import annotations

import mimetypes
import secrets
from typing import Any

from sandbox.slack_state import (
    JSON,
    ApiRequest,
    Handler,
    SlackError,
    SlackState,
    UploadedFile,
    need,
)


def get_upload_url(req: ApiRequest) -> JSON:
    """files.getUploadURLExternal: an upload_url on this server, whatever base_url the client has."""
    state = req.state
    need(state, "files:write")
    filename = req.required("filename")
    length = req.number("length", 0)
    if length <= 0:
        raise SlackError("invalid_arguments")
    file = UploadedFile(state.new_id("F"), filename, length, alt_txt=req.text("alt_txt"))
    key = secrets.token_urlsafe(16)
    state.files[file.id], state.upload_keys[key] = file, file.id
    return {"ok": True, "upload_url": f"{req.origin}/upload/v1/{key}", "file_id": file.id}


def receive_upload(state: SlackState, key: str, content: bytes) -> tuple[int, str]:
    """Step 2 of an upload: the raw bytes POSTed to the upload_url (answered in plain text)."""
    file_id = state.upload_keys.get(key)
    if file_id is None:
        return 404, "invalid_upload_url"
    state.files[file_id].content = content
    return 200, f"OK - {len(content)}"


def file_object(state: SlackState, file: UploadedFile, shares: JSON) -> JSON:
    """The Slack file object for ``file``."""
    extension = file.filename.rsplit(".", 1)[-1].lower() if "." in file.filename else "binary"
    name, team = file.filename, state.team_id
    body: JSON = {
        "id": file.id,
        "created": int(state.clock()),
        "timestamp": int(state.clock()),
        "name": name,
        "title": file.title or name,
        "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
        "filetype": extension,
        "pretty_type": extension.upper(),
        "user": state.bot_user_id,
        "user_team": team,
        "editable": False,
        "size": len(file.content or b""),
        "mode": "hosted",
        "is_external": False,
        "is_public": "public" in shares,
        "url_private": f"https://files.slack.com/files-pri/{team}-{file.id}/{name}",
        "url_private_download": f"https://files.slack.com/files-pri/{team}-{file.id}/download/{name}",
        "permalink": f"https://{state.domain}.slack.com/files/{state.bot_user_id}/{file.id}/{name}",
        "shares": shares,
        "channels": [c for c in shares.get("public", {})],
        "groups": [c for c in shares.get("private", {}) if c.startswith("C")],
        "ims": [c for c in shares.get("private", {}) if c.startswith("D")],
        "has_rich_preview": False,
        "file_access": "visible",
    }
    if file.alt_txt:
        body["alt_txt"] = file.alt_txt
    return body


def _files_arg(req: ApiRequest) -> list[JSON]:
    files: Any = req.structured("files", "invalid_arguments")
    if not isinstance(files, list) or not files:
        raise SlackError("invalid_arguments")
    if not all(isinstance(item, dict) and item.get("id") for item in files):
        raise SlackError("invalid_arguments")
    return files


def complete_upload(req: ApiRequest) -> JSON:
    """files.completeUploadExternal: finish uploads and share them into a channel or thread."""
    state = req.state
    need(state, "files:write")
    uploads = []
    for item in _files_arg(req):
        file = state.files.get(item["id"])
        if file is None or file.content is None:
            raise SlackError("file_not_found")
        file.title = item.get("title") or file.title
        uploads.append(file)
    channel_ids = [
        c for c in (req.text("channels") or req.text("channel_id") or "").split(",") if c
    ]
    channels = [state.channel(channel_id) for channel_id in channel_ids]
    for channel in channels:
        if channel.is_archived:
            raise SlackError("is_archived")
        if not channel.bot_member:
            raise SlackError("not_in_channel")
    thread_ts = req.text("thread_ts")
    shares: JSON = {}
    for channel in channels:
        message = state.bot_message(text=req.text("initial_comment") or "")
        message.update(upload=True, display_as_bot=False)
        message = state.add_message(channel.id, message, thread_ts)
        share: JSON = {
            "ts": message["ts"],
            "share_user_id": state.bot_user_id,
            "team_id": state.team_id,
        }
        if thread_ts:
            share["thread_ts"] = message["thread_ts"]
        visibility = "public" if channel.kind == "public" else "private"
        shares.setdefault(visibility, {})[channel.id] = [share]
        for file in uploads:
            file.channel, file.thread_ts = channel.id, thread_ts
        message["files"] = [file_object(state, file, shares) for file in uploads]
    for file in uploads:
        file.completed = True
    return {"ok": True, "files": [file_object(state, file, shares) for file in uploads]}


HANDLERS: dict[str, Handler] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
}
