"""``/reviews status``: what the app knows about its connections and deliveries."""

from __future__ import annotations

from bot.deps import Deps
from bot.log import get_logger
from bot.providers.registry import PLATFORMS, platform_info, platform_label
from bot.results import ConnectionStatus, FailedDelivery, StatusReport
from bot.services.actor import Actor
from bot.services.connections import webhook_url
from bot.services.permissions import refusal_text, shows_admin_controls
from storage.models import Connection
from storage.repositories import list_connections, list_failed_deliveries
from storage.repositories.subscriptions import count_subscriptions
from storage.repositories.workspace import requeue_failed_delivery, subscriptions_covering

__all__ = ["FAILED_SHOWN", "gather_status", "retry_delivery"]

log = get_logger(__name__)

FAILED_SHOWN = 10


def missing_scopes(connection: Connection) -> list[str]:
    """The scopes the app needs that the platform refused (403) when the token was checked."""
    if connection.platform not in PLATFORMS or connection.scopes is None:
        return []  # a platform without scopes; env connections were not probed
    needed = platform_info(connection.platform).scopes
    return [scope for scope in needed if scope not in connection.scopes]


def connection_status(
    connection: Connection,
    *,
    public_url: str | None,
    show_secrets: bool,
    subscriptions: int | None = None,
    headroom: tuple[int, int] | None = None,
) -> ConnectionStatus:
    """One connection's health as status and the Home tab show it (URL only with secrets)."""
    has_webhook = (
        connection.platform in PLATFORMS
        and platform_info(connection.platform).has_webhooks
        and bool(connection.webhook_key)
    )
    url = (
        webhook_url(public_url, connection.platform, connection.webhook_key)
        if show_secrets and has_webhook and connection.webhook_key
        else None
    )
    return ConnectionStatus(
        name=connection.name,
        platform=connection.platform,
        platform_label=platform_label(connection.platform),
        healthy=connection.healthy,
        last_webhook_at=connection.last_webhook_at,
        last_poll_at=connection.last_poll_at,
        last_error=connection.last_error,
        last_error_at=connection.last_error_at,
        webhook_url=url,
        has_webhook=has_webhook,
        subscriptions=subscriptions,
        headroom=headroom,
        missing_scopes=missing_scopes(connection),
        skipped_reviews=connection.last_poll_skipped,
        webhook_hint=platform_info(connection.platform).webhook_hint if has_webhook else None,
    )


async def gather_status(deps: Deps, actor: Actor) -> StatusReport:
    """Connections, subscription counts and the last failed deliveries of the team.

    The webhook URL is a secret (whoever has it can post reviews): admins only.
    """
    team_id, channel_id = actor.team_id, actor.channel_id or ""
    viewer_is_admin = await shows_admin_controls(deps.settings, actor)
    async with deps.sessions() as session:
        connections = await list_connections(session, team_id)
        in_channel = await count_subscriptions(session, team_id=team_id, channel_id=channel_id)
        in_workspace = await count_subscriptions(session, team_id=team_id)
        failed = await list_failed_deliveries(session, team_id=team_id, limit=FAILED_SHOWN)
        covering = await subscriptions_covering(session, team_id=team_id)
    return StatusReport(
        channel_id=channel_id,
        connections=[
            connection_status(
                connection,
                public_url=deps.settings.public_url,
                show_secrets=viewer_is_admin,
                subscriptions=covering.get(connection.id, 0),
                headroom=deps.providers.headroom(connection.id),
            )
            for connection in connections
        ],
        channel_subscriptions=in_channel,
        workspace_subscriptions=in_workspace,
        failed=[
            FailedDelivery(
                channel_id=delivery.channel_id,
                reason=delivery.last_error or "unknown error",
                # No failed_at column: the last attempt was scheduled at next_attempt_at.
                when=delivery.next_attempt_at or delivery.created_at,
                delivery_id=delivery.id,
            )
            for delivery in failed
        ],
        poll_interval_seconds=deps.settings.poll_interval_seconds,
        viewer_is_admin=viewer_is_admin,
    )


async def retry_delivery(deps: Deps, actor: Actor, delivery_id: int) -> str:
    """Re-queue a failed delivery of the team (admins); returns a sentence saying what happened."""
    if not await shows_admin_controls(deps.settings, actor):
        return refusal_text(deps.settings, "retry failed deliveries")
    team_id = actor.team_id
    async with deps.sessions() as session, session.begin():
        queued = await requeue_failed_delivery(
            session, team_id=team_id, delivery_id=delivery_id, now=deps.clock()
        )
    if not queued:
        return "That delivery is not failed any more (it was retried or removed)."
    deps.signals.outbound.set()
    log.info("delivery_retry_requested", team_id=team_id, delivery_id=delivery_id, by=actor.user_id)
    return "🔁 Queued again: the card is posted in a moment, or shows here again if it fails."
