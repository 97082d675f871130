"""``/reviews status`` per connection: subscriptions, API budget, scopes; Retry on failed cards."""

from __future__ import annotations

from datetime import UTC, datetime

from admin_helpers import all_text, connection_named, interact, slash
from blocks.limits import assert_message_within_limits
from sqlalchemy import select, update

from bot.blocks.ids import ACTION_STATUS_RETRY
from harness import Service, running_service
from sandbox.signing import block_actions_payload
from storage.models import Connection, Delivery, Review

FAILED_AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


async def _failed_delivery(service: Service, channel_id: str, error: str) -> int:
    gumado = await connection_named(service, "gumado")
    assert gumado is not None
    async with service.deps.sessions() as session, session.begin():
        review = Review(
            connection_id=gumado.id,
            platform_id=f"status-{channel_id}",
            organization_platform_id="1",
            source="Google",
            rating=2,
            author="Sam",
            text="Slow service",
            published_at=FAILED_AT,
            content_hash="x" * 64,
        )
        session.add(review)
        await session.flush()
        delivery = Delivery(
            team_id="T0DEMO",
            channel_id=channel_id,
            review_id=review.id,
            status="failed",
            attempts=12,
            last_error=error,
            next_attempt_at=FAILED_AT,
        )
        session.add(delivery)
        await session.flush()
        return delivery.id


async def _delivery(service: Service, delivery_id: int) -> Delivery:
    async with service.deps.sessions() as session:
        found = await session.scalar(select(Delivery).where(Delivery.id == delivery_id))
    assert found is not None
    return found


def _retry_buttons(message: dict) -> dict[str, str]:
    return {
        block["accessory"]["action_id"]: block["accessory"]["value"]
        for block in message["blocks"]
        if block.get("accessory", {}).get("action_id", "").startswith(ACTION_STATUS_RETRY)
    }


async def test_status_shows_counts_budget_scopes_and_retries_a_failed_card(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await slash(service, "subscribe all")
        await slash(service, "subscribe connection:gumado", channel_id="C0GENERAL")
        async with service.deps.sessions() as session, session.begin():
            await session.execute(
                update(Connection)
                .where(Connection.name == "gumado")
                .values(scopes=["reviews:read", "organizations:read"])
            )
        gone = await _failed_delivery(service, "C0GONE", "channel_not_found")
        kicked = await _failed_delivery(service, "C0REVIEWS", "not_in_channel")

        _, url = await slash(service, "status")
        [status] = service.slack.responses(url)
        assert_message_within_limits(status)
        shown = all_text(status)
        assert "Subscriptions covering it: 2" in shown  # gumado: its own + the workspace one
        assert "Subscriptions covering it: 1" in shown  # cloutly: the workspace one
        # Both clients were used by the first poll at start-up: our pacing's headroom shows.
        assert "requests left this minute" in shown
        assert "of 60 requests left" in shown and "of 100 requests left" in shown
        assert "⚠️ The token lacks `request:read`, `request:create`" in shown
        assert "`channel_not_found`" in shown and "`not_in_channel`" in shown
        buttons = _retry_buttons(status)
        assert buttons == {
            f"{ACTION_STATUS_RETRY}:{gone}": str(gone),
            f"{ACTION_STATUS_RETRY}:{kicked}": str(kicked),
        }

        # Not an admin: reasons shown, no Retry buttons, and a forged click changes nothing.
        _, url = await slash(service, "status", user_id="U0FRONT")
        [front] = service.slack.responses(url)
        assert "`not_in_channel`" in all_text(front)
        assert _retry_buttons(front) == {}
        click_url = service.slack.new_response_url(channel="C0REVIEWS", user_id="U0FRONT")
        await interact(
            service,
            block_actions_payload(
                f"{ACTION_STATUS_RETRY}:{kicked}",
                value=str(kicked),
                user_id="U0FRONT",
                response_url=click_url,
                is_ephemeral=True,
            ),
        )
        assert "Only workspace admins" in all_text(service.slack.responses(click_url))
        assert (await _delivery(service, kicked)).status == "failed"

        # The admin's Retry: queued again, posted (the bot can post in #reviews), redrawn.
        cards_before = len(service.slack.messages("C0REVIEWS"))
        click_url = service.slack.new_response_url(channel="C0REVIEWS", user_id="U0ADMIN")
        await interact(
            service,
            block_actions_payload(
                f"{ACTION_STATUS_RETRY}:{kicked}",
                value=str(kicked),
                response_url=click_url,
                is_ephemeral=True,
            ),
        )
        retried = await _delivery(service, kicked)
        assert retried.status == "sent" and retried.message_ts
        assert len(service.slack.messages("C0REVIEWS")) == cards_before + 1
        redrawn, note = service.slack.responses(click_url)
        assert redrawn["replace_original"] is True
        assert "not_in_channel" not in all_text(redrawn)  # no longer failed
        assert "Queued again" in all_text(note)

        # A second click on the old button: already done, nothing posted twice.
        click_url = service.slack.new_response_url(channel="C0REVIEWS", user_id="U0ADMIN")
        await interact(
            service,
            block_actions_payload(
                f"{ACTION_STATUS_RETRY}:{kicked}",
                value=str(kicked),
                response_url=click_url,
                is_ephemeral=True,
            ),
        )
        assert "not failed any more" in all_text(service.slack.responses(click_url))
        assert len(service.slack.messages("C0REVIEWS")) == cards_before + 1
        assert (await _delivery(service, gone)).status == "failed"
