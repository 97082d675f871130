"""Uploads through files_upload_v2, and injected 429/5xx/errors/delays against the real retry handlers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)

from fakes.slack import running_fake_slack, web_client
from sandbox.slack import SlackStandIn

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with running_fake_slack() as fake:
        yield fake


async def test_files_upload_v2_end_to_end_into_a_thread(slack: SlackStandIn) -> None:
    client = web_client(slack)
    parent = await client.chat_postMessage(channel="C0REVIEWS", text="Weekly pulse")

    result = await client.files_upload_v2(
        channel="C0REVIEWS",
        thread_ts=parent["ts"],
        content=PNG,
        filename="pulse.png",
        title="Weekly pulse",
        alt_txt="rating trend",
        initial_comment="Here it is",
    )

    file = result["file"]
    assert file["title"] == "Weekly pulse" and file["mimetype"] == "image/png"
    assert file["size"] == len(PNG)
    assert list(file["shares"]["public"]) == ["C0REVIEWS"]
    assert [c.method for c in slack.calls] == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    stored = slack.files[0]
    assert (stored.content, stored.channel, stored.thread_ts) == (PNG, "C0REVIEWS", parent["ts"])
    reply = slack.thread("C0REVIEWS", parent["ts"])[0]
    assert reply["text"] == "Here it is" and reply["files"][0]["id"] == file["id"]


async def test_upload_without_files_write_is_missing_scope(slack: SlackStandIn) -> None:
    slack.scopes.discard("files:write")
    with pytest.raises(SlackApiError) as info:
        await web_client(slack).files_upload_v2(channel="C0REVIEWS", content=PNG, filename="a.png")
    assert info.value.response["error"] == "missing_scope"
    assert info.value.response["needed"] == "files:write"


async def test_upload_into_a_channel_without_the_bot_fails(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as info:
        await web_client(slack).files_upload_v2(channel="C0RANDOM", content=PNG, filename="a.png")
    assert info.value.response["error"] == "not_in_channel"


async def test_429_retry_after_is_honoured_by_the_rate_limit_handler(slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    client = web_client(slack, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])

    started = time.monotonic()
    response = await client.chat_postMessage(channel="C0REVIEWS", text="after the wait")

    assert response["ok"] is True
    assert time.monotonic() - started >= 1.0
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert len(slack.messages("C0REVIEWS")) == 1


async def test_429_without_a_retry_handler_surfaces_status_and_retry_after(
    slack: SlackStandIn,
) -> None:
    slack.fail_next("chat.update", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as info:
        await web_client(slack, retry_handlers=[]).chat_update(
            channel="C0REVIEWS", ts="1.0", text="x"
        )
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "7"
    assert info.value.response["error"] == "ratelimited"


async def test_500_is_retried_by_the_server_error_handler(slack: SlackStandIn) -> None:
    slack.fail_next("users.info", status=500)
    with pytest.raises(SlackApiError) as info:
        await web_client(slack, retry_handlers=[]).users_info(user="U0ADMIN")
    assert info.value.response.status_code == 500

    slack.fail_next("users.info", status=503)
    client = web_client(slack, retry_handlers=[AsyncServerErrorRetryHandler(max_retry_count=1)])
    assert (await client.users_info(user="U0ADMIN"))["user"]["id"] == "U0ADMIN"
    assert len(slack.calls_to("users.info")) == 3


async def test_error_injection_count_and_delay(slack: SlackStandIn) -> None:
    client = web_client(slack, retry_handlers=[])
    slack.fail_next("chat.postMessage", error="fatal_error", count=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as info:
            await client.chat_postMessage(channel="C0REVIEWS", text="x")
        assert info.value.response["error"] == "fatal_error"
    assert (await client.chat_postMessage(channel="C0REVIEWS", text="x"))["ok"]

    slack.fail_next("auth.test", status=200, delay=0.2)
    started = time.monotonic()
    assert (await client.auth_test())["ok"]
    assert time.monotonic() - started >= 0.2


async def test_rate_limit_per_second(slack: SlackStandIn) -> None:
    client = web_client(slack, retry_handlers=[])
    slack.rate_limit("chat.postMessage", 2)
    await client.chat_postMessage(channel="C0REVIEWS", text="1")
    await client.chat_postMessage(channel="C0REVIEWS", text="2")
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="C0REVIEWS", text="3")
    assert info.value.response.status_code == 429
    slack.rate_limit("chat.postMessage", None)
    assert (await client.chat_postMessage(channel="C0REVIEWS", text="3"))["ok"]
