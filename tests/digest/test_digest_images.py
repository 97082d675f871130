"""A digest is posted, and its chart uploaded into its thread, when Slack refuses an image in it.

Today's digest carries no image; the test gives the rendered digest the source's SVG logo
and posts it with the real DigestService, through the client every digest uses.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy import func, select

from harness import running_service
from sandbox.signing import slash_command_body
from storage.models import Subscription

ORG = "Acme Dental Clinic"
CHANNEL = "C0REVIEWS"
NOW = datetime(2026, 11, 30, 14, 1, tzinfo=UTC)
LOGO = {"type": "image", "image_url": "https://example.com/logos/google.svg", "alt_text": "Google"}


async def test_the_digest_goes_out_without_the_image_and_the_chart_still_uploads(
    database_url: str,
) -> None:
    async with running_service(database_url, clock=lambda: NOW) as service:
        url = service.slack.new_response_url(channel=CHANNEL, user_id="U0ADMIN")
        body = slash_command_body(f'subscribe org:"{ORG}"', channel_id=CHANNEL, response_url=url)
        assert (await service.post_signed(body)).status == 200
        await service.settle(timeout=30)
        async with service.deps.sessions() as session:
            subscription_id = int(await session.scalar(select(func.max(Subscription.id))) or 0)
        digests = service.deps.digests
        assert digests is not None
        _, [target] = await digests.targets_of(subscription_id)
        await digests.sync([target])
        rendered = await digests.render(target, now=NOW)
        assert rendered.chart is not None
        blocks = rendered.payload["blocks"]
        with_logo = {**rendered.payload, "blocks": [*blocks, LOGO]}

        ts = await digests.post(dataclasses.replace(rendered, payload=with_logo))

        (digest,) = [m for m in service.slack.messages(CHANNEL) if m["ts"] == ts]
        assert digest["blocks"] == blocks
        assert digest["metadata"]["event_type"] == "review_digest"
        (chart,) = service.slack.files
        assert chart.completed and chart.channel == CHANNEL and chart.thread_ts == ts
        refused, posted = [
            call
            for call in service.slack.calls_to("chat.postMessage")
            if (call.args.get("metadata") or {}).get("event_type") == "review_digest"
        ]
        assert refused.args["blocks"][-1] == LOGO and posted.args["blocks"] == blocks
