"""Queries over the storage models; they take a session, flush at most and never commit."""

from storage.repositories.catalog import (
    LocationLike,
    OrganizationLike,
    location_names,
    organization_names,
    upsert_locations,
    upsert_organizations,
)
from storage.repositories.connections import (
    get_connection_by_webhook_key,
    list_connections,
    upsert_connection,
)
from storage.repositories.deliveries import insert_delivery_if_absent
from storage.repositories.digests import (
    claim_digest_run,
    digest_organization_key,
    finish_digest_run,
    iso_week_of,
)
from storage.repositories.events import claim_pending_events, insert_inbound_event
from storage.repositories.reviews import (
    ReviewLike,
    ReviewUpsert,
    review_content_hash,
    upsert_review,
)

__all__ = [
    "LocationLike",
    "OrganizationLike",
    "ReviewLike",
    "ReviewUpsert",
    "claim_digest_run",
    "claim_pending_events",
    "digest_organization_key",
    "finish_digest_run",
    "get_connection_by_webhook_key",
    "insert_delivery_if_absent",
    "insert_inbound_event",
    "iso_week_of",
    "list_connections",
    "location_names",
    "organization_names",
    "review_content_hash",
    "upsert_connection",
    "upsert_locations",
    "upsert_organizations",
    "upsert_review",
]

# Subscriptions (appended: other modules' exports above are kept as they are).
from storage.repositories.subscriptions import (
    CatalogEntry,
    channel_subscriptions,
    count_subscriptions,
    delete_channel_subscriptions,
    delete_subscription,
    find_same_subscription,
    insert_subscription,
    team_locations,
    team_organizations,
)

__all__ += [
    "CatalogEntry",
    "channel_subscriptions",
    "count_subscriptions",
    "delete_channel_subscriptions",
    "delete_subscription",
    "find_same_subscription",
    "insert_subscription",
    "team_locations",
    "team_organizations",
]
