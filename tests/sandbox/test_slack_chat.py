"""The Slack stand-in's chat.* and conversations.* through the real AsyncWebClient."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from fakes.slack import running_fake_slack, web_client
from sandbox.slack import SlackStandIn

CARD = [
    {"type": "header", "text": {"type": "plain_text", "text": "New 2★ review"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Dana* wrote: slow service"}},
]
METADATA = {"event_type": "review_card", "event_payload": {"delivery_id": 42}}


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1732300000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with running_fake_slack(clock=FrozenClock()) as fake:
        yield fake


@pytest.fixture
def client(slack: SlackStandIn) -> AsyncWebClient:
    return web_client(slack)


async def slack_error(call: object) -> str:
    """The Slack error code an awaited client call fails with."""
    with pytest.raises(SlackApiError) as info:
        await call  # type: ignore[misc]
    return str(info.value.response["error"])


async def test_post_message_then_history_returns_metadata_only_when_asked(
    slack: SlackStandIn, client: AsyncWebClient
) -> None:
    first = await client.chat_postMessage(
        channel="C0REVIEWS", text="New review", blocks=CARD, metadata=METADATA
    )
    second = await client.chat_postMessage(channel="C0REVIEWS", text="Another")

    assert first["ts"] == "1732300000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["bot_id"] == "BBOT" and first["message"]["metadata"] == METADATA

    plain = await client.conversations_history(channel="C0REVIEWS", limit=10)
    assert [m["ts"] for m in plain["messages"]] == [second["ts"], first["ts"]]
    assert all("metadata" not in m for m in plain["messages"])

    full = await client.conversations_history(channel="C0REVIEWS", include_all_metadata=True)
    assert full["messages"][1]["metadata"] == METADATA
    assert slack.messages("C0REVIEWS")[0]["blocks"] == CARD


async def test_history_paginates_with_cursor_and_window(client: AsyncWebClient) -> None:
    stamps = [
        (await client.chat_postMessage(channel="C0GENERAL", text=f"m{i}"))["ts"] for i in range(5)
    ]

    page = await client.conversations_history(channel="C0GENERAL", limit=2)
    assert page["has_more"] is True
    rest = await client.conversations_history(
        channel="C0GENERAL", limit=10, cursor=page["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in page["messages"] + rest["messages"]] == [
        "m4",
        "m3",
        "m2",
        "m1",
        "m0",
    ]
    window = await client.conversations_history(
        channel="C0GENERAL", oldest=stamps[1], latest=stamps[3]
    )
    assert [m["text"] for m in window["messages"]] == ["m2"]


@pytest.mark.parametrize(
    ("channel", "kwargs", "error"),
    [
        ("C0NOPE", {"text": "x"}, "channel_not_found"),
        ("C0LEADERS", {"text": "x"}, "not_in_channel"),
        ("C0ARCHIVED", {"text": "x"}, "is_archived"),
        ("C0REVIEWS", {"text": "x" * 40_001}, "msg_too_long"),
        ("C0REVIEWS", {"text": "x", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
        (
            "C0REVIEWS",
            {
                "text": "x",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "y" * 3001}}],
            },
            "invalid_blocks",
        ),
    ],
)
async def test_post_message_errors(
    client: AsyncWebClient, channel: str, kwargs: dict[str, object], error: str
) -> None:
    assert await slack_error(client.chat_postMessage(channel=channel, **kwargs)) == error


async def test_invalid_blocks_point_at_the_broken_field(client: AsyncWebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "y" * 3001}}]
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="C0REVIEWS", text="x", blocks=blocks)
    assert info.value.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]


async def test_public_channel_needs_chat_write_public_when_not_joined(
    slack: SlackStandIn, client: AsyncWebClient
) -> None:
    assert (await client.chat_postMessage(channel="C0RANDOM", text="hi"))["ok"]
    slack.scopes.discard("chat:write.public")
    assert (
        await slack_error(client.chat_postMessage(channel="C0RANDOM", text="hi"))
        == "not_in_channel"
    )
    await client.conversations_join(channel="C0RANDOM")
    assert (await client.chat_postMessage(channel="C0RANDOM", text="hi"))["ok"]


async def test_thread_replies(slack: SlackStandIn, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C0REVIEWS", text="card")
    reply = await client.chat_postMessage(
        channel="C0REVIEWS", text="Reply published", thread_ts=parent["ts"]
    )

    history = await client.conversations_history(channel="C0REVIEWS")
    assert [m["text"] for m in history["messages"]] == ["card"]
    assert history["messages"][0]["reply_count"] == 1
    thread = await client.conversations_replies(channel="C0REVIEWS", ts=parent["ts"])
    assert [m["ts"] for m in thread["messages"]] == [parent["ts"], reply["ts"]]
    assert slack.thread("C0REVIEWS", parent["ts"])[0]["text"] == "Reply published"
    assert await slack_error(
        client.chat_postMessage(channel="C0REVIEWS", text="x", thread_ts="1.2")
    ) == ("thread_not_found")


async def test_update_keeps_blocks_unless_given_and_refuses_others_messages(
    slack: SlackStandIn, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C0REVIEWS", text="card", blocks=CARD)
    updated = await client.chat_update(channel="C0REVIEWS", ts=posted["ts"], text="card (handled)")
    assert updated["message"]["blocks"] == CARD and updated["text"] == "card (handled)"
    await client.chat_update(channel="C0REVIEWS", ts=posted["ts"], text="t", blocks=[])
    assert slack.messages("C0REVIEWS")[0]["blocks"] == []
    assert "edited" in slack.messages("C0REVIEWS")[0]

    theirs = slack.post_as_user("C0REVIEWS", "U0FRONT", "my own words")
    assert await slack_error(client.chat_update(channel="C0REVIEWS", ts=theirs, text="x")) == (
        "cant_update_message"
    )
    assert await slack_error(client.chat_update(channel="C0REVIEWS", ts="1.000001", text="x")) == (
        "message_not_found"
    )


async def test_ephemeral_is_recorded_per_user_and_cannot_be_updated(
    slack: SlackStandIn, client: AsyncWebClient
) -> None:
    sent = await client.chat_postEphemeral(channel="C0REVIEWS", user="U0FRONT", text="only you")
    assert slack.ephemeral("C0REVIEWS", "U0FRONT")[0]["text"] == "only you"
    assert slack.ephemeral("C0REVIEWS", "U0ADMIN") == []
    assert await slack_error(
        client.chat_update(channel="C0REVIEWS", ts=sent["message_ts"], text="x")
    ) == ("message_not_found")
    assert await slack_error(
        client.chat_postEphemeral(channel="C0REVIEWS", user="U0GUEST", text="x")
    ) == ("user_not_in_channel")


async def test_permalink_info_join_and_dm(client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C0REVIEWS", text="card")
    link = await client.chat_getPermalink(channel="C0REVIEWS", message_ts=posted["ts"])
    assert link["permalink"] == "https://demo.slack.com/archives/C0REVIEWS/p1732300000000100"

    info = await client.conversations_info(channel="C0FRONTDESK")
    assert info["channel"]["is_private"] is True and info["channel"]["is_member"] is True
    assert await slack_error(client.conversations_info(channel="C0LEADERS")) == "channel_not_found"
    assert await slack_error(client.conversations_join(channel="C0FRONTDESK")) == (
        "method_not_supported_for_channel_type"
    )

    dm = await client.conversations_open(users="U0MANAGER")
    assert dm["channel"]["id"].startswith("D")
    again = await client.conversations_open(users="U0MANAGER")
    assert again["channel"]["id"] == dm["channel"]["id"] and again["already_open"] is True
    assert (await client.chat_postMessage(channel=dm["channel"]["id"], text="digest"))["ok"]


async def test_response_url_records_posts_and_acts_like_slack(slack: SlackStandIn) -> None:
    ts = (await web_client(slack).chat_postMessage(channel="C0REVIEWS", text="card"))["ts"]
    url = slack.new_response_url(channel="C0REVIEWS", user_id="U0ADMIN", message_ts=ts)
    webhook = AsyncWebhookClient(url)

    assert (await webhook.send(text="Working on it…")).status_code == 200
    assert (await webhook.send(text="Handled by @ada", replace_original=True)).status_code == 200
    assert (
        await webhook.send(text="Posted for all", response_type="in_channel")
    ).status_code == 200

    assert [p["text"] for p in slack.responses(url)] == [
        "Working on it…",
        "Handled by @ada",
        "Posted for all",
    ]
    assert slack.ephemeral("C0REVIEWS", "U0ADMIN")[0]["text"] == "Working on it…"
    assert [m["text"] for m in slack.messages("C0REVIEWS")] == ["Handled by @ada", "Posted for all"]

    await webhook.send(text="4")
    await webhook.send(text="5")
    sixth = await webhook.send(text="6")
    assert sixth.status_code == 404 and "used_url" in sixth.body
    assert len(slack.responses(url)) == 5


async def test_auth_and_unknown_method(slack: SlackStandIn) -> None:
    assert await slack_error(web_client(slack, token="xoxb-wrong").auth_test()) == "invalid_auth"
    auth = await web_client(slack).auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T0DEMO", "UBOT", "BBOT")
    assert "files:write" in auth.headers["x-oauth-scopes"].split(",")
    assert await slack_error(web_client(slack).api_call("chat.nope")) == "unknown_method"


async def test_arguments_merge_query_form_and_json(slack: SlackStandIn) -> None:
    headers = {"Authorization": "Bearer xoxb-demo"}
    async with aiohttp.ClientSession() as session:
        url = f"{slack.api_url}chat.postMessage?channel=C0REVIEWS"
        async with session.post(url, data={"text": "from a form"}, headers=headers) as response:
            body = await response.json()
        async with session.post(
            f"{slack.api_url}chat.postMessage",
            params={"channel": "C0GENERAL"},
            json={"text": "json"},
            headers=headers,
        ) as response:
            assert (await response.json())["ok"] is True
    assert body["ok"] is True
    assert slack.messages("C0REVIEWS")[0]["text"] == "from a form"
    assert slack.calls_to("chat.postMessage")[0].args == {
        "channel": "C0REVIEWS",
        "text": "from a form",
    }
