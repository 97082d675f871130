"""The App Home tab: gather what a viewer may see (``handlers/home.py`` publishes it)."""

from __future__ import annotations

import dataclasses

from bot.deps import Deps
from bot.providers.registry import platform_label
from bot.results import (
    HOME_SUBSCRIPTIONS_SHOWN,
    HomeCard,
    HomeConnection,
    HomeInvite,
    HomeReport,
    HomeSubscription,
)
from bot.services.actor import Actor
from bot.services.permissions import shows_admin_controls
from bot.services.status import connection_status
from bot.services.subscriptions import load_catalog, stored_description
from storage.models import Connection
from storage.repositories.workspace import (
    recent_cards,
    recent_invites_by,
    subscriptions_covering,
    team_subscriptions,
)

__all__ = ["gather_home"]

RECENT = 5


def _connection(
    connection: Connection, *, covering: int, public_url: str | None, admin: bool
) -> HomeConnection:
    status = connection_status(
        connection, public_url=public_url, show_secrets=admin, subscriptions=covering
    )
    return status if admin else dataclasses.replace(status, missing_scopes=())


async def gather_home(deps: Deps, actor: Actor) -> HomeReport:
    """Everything the actor's Home tab shows (secrets and config buttons for admins only)."""
    team_id, user_id = actor.team_id, actor.user_id
    admin = await shows_admin_controls(deps.settings, actor)
    catalog = await load_catalog(deps, team_id)
    async with deps.sessions() as session:
        covering = await subscriptions_covering(session, team_id=team_id)
        rows, total = await team_subscriptions(
            session, team_id=team_id, limit=HOME_SUBSCRIPTIONS_SHOWN
        )
        cards = await recent_cards(session, team_id=team_id, limit=RECENT)
        invites = await recent_invites_by(session, team_id=team_id, user_id=user_id, limit=RECENT)
    labels = {c.id: platform_label(c.platform) for c in catalog.connections}
    return HomeReport(
        viewer_is_admin=admin,
        connections=[
            _connection(
                c,
                covering=covering.get(c.id, 0),
                public_url=deps.settings.public_url,
                admin=admin,
            )
            for c in catalog.connections
        ],
        subscriptions=[
            HomeSubscription(
                id=row.id,
                channel_id=row.channel_id,
                description=stored_description(catalog, row),
                digest_enabled=row.digest_enabled,
                digest_day=row.digest_day,
                digest_hour=row.digest_hour,
                digest_timezone=row.digest_timezone,
            )
            for row in rows
        ],
        subscriptions_total=total,
        cards=[
            HomeCard(
                channel_id=delivery.channel_id,
                rating=review.rating,
                source=review.source,
                author=review.author,
                sent_at=delivery.sent_at or delivery.created_at,
            )
            for delivery, review in cards
        ],
        invites=[
            HomeInvite(
                created_at=invite.created_at,
                status=invite.status,
                platform_label=labels.get(invite.connection_id) if invite.connection_id else None,
                invite_id=invite.platform_invite_id,
            )
            for invite in invites
        ],
        poll_interval_seconds=deps.settings.poll_interval_seconds,
    )
