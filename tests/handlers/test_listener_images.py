"""The client Bolt hands every listener drops an image Slack cannot download and sends again.

Today's Home tab, modals and ephemeral answers carry no image (only review cards do), so two
listeners are added to the real app for this test: what they send goes through exactly the
client the App Home, the modals and ``/reviews`` answers use (OAuth or single workspace).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.server import BOLT_KEY
from harness import running_service
from sandbox.signing import event_body, interaction_body, shortcut_payload

JSON = dict[str, Any]
SVG_LOGO = "https://example.com/logos/google.svg"


def blocks(text: str) -> list[JSON]:
    return [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": text},
            "accessory": {"type": "image", "image_url": SVG_LOGO, "alt_text": "Google logo"},
        },
        {"type": "image", "image_url": "https://cdn.test/photo.webp", "alt_text": "photo"},
    ]


def without_images(text: str) -> list[JSON]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def add_image_listeners(bolt: AsyncApp) -> None:
    async def on_mention(client: AsyncWebClient, event: JSON) -> None:
        user, channel = event["user"], event["channel"]
        await client.views_publish(user_id=user, view={"type": "home", "blocks": blocks("home")})
        await client.chat_postEphemeral(
            channel=channel, user=user, text="just you", blocks=blocks("just you")
        )

    async def on_shortcut(ack: Any, client: AsyncWebClient, body: JSON) -> None:
        await ack()
        title = {"type": "plain_text", "text": "Pictures"}
        view = {"type": "modal", "title": title, "blocks": blocks("modal")}
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    bolt.event("app_mention")(on_mention)
    bolt.shortcut("image_test")(on_shortcut)


async def test_home_views_ephemerals_and_modals_arrive_without_the_images(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        add_image_listeners(service.app[BOLT_KEY])
        mention = {
            "type": "app_mention",
            "user": "U0ADMIN",
            "channel": "C0REVIEWS",
            "text": "<@UBOT> pictures",
            "ts": "1732300000.000100",
        }
        assert (await service.post_signed(event_body(mention))).status == 200
        assert (await service.post_signed(interaction_body(shortcut_payload("image_test")))).status
        await service.settle()

        home = service.slack.published_home("U0ADMIN")
        assert home is not None and home["blocks"] == without_images("home")
        (ephemeral,) = service.slack.ephemeral("C0REVIEWS", "U0ADMIN")
        assert ephemeral["blocks"] == without_images("just you")
        (modal,) = [view for view in service.slack.views.values() if view["type"] == "modal"]
        assert modal["blocks"] == without_images("modal")
        # Each call was refused twice (logo, then photo) and went through the third time.
        for method in ("views.publish", "chat.postEphemeral", "views.open"):
            assert len(service.slack.calls_to(method)) == 3
        dropped = service.deps.metrics.registry.get_sample_value(
            "reviewbot_slack_images_dropped_total", {"method": "views.publish"}
        )
        assert dropped == 2
