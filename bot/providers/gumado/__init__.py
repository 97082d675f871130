"""Gumado (https://gumado.com/api/v1): client, payload parsing, error mapping and adapter."""

from bot.providers.gumado.client import (
    ENDPOINT_SCOPES,
    UNSET,
    GumadoClient,
    GumadoPayloadError,
    location_from_webhook,
    organization_from_webhook,
    review_from_api,
    review_from_webhook,
    source_display_name,
    webhook_event,
    webhook_object_id,
)

__all__ = [
    "ENDPOINT_SCOPES",
    "UNSET",
    "GumadoClient",
    "GumadoPayloadError",
    "location_from_webhook",
    "organization_from_webhook",
    "review_from_api",
    "review_from_webhook",
    "source_display_name",
    "webhook_event",
    "webhook_object_id",
]
