"""OAuth mode: each workspace's client also sends a call again without an image Slack refused."""

from __future__ import annotations

from oauth_helpers import ALPHA, ALPHA_CHANNEL, install, oauth_service

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*★★★★☆*"}}
LOGO = {"type": "image", "image_url": "https://example.com/logos/google.svg", "alt_text": "logo"}


async def test_the_installation_client_drops_the_image_and_posts(database_url: str) -> None:
    async with oauth_service(database_url) as service:
        await install(service, ALPHA, "Alpha Dental")
        client = service.deps.slack_client(ALPHA)
        await client.chat_postMessage(
            channel=ALPHA_CHANNEL, text="card", blocks=[{**SECTION, "accessory": LOGO}]
        )
        (message,) = service.slack.messages(ALPHA_CHANNEL)
        assert message["blocks"] == [SECTION]
        refused, posted = service.slack.calls_to("chat.postMessage")
        # Both with the workspace's own token.
        assert refused.headers["authorization"] == posted.headers["authorization"]
        dropped = service.deps.metrics.registry.get_sample_value(
            "reviewbot_slack_images_dropped_total", {"method": "chat.postMessage"}
        )
        assert dropped == 1
