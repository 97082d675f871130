"""Cloutly (https://app.cloutly.com/api/v1): client, payload parsing and adapter."""

from bot.providers.cloutly.client import (
    CloutlyClient,
    CloutlyPayloadError,
    business_from_api,
    review_from_api,
    source_display_name,
)

__all__ = [
    "CloutlyClient",
    "CloutlyPayloadError",
    "business_from_api",
    "review_from_api",
    "source_display_name",
]
