"""Review cards are never lost over a picture: SVG logos are left out, broken avatars dropped.

The Slack stand-in downloads every image like Slack and refuses the whole call on one it
cannot fetch or render; avatars come from a loopback image host the test controls.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pipeline_helpers import (
    Delivery,
    MovableClock,
    Review,
    block_texts,
    cards,
    cards_of,
    rows,
    subscribe,
    wait_cards,
)

from bot.blocks.card import ACTION_MARK_HANDLED, BLOCK_ACTIONS
from fakes.image_host import SVG, running_image_host
from harness import Service, running_service, wait_for
from sandbox.signing import block_actions_payload

JSON = dict[str, Any]


def image_urls(node: Any) -> Iterator[str]:
    """Every ``image_url`` in a message's blocks (or any JSON), in order."""
    if isinstance(node, dict):
        if node.get("type") == "image" and "image_url" in node:
            yield node["image_url"]
        for value in node.values():
            yield from image_urls(value)
    elif isinstance(node, list):
        for item in node:
            yield from image_urls(item)


async def dropped_images(service: Service, method: str) -> str:
    async with service.http.get(f"{service.base_url}/metrics") as response:
        metrics = await response.text()
    return next(
        (
            line.rsplit(" ", 1)[1]
            for line in metrics.splitlines()
            if line.startswith(f'reviewbot_slack_images_dropped_total{{method="{method}"}}')
        ),
        "0",
    )


async def test_a_card_whose_avatar_is_an_svg_named_png_is_posted_without_it(
    database_url: str,
) -> None:
    async with running_image_host() as host, running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        avatar = host.serve("/dana.png", content_type="image/svg+xml", body=SVG)
        payload = gumado.add_review(rating=2, author="Dana", message="Cold coffee", avatar=avatar)
        (card,) = await wait_cards(service, 1)
        assert card["metadata"]["event_payload"]["review_id"] == str(payload["id"])
        assert list(image_urls(card)) == []
        assert "Dana" in block_texts(card) and "Cold coffee" in block_texts(card)
        refused, posted = service.slack.calls_to("chat.postMessage")
        assert list(image_urls(refused.args["blocks"])) == [avatar]
        assert posted.args["blocks"] == card["blocks"]
        (delivery,) = await rows(service, Delivery)
        assert (delivery.status, delivery.message_ts) == ("sent", card["ts"])
        assert await dropped_images(service, "chat.postMessage") == "1.0"


async def test_a_polled_gumado_card_leaves_its_svg_source_logo_out(database_url: str) -> None:
    from bot.pipeline.assembly import PIPELINE_KEY

    clock = MovableClock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        gumado.add_review(rating=5, message="By webhook")
        await wait_cards(service, 1)
        # Webhooks stop; the next review is found by polling GET /reviews, which has logos.
        gumado.webhooks.subscriptions.clear()
        missed = gumado.add_review(
            rating=4, message="Found by polling", source="Google", avatar=None
        )
        clock.advance(hours=25)
        await service.app[PIPELINE_KEY].poller.poll_now()
        await wait_cards(service, 2)
        (stored,) = await rows(service, Review, Review.platform_id == str(missed["id"]))
        assert stored.source_logo_url == "https://example.com/logos/google.svg"
        (card,) = cards_of(service, missed["id"])
        assert list(image_urls(card)) == []
        assert "Google review" in block_texts(card)
        # The card went out on the first try: nothing was sent that Slack would refuse.
        assert len(service.slack.calls_to("chat.postMessage")) == 2
        assert await dropped_images(service, "chat.postMessage") == "0"


async def _card_with_avatar(service: Service, avatar: str) -> tuple[JSON, JSON]:
    await service.settle()
    await subscribe(service, "C0REVIEWS")
    gumado = service.sandboxes.gumado
    gumado.register_webhook(service.webhook_url)
    created = gumado.add_review(rating=2, author="Dana", message="Slow service", avatar=avatar)
    (card,) = await wait_cards(service, 1)
    assert list(image_urls(card)) == [avatar]
    return created, card


async def test_a_card_update_is_not_dropped_when_the_avatar_stopped_downloading(
    database_url: str,
) -> None:
    async with running_image_host() as host, running_service(database_url) as service:
        created, card = await _card_with_avatar(service, host.serve("/dana.png"))
        host.serve("/dana.png", status=404)  # the CDN lost the picture meanwhile
        gumado = service.sandboxes.gumado
        gumado.update_review(created["id"], reply_message="Sorry, we fixed it!")
        await gumado.wait_for_deliveries()
        await service.settle()
        (edited,) = cards_of(service, created["id"])
        assert edited["ts"] == card["ts"] and "edited" in edited
        assert "Sorry, we fixed it!" in block_texts(edited) and "Dana" in block_texts(edited)
        assert list(image_urls(edited)) == []
        assert len(service.slack.calls_to("chat.update")) == 2
        (note,) = service.slack.thread("C0REVIEWS", card["ts"])
        assert "Reply published" in note["text"]
        (delivery,) = await rows(service, Delivery)
        assert (delivery.update_pending, delivery.status) == (False, "sent")
        assert await dropped_images(service, "chat.update") == "1.0"


async def test_mark_handled_edits_the_card_when_its_avatar_stopped_downloading(
    database_url: str,
) -> None:
    async with running_image_host() as host, running_service(database_url) as service:
        created, card = await _card_with_avatar(service, host.serve("/dana.png"))
        host.serve("/dana.png", status=404)
        actions = next(b for b in card["blocks"] if b.get("block_id") == BLOCK_ACTIONS)
        button = next(e for e in actions["elements"] if e["action_id"] == ACTION_MARK_HANDLED)
        url = service.slack.new_response_url(channel="C0REVIEWS", user_id="U0FRONT")
        payload = block_actions_payload(
            ACTION_MARK_HANDLED,
            value=button["value"],
            block_id=BLOCK_ACTIONS,
            message=card,
            user_id="U0FRONT",
            response_url=url,
        )
        response = await service.interact(payload)
        assert response.status == 200
        await wait_for(
            lambda: "Handled by <@U0FRONT>" in block_texts(cards(service)[0]),
            what="the card marked handled",
        )
        await service.settle()
        (edited,) = cards_of(service, created["id"])
        assert edited["ts"] == card["ts"] and list(image_urls(edited)) == []
        # Edited by the click itself, not by a later redraw.
        assert len(service.slack.calls_to("chat.update")) == 2
        (delivery,) = await rows(service, Delivery)
        assert delivery.update_pending is False
