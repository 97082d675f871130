"""Every Slack client of the app shares one pool of kept-alive connections, closed at shutdown.

Without it slack_sdk opens a new TCP (on Slack, TLS) connection for every call: the Monday run
of a thousand digests made four thousand. The stand-in records the client's address and port
of every call, so a call that came over an already open connection shows as one seen before.
"""

from __future__ import annotations

from harness import Service, running_service
from sandbox.signing import slash_command_body
from sandbox.slack import SlackStandIn


def reused(slack: SlackStandIn, method: str) -> list[bool]:
    """For each call of ``method``: did it come over a connection an earlier call had opened?"""
    seen: set[str] = set()
    found = []
    for call in slack.calls:
        if call.method == method:
            found.append(call.connection in seen)
        seen.add(call.connection)
    return found


async def slash(service: Service, text: str) -> None:
    url = service.slack.new_response_url(channel="C0REVIEWS", user_id="U0ADMIN")
    body = slash_command_body(text, channel_id="C0REVIEWS", response_url=url)
    response = await service.post_signed(body)
    assert response.status == 200
    await service.settle(timeout=30)


async def test_slack_calls_reuse_the_apps_connections_until_shutdown(database_url: str) -> None:
    async with running_service(database_url) as service:
        pool = service.deps.slack_session
        assert pool is not None and not pool.closed
        await service.settle()
        # Bolt's per-request client (views.open from the listener), the workspace client
        # (the chart's upload) and the sender's copy of it without retries (the digest post).
        await slash(service, "invite")
        await slash(service, 'subscribe org:"Acme Dental Clinic"')
        await slash(service, "digest now")
        slack = service.slack
        assert [f for f in slack.files if f.completed and f.thread_ts]  # the chart, in its thread
        assert reused(slack, "views.open") == [True]
        assert reused(slack, "chat.postMessage") and all(reused(slack, "chat.postMessage"))
        for method in ("files.getUploadURLExternal", "upload", "files.completeUploadExternal"):
            assert reused(slack, method) == [True], method
        assert len(slack.connections()) < len(slack.calls) / 2
    assert pool.closed
