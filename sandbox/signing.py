"""Slack's side of a request to the app: signed headers and the bodies Slack sends.

Defaults describe the stand-in workspace (team T0DEMO, user U0ADMIN in #reviews), so a request
built here fits a :class:`~sandbox.slack.SlackStandIn` without more arguments.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from sandbox.slack import new_trigger_id

JSON = dict[str, Any]
FORM = "application/x-www-form-urlencoded"
TEAM_ID, TEAM_DOMAIN, APP_ID = "T0DEMO", "demo", "A0DEMO"
USER_ID, USER_NAME = "U0ADMIN", "ada"
CHANNEL_ID, CHANNEL_NAME = "C0REVIEWS", "reviews"
VERIFICATION_TOKEN = "verification-token"
RESPONSE_URL = "https://hooks.slack.com/commands/T0DEMO/1111/abcdefghijklmnop"


def sign(body: bytes | str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack adds: HMAC-SHA256 of "v0:{timestamp}:{raw body}" with the secret."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": str(signature)}


def signed_headers(body: bytes | str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """:func:`sign` plus the Content-Type Slack sends with this kind of body."""
    text = body.decode() if isinstance(body, bytes) else body
    content_type = "application/json" if text.lstrip().startswith("{") else FORM
    return {"Content-Type": content_type, **sign(body, secret, timestamp)}


def fresh_trigger_id(issued_at: float | None = None) -> str:
    """A trigger id issued now, which a SlackStandIn accepts for 3 s."""
    return new_trigger_id(time.time() if issued_at is None else issued_at)


def slash_command_body(
    text: str,
    *,
    command: str = "/reviews",
    team_id: str = TEAM_ID,
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
    response_url: str = RESPONSE_URL,
    trigger_id: str | None = None,
    channel_name: str = CHANNEL_NAME,
    user_name: str = USER_NAME,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = APP_ID,
    enterprise_id: str | None = None,
) -> str:
    """A slash command as Slack POSTs it: form-encoded, every field, Slack's field order."""
    fields = {"token": VERIFICATION_TOKEN, "team_id": team_id, "team_domain": team_domain}
    if enterprise_id:
        fields.update(enterprise_id=enterprise_id, enterprise_name="Demo Grid")
    fields.update(
        channel_id=channel_id,
        channel_name=channel_name,
        user_id=user_id,
        user_name=user_name,
        command=command,
        text=text,
        api_app_id=api_app_id,
        is_enterprise_install="false",
        response_url=response_url,
        trigger_id=trigger_id or fresh_trigger_id(),
    )
    return urlencode(fields)


def interaction_body(payload: JSON) -> str:
    """An interactivity request: ``payload=<urlencoded JSON>``."""
    return urlencode({"payload": json.dumps(payload)})


def event_body(
    event: JSON,
    *,
    team_id: str = TEAM_ID,
    event_id: str = "Ev0DEMO00001",
    event_time: int | None = None,
    api_app_id: str = APP_ID,
) -> str:
    """An Events API ``event_callback`` envelope around ``event``."""
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }
    return json.dumps(envelope)


def url_verification_body(challenge: str) -> str:
    """The ``url_verification`` request Slack sends when the Request URL is saved."""
    return json.dumps(
        {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    )


def _who(user_id: str, team_id: str) -> JSON:
    return {
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "username": USER_NAME, "name": USER_NAME, "team_id": team_id},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def plain(text: str) -> JSON:
    """A plain_text object."""
    return {"type": "plain_text", "text": text, "emoji": True}


def block_actions_payload(
    action_id: str,
    *,
    value: str | None = None,
    block_id: str = "actions",
    action_type: str = "button",
    text: str = "Button",
    selected_option: JSON | None = None,
    message: JSON | None = None,
    view: JSON | None = None,
    user_id: str = USER_ID,
    team_id: str = TEAM_ID,
    channel_id: str = CHANNEL_ID,
    response_url: str = RESPONSE_URL,
    trigger_id: str | None = None,
    is_ephemeral: bool = False,
) -> JSON:
    """A ``block_actions`` payload from a button/select in a message or, with ``view``, a modal."""
    action: JSON = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": f"{time.time():.6f}",
    }
    if action_type == "button":
        action["text"] = plain(text)
    if value is not None:
        action["value"] = value
    if selected_option is not None:
        action["selected_option"] = selected_option
    payload: JSON = {"type": "block_actions", **_who(user_id, team_id)}
    payload["trigger_id"] = trigger_id or fresh_trigger_id()
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = view
    else:
        message = message or {
            "type": "message",
            "ts": "1732300000.000100",
            "text": "",
            "blocks": [],
        }
        payload["container"] = {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        }
        payload.update(
            channel={"id": channel_id, "name": CHANNEL_NAME},
            message=message,
            response_url=response_url,
            state={"values": {}},
        )
    payload["actions"] = [action]
    return payload


def view_submission_payload(
    view: JSON,
    values: JSON,
    *,
    user_id: str = USER_ID,
    team_id: str = TEAM_ID,
    response_urls: list[JSON] | None = None,
    trigger_id: str | None = None,
) -> JSON:
    """A ``view_submission`` of ``view`` (as views.open returned it) with the typed ``values``.

    ``values`` is ``{block_id: {action_id: {"type": …, "value": …}}}``; see :func:`text_value`
    and :func:`selected_value`.
    """
    submitted = {**view, "state": {"values": values}}
    payload: JSON = {"type": "view_submission", **_who(user_id, team_id)}
    payload.update(
        trigger_id=trigger_id or fresh_trigger_id(),
        view=submitted,
        response_urls=response_urls or [],
    )
    return payload


def text_value(value: str | None, kind: str = "plain_text_input") -> JSON:
    """The state value of a text input."""
    return {"type": kind, "value": value}


def selected_value(value: str, text: str, kind: str = "static_select") -> JSON:
    """The state value of a select menu."""
    return {"type": kind, "selected_option": {"text": plain(text), "value": value}}


def block_suggestion_payload(
    action_id: str,
    value: str,
    *,
    block_id: str = "input",
    view: JSON | None = None,
    user_id: str = USER_ID,
    team_id: str = TEAM_ID,
) -> JSON:
    """A ``block_suggestion`` (external_select typeahead) with the typed ``value``."""
    view = view or {"id": "V0DEMO", "type": "modal", "callback_id": "", "private_metadata": ""}
    payload: JSON = {"type": "block_suggestion", **_who(user_id, team_id)}
    payload.update(
        container={"type": "view", "view_id": view["id"]},
        action_id=action_id,
        block_id=block_id,
        value=value,
        view=view,
    )
    return payload


def shortcut_payload(
    callback_id: str,
    *,
    message: JSON | None = None,
    user_id: str = USER_ID,
    team_id: str = TEAM_ID,
    channel_id: str = CHANNEL_ID,
    response_url: str = RESPONSE_URL,
    trigger_id: str | None = None,
) -> JSON:
    """A global ``shortcut`` or, with ``message``, a ``message_action`` on that message."""
    payload: JSON = {"type": "message_action" if message else "shortcut", **_who(user_id, team_id)}
    payload.update(
        callback_id=callback_id,
        trigger_id=trigger_id or fresh_trigger_id(),
        action_ts=f"{time.time():.6f}",
    )
    if message is not None:
        # Global shortcuts carry no response_url; message shortcuts do.
        payload.update(
            channel={"id": channel_id, "name": CHANNEL_NAME},
            message_ts=message["ts"],
            message=message,
            response_url=response_url,
        )
    return payload
