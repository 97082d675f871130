"""Gumado's webhook payloads (document, "Webhook Payloads"), read as the app's webhook changes."""

from __future__ import annotations

from bot.providers.gumado.parse import (
    GumadoPayloadError,
    is_known_webhook_event,
    location_from_webhook,
    organization_from_webhook,
    review_from_webhook,
    webhook_event,
    webhook_object_id,
)
from bot.providers.protocol import WebhookChange

__all__ = ["GumadoWebhooks"]


class GumadoWebhooks:
    """``webhook_event`` names the event; every payload carries the object's ``id``."""

    def event_type(self, payload: object) -> str:
        return webhook_event(payload)

    def handles(self, event_type: str) -> bool:
        return is_known_webhook_event(event_type)

    def object_id(self, payload: object) -> str:
        return webhook_object_id(payload)

    def change(self, event_type: str, payload: object) -> WebhookChange:
        if event_type in ("review-created", "review-updated"):
            review = review_from_webhook(payload)
            return WebhookChange(review=review, review_created=event_type == "review-created")
        if event_type in ("organization-created", "organization-updated"):
            return WebhookChange(organization=organization_from_webhook(payload))
        if event_type in ("location-created", "location-updated"):
            return WebhookChange(location=location_from_webhook(payload))
        if event_type == "organization-deleted":
            return WebhookChange(deleted_organization_id=webhook_object_id(payload))
        if event_type == "location-deleted":
            return WebhookChange(deleted_location_id=webhook_object_id(payload))
        raise GumadoPayloadError(f"Gumado event {event_type[:40]!r} is not one the app handles")
