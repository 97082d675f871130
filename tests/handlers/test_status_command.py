"""``/reviews status``: connections and health, counts, failed deliveries, webhook URL for admins."""

from __future__ import annotations

from datetime import UTC, datetime

from blocks.limits import assert_message_within_limits
from sqlalchemy import update
from surface_helpers import all_text, connection_id, run_slash

from harness import WEBHOOK_KEY, Service, running_service
from storage.models import Connection, Delivery, Review

FAILED_AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


async def _failed_delivery(service: Service, channel_id: str, error: str) -> None:
    gumado = await connection_id(service, "gumado")
    now = FAILED_AT
    async with service.deps.sessions() as session, session.begin():
        review = Review(
            connection_id=gumado,
            platform_id=f"status-{channel_id}",
            source="Google",
            rating=2,
            published_at=now,
            content_hash="x" * 64,
        )
        session.add(review)
        await session.flush()
        session.add(
            Delivery(
                team_id="T0DEMO",
                channel_id=channel_id,
                review_id=review.id,
                status="failed",
                last_error=error,
                next_attempt_at=now,
            )
        )
        await session.execute(
            update(Connection)
            .where(Connection.name == "cloutly")
            .values(
                healthy=False, last_error="Cloutly refused the API key (401)", last_error_at=now
            )
        )


async def test_status_shows_health_counts_failures_and_url_to_admins(database_url: str) -> None:
    async with running_service(database_url) as service:
        await run_slash(service, "subscribe all")
        await run_slash(service, "subscribe all", channel_id="C0GENERAL")
        await _failed_delivery(service, "C0GONE", "channel_not_found")

        _, posts = await run_slash(service, "status")
        [status] = posts
        assert status["response_type"] == "ephemeral"
        assert_message_within_limits(status)
        shown = all_text(status)
        assert "*gumado* (Gumado) — 🟢 healthy" in shown
        assert "*cloutly* (Cloutly) — 🔴 unhealthy" in shown
        assert "Last error: `Cloutly refused the API key (401)`" in shown
        assert "no webhooks: polled every 60 minutes" in shown
        assert "Last webhook: never" in shown
        assert "*Subscriptions*: 1 in <#C0REVIEWS>, 2 in the workspace" in shown
        assert f"<#C0GONE> — `channel_not_found` — <!date^{int(FAILED_AT.timestamp())}^" in shown
        url = f"https://reviews.example.test/webhooks/gumado/{WEBHOOK_KEY}"
        assert url in shown

        _, posts = await run_slash(service, "status", user_id="U0FRONT")
        shown = all_text(posts)
        assert WEBHOOK_KEY not in shown
        assert "shown to admins only" in shown
        assert "channel_not_found" in shown
