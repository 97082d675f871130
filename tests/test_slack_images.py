"""ImageFallbackClient against the Slack stand-in: a refused image is dropped, the call goes again."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.metrics import Metrics
from bot.pipeline.slack_calls import sender_client
from bot.slack_images import (
    MAX_IMAGE_RETRIES,
    ImageFallbackClient,
    failed_image_pointers,
    without_images,
)
from bot.slack_web import web_client
from fakes.image_host import ImageHost, running_image_host
from fakes.slack import DEMO_TOKEN, running_fake_slack
from sandbox.slack import SlackStandIn

JSON = dict[str, Any]


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with running_fake_slack() as fake:
        yield fake


@pytest.fixture
async def host() -> AsyncIterator[ImageHost]:
    async with running_image_host() as images:
        yield images


def image(url: str, alt: str = "picture") -> JSON:
    return {"type": "image", "image_url": url, "alt_text": alt}


def section(text: str, accessory: JSON | None = None) -> JSON:
    block: JSON = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def dropped(metrics: Metrics, method: str) -> float | None:
    return metrics.registry.get_sample_value(
        "reviewbot_slack_images_dropped_total", {"method": method}
    )


async def test_the_image_named_is_dropped_and_everything_else_posted(
    slack: SlackStandIn, host: ImageHost
) -> None:
    metrics = Metrics()
    client = web_client(slack.api_url, DEMO_TOKEN, metrics=metrics)
    avatar = host.serve("/dana.png")
    blocks = [
        section("*★★☆☆☆*", image("https://example.com/logos/google.svg", "Google logo")),
        {
            "type": "context",
            "elements": [image(avatar, "Dana"), {"type": "mrkdwn", "text": "Dana"}],
        },
    ]
    metadata = {"event_type": "review_card", "event_payload": {"delivery_id": 7}}
    answer = await client.chat_postMessage(
        channel="C0REVIEWS", text="New review", blocks=blocks, metadata=metadata
    )
    (message,) = slack.messages("C0REVIEWS")
    assert message["ts"] == answer["ts"] and message["metadata"] == metadata
    assert message["blocks"] == [section("*★★☆☆☆*"), blocks[1]]
    first, second = slack.calls_to("chat.postMessage")
    assert first.args["blocks"] == blocks and second.args["blocks"] == message["blocks"]
    assert dropped(metrics, "chat.postMessage") == 1


async def test_images_failing_one_after_another_are_each_dropped(
    slack: SlackStandIn, host: ImageHost
) -> None:
    client = web_client(slack.api_url, DEMO_TOKEN)
    gone = host.url("/removed.png")  # never served: 404
    blocks = [
        image(gone, "banner"),
        section("text", image("https://cdn.test/p.webp")),
        {"type": "context", "elements": [image(gone, "Dana")]},
        section("kept", image(host.serve("/ok.png"))),
    ]
    await client.chat_postMessage(channel="C0REVIEWS", text="x", blocks=blocks)
    (message,) = slack.messages("C0REVIEWS")
    # The context held only the image: an empty context is not allowed, so it went too.
    assert message["blocks"] == [section("text"), blocks[3]]
    assert len(slack.calls_to("chat.postMessage")) == 4


async def test_retries_are_bounded(slack: SlackStandIn) -> None:
    client = web_client(slack.api_url, DEMO_TOKEN)
    blocks = [image(f"https://cdn.test/{i}.svg") for i in range(MAX_IMAGE_RETRIES + 2)]
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="C0REVIEWS", text="x", blocks=blocks)
    assert info.value.response["error"] == "invalid_blocks"
    assert len(slack.calls_to("chat.postMessage")) == MAX_IMAGE_RETRIES + 1
    assert slack.messages("C0REVIEWS") == []


async def test_other_refusals_are_not_retried(slack: SlackStandIn) -> None:
    client = web_client(slack.api_url, DEMO_TOKEN)
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(
            channel="C0NOSUCH", text="x", blocks=[image("https://cdn.test/a.svg")]
        )
    assert info.value.response["error"] == "channel_not_found"
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_form_encoded_blocks_and_views_are_handled_too(slack: SlackStandIn) -> None:
    client = web_client(slack.api_url, DEMO_TOKEN)
    blocks = [section("hello", image("https://cdn.test/a.svg"))]
    await client.api_call(
        "chat.postMessage",
        data={"channel": "C0REVIEWS", "text": "x", "blocks": json.dumps(blocks)},
    )
    assert slack.messages("C0REVIEWS")[0]["blocks"] == [section("hello")]
    view = {"type": "home", "blocks": [image("https://cdn.test/b.webp"), section("home")]}
    await client.views_publish(user_id="U0ADMIN", view=view)
    assert (slack.published_home("U0ADMIN") or {})["blocks"] == [section("home")]


async def test_the_senders_copy_without_sdk_retries_keeps_the_fallback(slack: SlackStandIn) -> None:
    metrics = Metrics()
    client = sender_client(web_client(slack.api_url, DEMO_TOKEN, metrics=metrics))
    assert isinstance(client, ImageFallbackClient) and client.retry_handlers == []
    await client.chat_postMessage(
        channel="C0REVIEWS", text="x", blocks=[section("card", image("https://x.test/l.svg"))]
    )
    assert slack.messages("C0REVIEWS")[0]["blocks"] == [section("card")]
    assert dropped(metrics, "chat.postMessage") == 1


def test_pointers_are_read_from_errors_and_messages_without_duplicates() -> None:
    answer = {
        "ok": False,
        "error": "invalid_blocks",
        "errors": ["downloading image failed [json-pointer:/blocks/1/accessory/image_url]"],
        "response_metadata": {
            "messages": [
                "[ERROR] downloading image failed [json-pointer:/blocks/1/accessory/image_url]",
                "[ERROR] downloading image failed [json-pointer:/view/blocks/0/image_url]",
            ]
        },
    }
    assert failed_image_pointers(answer) == [
        "/blocks/1/accessory/image_url",
        "/view/blocks/0/image_url",
    ]
    assert failed_image_pointers({"ok": False, "error": "invalid_blocks"}) == []
    assert failed_image_pointers(b"not json") == []


def test_a_pointer_that_names_no_image_removes_nothing() -> None:
    body = {"blocks": [section("text", {"type": "button", "text": "x", "action_id": "a"})]}
    assert without_images(body, ["/blocks/0/accessory/image_url"]) is None
    assert without_images(body, ["/blocks/5/image_url"]) is None
    assert without_images(body, ["/attachments/0/image_url"]) is None
    assert without_images({"blocks": "{not json"}, ["/blocks/0/image_url"]) is None
    # The caller's payload is never changed.
    logo = {"blocks": [section("t", image("https://x.test/a.svg"))]}
    assert without_images(logo, ["/blocks/0/accessory/image_url"]) == {"blocks": [section("t")]}
    assert "accessory" in logo["blocks"][0]
