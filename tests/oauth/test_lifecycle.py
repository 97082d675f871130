"""Token rotation, tokens_revoked and app_uninstalled in OAuth mode, over real HTTP."""

from __future__ import annotations

import pytest
from oauth_helpers import (
    ALPHA,
    ALPHA_CHANNEL,
    BETA,
    BETA_CHANNEL,
    add_gumado_connection,
    connections_of,
    install,
    oauth_service,
    send_event,
    slash,
)
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.installations import NOT_INSTALLED, SlackInstallations
from harness import Service, wait_for
from storage.models import Subscription


async def _subscriptions(service: Service, team_id: str) -> int:
    async with service.deps.sessions() as session:
        rows = await session.scalars(select(Subscription).where(Subscription.team_id == team_id))
        return len(list(rows))


async def test_rotating_tokens_are_refreshed_before_they_expire(database_url: str) -> None:
    async with oauth_service(database_url) as service:
        # One hour left is inside the two-hour rotation window: every use refreshes first.
        service.slack.oauth.token_lifetime_seconds = 3600
        first = await install(service, ALPHA, "Alpha Dental")
        assert first.startswith("xoxe.xoxb-")
        installations = service.deps.installations
        assert installations is not None

        # The pipeline's client (cards) refreshes and stores the new token.
        client = service.deps.slack_client(ALPHA)
        await client.chat_postMessage(channel=ALPHA_CHANNEL, text="hello")
        refreshes = [
            c
            for c in service.slack.calls_to("oauth.v2.access")
            if c.args.get("grant_type") == "refresh_token"
        ]
        assert len(refreshes) == 1
        (post,) = service.slack.calls_to("chat.postMessage")
        rotated = post.headers["authorization"].removeprefix("Bearer ")
        assert rotated != first and rotated.startswith("xoxe.xoxb-")
        bot = await installations.store.async_find_bot(enterprise_id=None, team_id=ALPHA)
        assert bot is not None and bot.bot_token == rotated

        # Bolt's authorize does the same for incoming requests.
        status, ack, _ = await slash(service, "help", team_id=ALPHA, channel_id=ALPHA_CHANNEL)
        assert status == 200 and ack is not None
        refreshes = [
            c
            for c in service.slack.calls_to("oauth.v2.access")
            if c.args.get("grant_type") == "refresh_token"
        ]
        assert len(refreshes) == 2


async def test_tokens_revoked_stops_posting_but_keeps_the_setup(database_url: str) -> None:
    async with oauth_service(database_url) as service:
        await install(service, ALPHA, "Alpha Dental")
        await add_gumado_connection(service, ALPHA, "Alpha Gumado")
        event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}}
        assert await send_event(service, event, team_id=ALPHA, event_id="Ev0REVOKE1") == 200
        installations = service.deps.installations
        assert installations is not None
        assert not await installations.is_installed(ALPHA)
        assert await connections_of(service, ALPHA) == ["Alpha Gumado"]
        calls = len(service.slack.calls)
        client = service.deps.slack_client(ALPHA)
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel=ALPHA_CHANNEL, text="hello")
        assert raised.value.response["error"] == NOT_INSTALLED
        assert len(service.slack.calls) == calls, "nothing reached Slack"


async def test_app_uninstalled_forgets_that_workspace_only(database_url: str) -> None:
    async with oauth_service(database_url) as service:
        await install(service, ALPHA, "Alpha Dental")
        await install(service, BETA, "Beta Bakery")
        await add_gumado_connection(service, ALPHA, "Alpha Gumado")
        await add_gumado_connection(service, BETA, "Beta Gumado")
        for team, channel in ((ALPHA, ALPHA_CHANNEL), (BETA, BETA_CHANNEL)):
            await slash(service, "subscribe all", team_id=team, channel_id=channel)
        await service.settle()
        assert await _subscriptions(service, ALPHA) == 1
        service.slack.oauth.revoke(ALPHA)  # Slack invalidates the tokens, then tells the app

        event = {"type": "app_uninstalled"}
        assert await send_event(service, event, team_id=ALPHA, event_id="Ev0UNINST1") == 200
        await service.settle()
        installations = service.deps.installations
        assert installations is not None
        await wait_for(lambda: _not_installed(installations, ALPHA), what="uninstall")
        assert await connections_of(service, ALPHA) == []
        assert await _subscriptions(service, ALPHA) == 0
        # The other workspace is untouched and still works.
        assert await installations.is_installed(BETA)
        assert await connections_of(service, BETA) == ["Beta Gumado"]
        assert await _subscriptions(service, BETA) == 1
        status, ack, _ = await slash(service, "help", team_id=BETA, channel_id=BETA_CHANNEL)
        assert status == 200 and ack is not None and "/reviews" in str(ack)


async def _not_installed(installations: SlackInstallations, team_id: str) -> bool:
    return not await installations.is_installed(team_id)
