"""OAuth mode: every workspace's client and Bolt's OAuth flow share the app's Slack connections."""

from __future__ import annotations

from oauth_helpers import ALPHA, ALPHA_CHANNEL, BETA, install, oauth_service

from bot.pipeline.slack_calls import sender_client


async def test_installation_clients_reuse_the_apps_connections(database_url: str) -> None:
    async with oauth_service(database_url) as service:
        await install(service, ALPHA, "Alpha")
        await install(service, BETA, "Beta")
        await service.settle()
        slack = service.slack
        opened = slack.connections()
        client = service.deps.slack_client(ALPHA)
        assert client.session is service.deps.slack_session
        await client.chat_postMessage(channel=ALPHA_CHANNEL, text="one")
        await sender_client(client).chat_postMessage(channel=ALPHA_CHANNEL, text="two")
        # Two workspaces' installs (oauth.v2.access through Bolt's flow) and two posts with
        # ALPHA's token, the second through the sender's copy: no new connection for the posts.
        assert [c.connection in opened for c in slack.calls_to("chat.postMessage")] == [True, True]
        assert len(slack.connections()) < len(slack.calls)
        pool = service.deps.slack_session
    assert pool is not None and pool.closed
