"""Every Slack request and webhook logs under its own request id; errors show it as a reference."""

from __future__ import annotations

import re
from typing import Any

from logs_capture import rendered_logs
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.log import get_logger
from bot.server import BOLT_KEY
from handlers.errors import spawn_reported
from harness import running_service, wait_for
from sandbox.signing import TEAM_ID, USER_ID, slash_command_body

log = get_logger("tests.request_logs")


async def test_an_unexpected_error_shows_a_reference_that_finds_its_log_lines(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        bolt: AsyncApp = service.app[BOLT_KEY]

        # A listener with a bug: everything around it (Bolt, our middleware, the error
        # handler, the response_url) is the real thing.
        @bolt.command("/broken")
        async def broken(ack: AsyncAck, command: dict[str, Any]) -> None:
            await ack()
            log.info("broken_listener_started")
            raise RuntimeError("a bug")

        with rendered_logs() as logs:
            response_url = service.slack.new_response_url(channel="C0REVIEWS", user_id=USER_ID)
            body = slash_command_body("", command="/broken", response_url=response_url)
            await service.post_signed(body)
            await wait_for(lambda: bool(service.slack.responses(response_url)), what="the apology")

        (answer,) = service.slack.responses(response_url)
        assert answer["response_type"] == "ephemeral"
        found = re.search(r"Reference: `([0-9a-f]{12})`", answer["text"])
        assert found is not None, answer["text"]
        reference = found.group(1)
        (started,) = logs.events("broken_listener_started")
        (failed,) = logs.events("slack_listener_failed")
        for line in (started, failed):
            assert line["request_id"] == reference
            assert (line["team_id"], line["user_id"]) == (TEAM_ID, USER_ID)
        assert failed["reference"] == reference
        assert "RuntimeError: a bug" in failed["exception"]
        # Nothing bound leaks into what the service logs after the request.
        with rendered_logs() as later:
            log.info("after_the_request")
        (after,) = later.events("after_the_request")
        assert "request_id" not in after and "team_id" not in after


async def test_each_webhook_logs_under_its_own_request_id_and_connection(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        gumado.webhooks.retry_scale = 0.001
        with rendered_logs() as logs:
            # Events this version does not handle are logged (and acknowledged).
            gumado.webhooks.dispatch({"webhook_event": "review-deleted", "id": 1001})
            gumado.webhooks.dispatch({"webhook_event": "review-deleted", "id": 1002})
            assert await gumado.wait_for_deliveries(timeout=10)
        lines = logs.events("webhook_event_unknown")
        assert len(lines) == 2
        ids = {line["request_id"] for line in lines}
        assert len(ids) == 2 and all(re.fullmatch(r"[0-9a-f]{12}", i) for i in ids)
        assert all(isinstance(line["connection_id"], int) for line in lines)


async def test_work_after_the_ack_fails_with_the_same_reference(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        bolt: AsyncApp = service.app[BOLT_KEY]

        async def slow_part() -> None:
            log.info("slow_part_started")
            raise RuntimeError("a bug after the ack")

        @bolt.command("/broken-later")
        async def broken_later(ack: AsyncAck, respond: AsyncRespond, context: Any) -> None:
            await ack()
            spawn_reported(context["deps"], slow_part(), respond=respond, name="slow_part")

        with rendered_logs() as logs:
            response_url = service.slack.new_response_url(channel="C0REVIEWS", user_id=USER_ID)
            body = slash_command_body("", command="/broken-later", response_url=response_url)
            response = await service.post_signed(body)
            assert response.status == 200
            await wait_for(lambda: bool(service.slack.responses(response_url)), what="the apology")

        (answer,) = service.slack.responses(response_url)
        found = re.search(r"Reference: `([0-9a-f]{12})`", answer["text"])
        assert found is not None, answer["text"]
        (started,) = logs.events("slow_part_started")
        (failed,) = logs.events("slack_background_failed")
        assert started["request_id"] == failed["request_id"] == failed["reference"] == found[1]
        assert failed["team_id"] == TEAM_ID and "a bug after the ack" in failed["exception"]
