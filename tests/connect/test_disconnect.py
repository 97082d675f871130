"""``/reviews disconnect <name>``: confirmation buttons, removal, the webhook URL answers 404."""

from __future__ import annotations

from admin_helpers import all_text, connection_named, interact, slash

from bot.blocks.ids import ACTION_DISCONNECT_CANCEL, ACTION_DISCONNECT_CONFIRM, BLOCK_DISCONNECT
from bot.pipeline.assembly import PIPELINE_KEY
from harness import Service, running_service
from sandbox.signing import block_actions_payload

WEBHOOK_BODY = {"webhook_event": "organization-updated", "id": 1, "name": "Acme Dental"}


async def _post_webhook(service: Service) -> int:
    async with service.http.post(service.webhook_url, json=WEBHOOK_BODY) as response:
        await response.read()
        return response.status


async def _click(service: Service, action_id: str, value: str, *, user_id: str = "U0ADMIN") -> str:
    url = service.slack.new_response_url(channel="C0REVIEWS", user_id=user_id)
    payload = block_actions_payload(
        action_id,
        value=value,
        block_id=BLOCK_DISCONNECT,
        user_id=user_id,
        response_url=url,
        is_ephemeral=True,
    )
    assert await interact(service, payload) is None
    return url


def _buttons(message: dict) -> dict[str, str]:
    actions = next(b for b in message["blocks"] if b.get("block_id") == BLOCK_DISCONNECT)
    return {e["action_id"]: e["value"] for e in actions["elements"]}


async def test_disconnect_asks_then_removes_stops_polling_and_the_webhook_404s(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await slash(service, "subscribe all")
        await slash(service, "subscribe connection:gumado rating:<=2", channel_id="C0GENERAL")
        gumado = await connection_named(service, "gumado")
        assert gumado is not None
        service.deps.providers.provider_for(gumado)  # as after a poll: a cached client
        assert await _post_webhook(service) == 200  # the key is now in the intake cache

        _, url = await slash(service, "disconnect Gumado")
        [prompt] = service.slack.responses(url)
        assert prompt["response_type"] == "ephemeral"
        shown = all_text(prompt)
        assert "Disconnect *gumado* (Gumado)?" in shown
        assert "webhook URL stops working" in shown
        assert "the 1 subscription made for it alone" in shown
        buttons = _buttons(prompt)
        assert buttons[ACTION_DISCONNECT_CONFIRM] == str(gumado.id)
        assert await connection_named(service, "gumado") is not None  # nothing yet

        click_url = await _click(service, ACTION_DISCONNECT_CONFIRM, str(gumado.id))
        [done] = service.slack.responses(click_url)
        assert done["replace_original"] is True
        assert "disconnected *gumado* (Gumado)" in all_text(done)
        assert await connection_named(service, "gumado") is None
        assert service.deps.providers.headroom(gumado.id) is None  # its client is gone
        # Its webhook URL answers 404 at once, although the key was cached a moment ago.
        assert await _post_webhook(service) == 404
        # The workspace-wide subscription stays (it covers Cloutly); the Gumado-only one went.
        _, url = await slash(service, "status")
        status = all_text(service.slack.responses(url))
        assert "*gumado*" not in status and "*cloutly*" in status
        assert "1 in the workspace" in status
        # Nothing polls it any more: a poll pass asks Gumado nothing.
        requests = len(service.sandboxes.gumado.requests)
        await service.app[PIPELINE_KEY].poller.poll_now()
        assert len(service.sandboxes.gumado.requests) == requests

        # A second click (an old confirmation) changes nothing and says so.
        click_url = await _click(service, ACTION_DISCONNECT_CONFIRM, str(gumado.id))
        assert "already removed" in all_text(service.slack.responses(click_url))


async def test_keep_it_unknown_names_and_non_admins_change_nothing(database_url: str) -> None:
    async with running_service(database_url) as service:
        cloutly = await connection_named(service, "cloutly")
        assert cloutly is not None

        click_url = await _click(service, ACTION_DISCONNECT_CANCEL, str(cloutly.id))
        assert "Nothing was disconnected" in all_text(service.slack.responses(click_url))
        assert await connection_named(service, "cloutly") is not None

        _, url = await slash(service, "disconnect <!channel>")
        shown = all_text(service.slack.responses(url))
        assert "no connection called `&lt;!channel&gt;`" in shown
        assert "`gumado`" in shown and "`cloutly`" in shown
        _, url = await slash(service, "disconnect")
        assert "Which connection?" in all_text(service.slack.responses(url))

        _, url = await slash(service, "disconnect cloutly", user_id="U0FRONT")
        assert "Only workspace admins" in all_text(service.slack.responses(url))
        click_url = await _click(
            service, ACTION_DISCONNECT_CONFIRM, str(cloutly.id), user_id="U0FRONT"
        )
        assert "Only workspace admins" in all_text(service.slack.responses(click_url))
        assert await connection_named(service, "cloutly") is not None
        assert await _post_webhook(service) == 200  # the Gumado one is untouched

        # Cloutly: confirmed by an admin, gone.
        click_url = await _click(service, ACTION_DISCONNECT_CONFIRM, str(cloutly.id))
        assert "disconnected *cloutly* (Cloutly)" in all_text(service.slack.responses(click_url))
        assert await connection_named(service, "cloutly") is None


async def test_help_lists_connect_and_disconnect_as_available(database_url: str) -> None:
    async with running_service(database_url) as service:
        ack, _ = await slash(service, "help")
        shown = all_text(ack)
        assert "`connect`" in shown and "`disconnect`" in shown
        assert (
            "Coming with the next release" not in shown
            or "connect`" not in shown.split("Coming with the next release")[1]
        )
