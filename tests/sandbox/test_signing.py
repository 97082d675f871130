"""The request signer and payload builders, checked against Slack's test vector and a real Bolt app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from fakes.slack import running_fake_slack, web_client
from sandbox.signing import (
    block_actions_payload,
    block_suggestion_payload,
    event_body,
    interaction_body,
    shortcut_payload,
    sign,
    signed_headers,
    slash_command_body,
    text_value,
    view_submission_payload,
)
from sandbox.slack import SlackStandIn

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOC_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
MODAL = {
    "type": "modal",
    "callback_id": "invite",
    "title": {"type": "plain_text", "text": "Request a review"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "email",
            "label": {"type": "plain_text", "text": "Email"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}


def bolt_request(body: str, secret: str = SECRET) -> AsyncBoltRequest:
    """A Bolt request carrying Slack's signed headers for ``body``."""
    headers = {name.lower(): [value] for name, value in signed_headers(body, secret).items()}
    return AsyncBoltRequest(body=body, headers=headers)


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with running_fake_slack() as fake:
        yield fake


@pytest.fixture
def app(slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch) -> AsyncApp:
    # SLACK_CLIENT_ID/SECRET in the environment would switch Bolt to OAuth mode.
    for name in (
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    return AsyncApp(client=web_client(slack), signing_secret=SECRET, process_before_response=True)


def test_slack_documented_test_vector() -> None:
    headers = sign(DOC_BODY, SECRET, 1531420618)
    assert headers == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }
    assert sign(DOC_BODY.encode(), SECRET, 1531420618) == headers


def test_sdk_verifier_accepts_our_signature_and_rejects_tampering() -> None:
    body = slash_command_body("list rating:<=2")
    headers = sign(body, "secret")
    verifier = SignatureVerifier("secret")
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + "x", headers)
    assert signed_headers(body, "secret")["Content-Type"] == "application/x-www-form-urlencoded"
    assert signed_headers(event_body({"type": "app_home_opened"}), "secret")["Content-Type"] == (
        "application/json"
    )


def test_slash_command_body_has_every_field_slack_sends() -> None:
    fields = parse_qs(
        slash_command_body("subscribe all", trigger_id="1.2.3"), keep_blank_values=True
    )
    assert list(fields) == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    ]
    assert fields["command"] == ["/reviews"] and fields["text"] == ["subscribe all"]


def test_interaction_body_is_urlencoded_json() -> None:
    payload = shortcut_payload("ask_review")
    body = interaction_body(payload)
    assert body.startswith("payload=")
    assert json.loads(parse_qs(body)["payload"][0]) == payload
    assert "response_url" not in payload


async def test_bolt_slash_command_opens_a_modal_and_responds(
    app: AsyncApp, slack: SlackStandIn
) -> None:
    seen: dict[str, Any] = {}

    @app.command("/reviews")
    async def reviews(ack: Any, command: Any, client: Any, respond: Any) -> None:
        await ack()
        seen["view"] = (await client.views_open(trigger_id=command["trigger_id"], view=MODAL))[
            "view"
        ]
        await respond("Opening the invite form…")

    body = slash_command_body(
        "invite",
        trigger_id=slack.issue_trigger_id(),
        response_url=slack.new_response_url(channel="C0REVIEWS", user_id="U0ADMIN"),
    )
    response = await app.async_dispatch(bolt_request(body))

    assert response.status == 200
    assert [call.method for call in slack.calls] == ["auth.test", "views.open", "response_url"]
    assert seen["view"]["id"] in slack.views
    assert slack.ephemeral("C0REVIEWS", "U0ADMIN")[0]["text"] == "Opening the invite form…"
    assert (await app.async_dispatch(bolt_request(body, secret="wrong"))).status == 401


async def test_bolt_view_submission_and_block_suggestion(
    app: AsyncApp, slack: SlackStandIn
) -> None:
    trigger = slack.issue_trigger_id()
    view = (await web_client(slack).views_open(trigger_id=trigger, view=MODAL))["view"]
    submitted: list[Any] = []

    @app.view("invite")
    async def on_submit(ack: Any, view: Any) -> None:
        await ack(response_action="errors", errors={"email": "Enter an email or a phone number."})
        submitted.append(view["state"]["values"])

    @app.options("org")
    async def on_options(ack: Any, payload: Any) -> None:
        await ack(
            options=[{"text": {"type": "plain_text", "text": payload["value"]}, "value": "1"}]
        )

    values = {"email": {"value": text_value(None)}}
    answer = await app.async_dispatch(
        bolt_request(interaction_body(view_submission_payload(view, values)))
    )
    assert answer.status == 200 and json.loads(answer.body)["response_action"] == "errors"
    assert submitted == [values]

    suggestion = block_suggestion_payload("org", "Acme", view=view)
    options = await app.async_dispatch(bolt_request(interaction_body(suggestion)))
    assert json.loads(options.body)["options"][0]["text"]["text"] == "Acme"


async def test_bolt_block_action_over_real_http(app: AsyncApp, slack: SlackStandIn) -> None:
    ts = (await web_client(slack).chat_postMessage(channel="C0REVIEWS", text="card"))["ts"]

    @app.action("mark_handled")
    async def handled(ack: Any, body: Any, respond: Any) -> None:
        await ack()
        await respond(text=f"Handled by <@{body['user']['id']}>", replace_original=True)

    payload = block_actions_payload(
        "mark_handled",
        value="review-1",
        message=slack.messages("C0REVIEWS")[0],
        response_url=slack.new_response_url(channel="C0REVIEWS", user_id="U0ADMIN", message_ts=ts),
    )
    body = interaction_body(payload)
    async with (
        TestServer(app.web_app(path="/slack/events")) as server,
        aiohttp.ClientSession() as session,
    ):
        url = str(server.make_url("/slack/events"))
        async with session.post(url, data=body, headers=signed_headers(body, SECRET)) as response:
            assert response.status == 200
    assert slack.messages("C0REVIEWS")[0]["text"] == "Handled by <@U0ADMIN>"
