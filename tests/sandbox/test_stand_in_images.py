"""The Slack stand-in downloads every image of a message or view and refuses the call on one.

A plain AsyncWebClient (no fallback) sees Slack's answer as it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from fakes.image_host import PNG, SVG, ImageHost, running_image_host
from fakes.slack import running_fake_slack, web_client
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


@pytest.fixture
def client(slack: SlackStandIn) -> AsyncWebClient:
    return web_client(slack, retry_handlers=[])


def card(logo: str, avatar: str) -> list[JSON]:
    """A review card's shape: a section with a logo accessory, a context with an avatar."""
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "New review"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*★★☆☆☆*"},
            "accessory": {"type": "image", "image_url": logo, "alt_text": "Google logo"},
        },
        {
            "type": "context",
            "elements": [
                {"type": "image", "image_url": avatar, "alt_text": "Dana"},
                {"type": "plain_text", "text": "Dana"},
            ],
        },
        {"type": "image", "image_url": avatar, "alt_text": "photo"},
    ]


async def refusal(call: Any) -> JSON:
    """The body of the Slack error an awaited call fails with."""
    with pytest.raises(SlackApiError) as info:
        await call
    return dict(info.value.response.data)


def image_failure(pointer: str) -> JSON:
    problem = f"downloading image failed [json-pointer:{pointer}]"
    return {
        "ok": False,
        "error": "invalid_blocks",
        "errors": [problem],
        "response_metadata": {"messages": [f"[ERROR] {problem}"]},
    }


@pytest.mark.parametrize(
    "logo",
    [
        "https://example.com/logos/google.svg",  # Gumado's document
        "https://cdn.test/logos/google.SVG?v=2",
        "https://cdn.test/photos/dana.webp",
        "ftp://cdn.test/logos/google.png",
    ],
)
async def test_an_svg_webp_or_non_http_image_fails_the_whole_post_naming_it(
    slack: SlackStandIn, client: AsyncWebClient, host: ImageHost, logo: str
) -> None:
    avatar = host.serve("/dana.png")
    body = await refusal(
        client.chat_postMessage(channel="C0REVIEWS", text="card", blocks=card(logo, avatar))
    )
    assert body == image_failure("/blocks/1/accessory/image_url")
    assert slack.messages("C0REVIEWS") == []


async def test_a_loopback_image_is_really_downloaded(
    slack: SlackStandIn, client: AsyncWebClient, host: ImageHost
) -> None:
    logo = host.serve("/google.png")
    avatar = host.serve("/dana.gif", content_type="image/gif", body=b"GIF89a" + PNG)
    await client.chat_postMessage(channel="C0REVIEWS", text="card", blocks=card(logo, avatar))
    assert len(slack.messages("C0REVIEWS")) == 1
    assert host.requests == ["/google.png", "/dana.gif", "/dana.gif"]


@pytest.mark.parametrize(
    "served",
    [
        {"status": 404},
        {"content_type": "image/svg+xml", "body": SVG},
        {"content_type": "image/png", "body": SVG},
        {"content_type": "image/webp", "body": b"RIFF\x00\x00\x00\x00WEBPVP8 "},
        {"delay": 3.0},
    ],
    ids=["404", "svg-named-png", "svg-typed-png", "webp-named-png", "slow"],
)
async def test_a_loopback_image_that_is_no_png_jpeg_or_gif_fails(
    slack: SlackStandIn, client: AsyncWebClient, host: ImageHost, served: JSON
) -> None:
    logo = host.serve("/google.png")
    avatar = host.serve("/dana.png", **served)
    body = await refusal(
        client.chat_postMessage(channel="C0REVIEWS", text="card", blocks=card(logo, avatar))
    )
    assert body == image_failure("/blocks/2/elements/0/image_url")
    assert slack.messages("C0REVIEWS") == []


async def test_an_unreachable_host_fails_and_only_the_first_failure_is_named(
    slack: SlackStandIn, client: AsyncWebClient
) -> None:
    slack.images.unreachable.add("cdn.flaky.test")
    blocks = card("https://cdn.test/google.png", "https://cdn.flaky.test/dana.png")
    body = await refusal(client.chat_postMessage(channel="C0REVIEWS", text="x", blocks=blocks))
    assert body == image_failure("/blocks/2/elements/0/image_url")
    slack.images.unreachable.add("https://cdn.test/google")
    body = await refusal(client.chat_postMessage(channel="C0REVIEWS", text="x", blocks=blocks))
    assert body == image_failure("/blocks/1/accessory/image_url")
    slack.images.unreachable.clear()
    await client.chat_postMessage(channel="C0REVIEWS", text="x", blocks=blocks)


async def test_update_ephemeral_and_every_view_method_refuse_too(
    slack: SlackStandIn, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C0REVIEWS", text="card")
    bad = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "x"},
            "accessory": {"type": "image", "image_url": "https://x.test/a.svg", "alt_text": "a"},
        }
    ]
    at_message = image_failure("/blocks/0/accessory/image_url")
    at_view = image_failure("/view/blocks/0/accessory/image_url")
    update = client.chat_update(channel="C0REVIEWS", ts=posted["ts"], text="y", blocks=bad)
    assert await refusal(update) == at_message
    ephemeral = client.chat_postEphemeral(channel="C0REVIEWS", user="U0ADMIN", text="y", blocks=bad)
    assert await refusal(ephemeral) == at_message
    home = {"type": "home", "blocks": bad}
    assert await refusal(client.views_publish(user_id="U0ADMIN", view=home)) == at_view
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Review"}, "blocks": bad}
    opened = client.views_open(trigger_id=slack.issue_trigger_id(), view=modal)
    assert await refusal(opened) == at_view
    assert slack.messages("C0REVIEWS")[0]["text"] == "card"
    assert slack.ephemeral("C0REVIEWS") == [] and slack.views == {}


async def test_blocks_that_break_other_limits_are_reported_first(client: AsyncWebClient) -> None:
    blocks = card("https://x.test/a.svg", "https://x.test/b.png")
    blocks[0]["text"]["text"] = "x" * 151
    body = await refusal(client.chat_postMessage(channel="C0REVIEWS", text="x", blocks=blocks))
    assert body["errors"] == ["must be less than 151 characters [json-pointer:/blocks/0/text/text]"]
