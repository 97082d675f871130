"""Changed reviews edit their cards in place with one thread note; names; Mark handled."""

from __future__ import annotations

from pipeline_helpers import (
    Delivery,
    block_texts,
    cards,
    cards_of,
    count,
    rows,
    subscribe,
    wait_cards,
)

from bot.blocks.card_update import EVENT_TYPE_UPDATE_NOTE
from handlers.cards import mark_card_handled as mark_handled
from harness import running_service


async def test_review_updated_edits_the_card_and_notes_the_change_once(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        await subscribe(service, "C0GENERAL", "rating:<=3")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        created = gumado.add_review(rating=2, message="Slow service")
        await wait_cards(service, 1, "C0REVIEWS")
        await wait_cards(service, 1, "C0GENERAL")
        (card,) = cards_of(service, created["id"])
        assert "2/5" in block_texts(card)

        updated = gumado.update_review(created["id"], rating=4, reply_message="Sorry, fixed!")
        await gumado.wait_for_deliveries()
        await service.settle()
        for channel in ("C0REVIEWS", "C0GENERAL"):
            (edited,) = cards_of(service, created["id"], channel)
            assert edited["ts"] == card["ts"] if channel == "C0REVIEWS" else True
            assert "edited" in edited
            assert "4/5" in block_texts(edited) and "Sorry, fixed!" in block_texts(edited)
            (note,) = service.slack.thread(channel, edited["ts"])
            assert note["metadata"]["event_type"] == EVENT_TYPE_UPDATE_NOTE
            assert "Reply published" in note["text"] and "Rating 2★ → 4★" in note["text"]
        # Gumado delivering the same update again changes nothing more.
        gumado.webhooks.dispatch(updated)
        await gumado.wait_for_deliveries()
        await service.settle()
        assert len(service.slack.thread("C0REVIEWS", card["ts"])) == 1
        assert len(service.slack.calls_to("chat.postMessage")) == 4
        (delivery, *_) = await rows(service, Delivery, Delivery.channel_id == "C0REVIEWS")
        assert (delivery.update_pending, delivery.update_note) == (False, None)


async def test_a_change_that_newly_matches_a_channel_gets_a_card_there(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        await subscribe(service, "C0GENERAL", "rating:1", mentions=["S0ONCALL"])
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        created = gumado.add_review(rating=3, message="Meh")
        await wait_cards(service, 1)
        assert cards_of(service, created["id"], "C0GENERAL") == []
        gumado.update_review(created["id"], rating=1)
        await gumado.wait_for_deliveries()
        await wait_cards(service, 1, "C0GENERAL")
        (alert,) = cards_of(service, created["id"], "C0GENERAL")
        assert "<!subteam^S0ONCALL>" in alert["text"]
        assert await count(service, Delivery) == 2


async def test_organization_and_location_events_rename_later_cards(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        org_id = min(gumado.organizations)
        gumado.update_organization(org_id, "Acme Dental Downtown")
        location = gumado.add_location(org_id, "Riverside Branch")
        await gumado.wait_for_deliveries()
        await service.settle()
        gumado.add_review(organization_id=org_id, location_id=location["id"], rating=5)
        await gumado.wait_for_deliveries()
        (card,) = await wait_cards(service, 1)
        assert "Acme Dental Downtown › Riverside Branch" in block_texts(card)


async def test_organization_subscription_matches_by_current_name(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        gumado = service.sandboxes.gumado
        org_id = min(gumado.organizations)
        await subscribe(service, "C0REVIEWS", 'org:"Totally New Name"')
        gumado.register_webhook(service.webhook_url)
        gumado.add_review(organization_id=org_id, rating=5)
        await gumado.wait_for_deliveries()
        await service.settle()
        assert cards(service) == []
        gumado.update_organization(org_id, "Totally New Name")
        await gumado.wait_for_deliveries()  # webhooks are not ordered: rename first
        await service.settle()
        gumado.add_review(organization_id=org_id, rating=4)
        await gumado.wait_for_deliveries()
        (card,) = await wait_cards(service, 1)
        assert "Totally New Name" in block_texts(card)


async def test_mark_handled_edits_the_card_once(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", mentions=["U0FRONT"])
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        gumado.add_review(rating=1, message="Awful")
        (card,) = await wait_cards(service, 1)
        delivery_id = card["metadata"]["event_payload"]["delivery_id"]
        where = {"team_id": "T0DEMO", "channel_id": "C0REVIEWS", "message_ts": card["ts"]}
        assert not await mark_handled(
            service.deps,
            **{**where, "channel_id": "C0GENERAL"},
            delivery_id=delivery_id,
            user_id="U0FRONT",
        )
        assert not await mark_handled(
            service.deps, **where, delivery_id=delivery_id + 1, user_id="U0FRONT"
        )
        assert await mark_handled(service.deps, **where, delivery_id=delivery_id, user_id="U0FRONT")
        (handled,) = cards_of(service, card["metadata"]["event_payload"]["review_id"])
        assert "Handled by <@U0FRONT>" in block_texts(handled)
        assert "Mark handled" not in block_texts(handled)
        assert "<@U0FRONT>" in handled["text"]  # the alert mention stays
        assert handled["metadata"]["event_payload"]["delivery_id"] == delivery_id
        updates = len(service.slack.calls_to("chat.update"))
        assert await mark_handled(
            service.deps, **where, delivery_id=delivery_id, user_id="U0MANAGER"
        )
        assert len(service.slack.calls_to("chat.update")) == updates
        (delivery,) = await rows(service, Delivery)
        assert delivery.handled_by == "U0FRONT" and delivery.handled_at is not None
