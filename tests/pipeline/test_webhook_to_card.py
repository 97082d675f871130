"""A Gumado webhook becomes exactly one card per subscribed channel, over real HTTP."""

from __future__ import annotations

from pipeline_helpers import (
    Delivery,
    InboundEvent,
    cards,
    cards_of,
    count,
    post_webhook,
    subscribe,
    wait_cards,
)

from harness import running_service


async def test_review_created_webhook_becomes_one_card(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        payload = gumado.add_review(rating=2, author="Sam", message="Cold coffee")
        await gumado.wait_for_deliveries()
        (card,) = await wait_cards(service, 1)
        assert card["metadata"]["event_payload"]["review_id"] == str(payload["id"])
        assert "Cold coffee" in str(card["blocks"])
        # The same event again (a duplicate delivery) changes nothing.
        status, answer = await post_webhook(service, payload)
        assert (status, answer["ok"]) == (200, True)
        await service.settle()
        assert len(cards_of(service, payload["id"])) == 1
        assert await count(service, InboundEvent) == 1
        assert await count(service, Delivery, Delivery.status == "sent") == 1
        assert len(cards(service)) == 1
