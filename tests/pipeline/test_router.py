"""The router: poison events fail visibly without blocking the queue; names follow events."""

from __future__ import annotations

from pipeline_helpers import (
    InboundEvent,
    cards_of,
    connection,
    post_webhook,
    rows,
    subscribe,
    wait_cards,
)

from harness import running_service
from storage.models import Location, Organization

REVIEW = {
    "webhook_event": "review-created",
    "id": 77,
    "organization_id": 1,
    "source_name": "google",
    "author": "Ana",
    "rating": 4,
    "message": "Fine",
    "published_on": "2026-11-20T10:30:00+00:00",
    "updated_at": "2026-11-20T10:35:00+00:00",
}


async def test_an_unreadable_event_fails_at_once_and_the_next_one_still_routes(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        # A known event name and an id pass intake; the review itself lacks its date.
        broken = {key: value for key, value in REVIEW.items() if key != "published_on"}
        assert (await post_webhook(service, {**broken, "id": 76}))[0] == 200
        assert (await post_webhook(service, REVIEW))[0] == 200
        await wait_cards(service, 1)
        assert len(cards_of(service, 77)) == 1
        failed = await rows(service, InboundEvent, InboundEvent.status == "failed")
        assert len(failed) == 1
        assert failed[0].payload["id"] == 76 and "published_on" in (failed[0].error or "")
        async with service.http.get(f"{service.base_url}/metrics") as response:
            metrics = await response.text()
        assert 'reviewbot_inbound_events_total{outcome="failed"} 1.0' in metrics


async def test_deleted_organizations_and_locations_keep_their_names(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        gumado = await connection(service, "gumado")
        location = {
            "webhook_event": "location-created",
            "id": 31,
            "organization_id": 1,
            "name": "Harbour",
        }
        assert (await post_webhook(service, location))[0] == 200
        assert (await post_webhook(service, {"webhook_event": "location-deleted", "id": 31}))[
            0
        ] == 200
        deleted_org = {"webhook_event": "organization-deleted", "id": 1}
        assert (await post_webhook(service, deleted_org))[0] == 200
        await service.settle()
        (stored_location,) = await rows(service, Location, Location.platform_id == "31")
        assert (stored_location.name, stored_location.deleted) == ("Harbour", True)
        organizations = await rows(
            service,
            Organization,
            Organization.connection_id == gumado.id,
            Organization.platform_id == "1",
        )
        assert organizations and organizations[0].deleted is True
        assert await rows(service, InboundEvent, InboundEvent.status != "done") == []
