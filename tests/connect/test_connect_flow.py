"""``/reviews connect``: the modal, the live token check, scopes, rotation, secrets at rest."""

from __future__ import annotations

import json
import logging

import pytest
from admin_helpers import (
    all_text,
    connection_count,
    connection_named,
    latest_view,
    slash,
    submit_connect,
)
from blocks.limits import assert_message_within_limits, assert_view_within_limits
from sqlalchemy import select

from bot.blocks.ids import (
    BLOCK_CONNECT_CREDENTIAL,
    BLOCK_CONNECT_NAME,
    BLOCK_CONNECT_PLATFORM,
    BLOCK_CONNECT_PROBLEM,
    CALLBACK_CONNECT,
    CALLBACK_CONNECT_NOTICE,
)
from harness import WEBHOOK_KEY, Service, running_service
from sandbox.gumado import ALL_SCOPES
from storage.models import Connection, Organization

NEEDED = ["reviews:read", "organizations:read", "request:read", "request:create"]


async def _open(service: Service, user_id: str = "U0ADMIN") -> str:
    ack, url = await slash(service, "connect", user_id=user_id)
    assert ack is None
    [opened] = service.slack.calls_to("views.open")[-1:]
    assert opened.args["view"]["callback_id"] == CALLBACK_CONNECT_NOTICE  # "Loading…" first
    return url


def _everything_slack_saw(service: Service) -> str:
    return json.dumps([call.args for call in service.slack.calls], default=str)


async def test_gumado_connect_checks_live_saves_encrypted_and_gives_the_webhook_steps(
    database_url: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_service(database_url, env={"LOG_LEVEL": "DEBUG"}) as service:
        token = service.sandboxes.gumado.add_token("acme", ALL_SCOPES)
        invites_before = len(service.sandboxes.gumado.invites)
        url = await _open(service)
        form = latest_view(service, CALLBACK_CONNECT)
        assert_view_within_limits(form)
        intro = all_text(form)
        assert "`gumado`" in intro and "`cloutly`" in intro  # the names already taken

        ack, _ = await submit_connect(service, "gumado", token, "acme-main")
        assert ack is not None and ack["response_action"] == "update"
        assert "Connected *acme-main* (Gumado)" in all_text(ack["view"])

        row = await connection_named(service, "acme-main")
        assert row is not None and row.platform == "gumado" and row.team_id == "T0DEMO"
        assert sorted(row.scopes or []) == sorted(NEEDED)
        assert row.webhook_key and len(row.webhook_key) >= 32
        assert row.webhook_key != WEBHOOK_KEY
        assert service.deps.cipher is not None
        assert service.deps.cipher.decrypt(row.token_encrypted) == token
        # Nothing in the stored row reads as the token (or a piece of it).
        async with service.deps.sessions() as session:
            raw = (
                await session.execute(
                    select(Connection.__table__).where(Connection.name == "acme-main")
                )
            ).one()
        stored = json.dumps(list(raw), default=str)
        assert token not in stored and token.split("|")[1][:12] not in stored
        async with service.deps.sessions() as session:
            orgs = list(
                await session.scalars(
                    select(Organization.name).where(Organization.connection_id == row.id)
                )
            )
        assert "Acme Dental Clinic" in orgs

        # The lasting private message: the webhook URL and the exact Gumado steps.
        [message] = service.slack.responses(url)
        assert message["response_type"] == "ephemeral"
        assert_message_within_limits(message)
        shown = all_text(message)
        hook = f"https://reviews.example.test/webhooks/gumado/{row.webhook_key}"
        assert hook in shown
        assert "Settings → API & Webhooks" in shown
        for event in [
            "review-created",
            "review-updated",
            "organization-created",
            "organization-updated",
            "organization-deleted",
            "location-created",
            "location-updated",
            "location-deleted",
        ]:
            assert f"`{event}`" in shown
        assert "⚠️" not in shown

        # The scope probe for request:create sent no invite.
        assert len(service.sandboxes.gumado.invites) == invites_before
        # The new webhook URL works at once.
        async with service.http.post(
            f"{service.base_url}/webhooks/gumado/{row.webhook_key}",
            json={"webhook_event": "organization-updated", "id": 1, "name": "Acme Dental"},
        ) as response:
            assert response.status == 200

        # The token is nowhere in what Slack was sent, nor in any log line.
        assert token not in _everything_slack_saw(service)
    captured = capfd.readouterr()
    assert "connection_connected" in caplog.text + captured.err + captured.out
    for text in (caplog.text, captured.err, captured.out):
        assert token not in text
        assert token.split("|")[1] not in text


async def test_a_refused_token_is_an_inline_error_and_nothing_is_saved(database_url: str) -> None:
    async with running_service(database_url) as service:
        url = await _open(service)
        before = await connection_count(service)
        ack, _ = await submit_connect(service, "gumado", "99|not-a-real-token", "acme-main")
        assert ack is not None and ack["response_action"] == "errors"
        assert set(ack["errors"]) == {BLOCK_CONNECT_CREDENTIAL}
        assert "refused this token" in ack["errors"][BLOCK_CONNECT_CREDENTIAL]
        assert "not-a-real-token" not in json.dumps(ack)
        assert await connection_count(service) == before
        assert await connection_named(service, "acme-main") is None
        assert service.slack.responses(url) == []

        ack, _ = await submit_connect(service, "cloutly", "wrong-key", "shops")
        assert ack is not None and ack["response_action"] == "errors"
        assert "Cloutly refused this token" in ack["errors"][BLOCK_CONNECT_CREDENTIAL]
        assert await connection_count(service) == before


async def test_plain_mistakes_are_inline_before_any_platform_call(database_url: str) -> None:
    async with running_service(database_url) as service:
        await _open(service)
        requests = len(service.sandboxes.gumado.requests)
        ack, _ = await submit_connect(service, None, "", "1 <!channel> bad name")
        assert ack is not None and ack["response_action"] == "errors"
        assert set(ack["errors"]) == {
            BLOCK_CONNECT_PLATFORM,
            BLOCK_CONNECT_CREDENTIAL,
            BLOCK_CONNECT_NAME,
        }
        assert "starting with a letter" in ack["errors"][BLOCK_CONNECT_NAME]
        assert len(service.sandboxes.gumado.requests) == requests


async def test_missing_scopes_are_saved_with_a_warning_naming_what_will_not_work(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        gumado = service.sandboxes.gumado
        no_create = gumado.add_token(
            "no_create", {"reviews:read", "organizations:read", "request:read"}
        )
        invites_before = len(gumado.invites)
        url = await _open(service)
        ack, _ = await submit_connect(service, "gumado", no_create, "no-create")
        assert ack is not None and ack["response_action"] == "update"
        row = await connection_named(service, "no-create")
        assert row is not None
        assert sorted(row.scopes or []) == ["organizations:read", "request:read", "reviews:read"]
        [message] = service.slack.responses(url)
        shown = all_text(message)
        assert "lacks `request:create`: review invites" in shown
        assert "request:read`" not in shown.replace("request:read and", "")
        assert len(gumado.invites) == invites_before  # refused with 403, nothing sent

        await _open(service)
        ack, _ = await submit_connect(service, "gumado", gumado.tokens["read_only"], "read-only")
        row = await connection_named(service, "read-only")
        assert row is not None
        shown = all_text(ack)
        assert "lacks `request:read`" in shown
        assert "invite" in shown
        assert "reviews:read`:" not in shown and "organizations:read`:" not in shown

        await _open(service)
        ack, _ = await submit_connect(service, "gumado", gumado.tokens["no_scopes"], "bare")
        row = await connection_named(service, "bare")
        assert row is not None and row.scopes == []
        shown = all_text(ack)
        for scope in ("reviews:read", "organizations:read", "request:read"):
            assert f"lacks `{scope}`" in shown


async def test_a_scope_the_check_could_not_reach_is_unverified_never_missing(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        gumado = service.sandboxes.gumado
        # Gumado fails on the organizations probe (every retry): not a 403, so no verdict.
        gumado.inject_fault(status=500, count=10, path="/api/v1/organizations")
        url = await _open(service)
        await submit_connect(service, "gumado", gumado.tokens["full"], "flaky")
        await service.settle()
        row = await connection_named(service, "flaky")
        assert row is not None
        shown = all_text(service.slack.responses(url))
        assert "Could not check `organizations:read`" in shown
        assert "lacks `organizations:read`" not in shown
        _, url = await slash(service, "status")
        [status] = service.slack.responses(url)
        assert "lacks" not in all_text(status), "only a 403 makes a scope missing"


async def test_same_name_same_platform_rotates_the_token_and_keeps_the_webhook_url(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        before = await connection_named(service, "gumado")
        assert before is not None and before.webhook_key == WEBHOOK_KEY
        count = await connection_count(service)
        new_token = service.sandboxes.gumado.add_token("rotated", ALL_SCOPES)
        url = await _open(service)
        ack, _ = await submit_connect(service, "gumado", new_token, "GUMADO")
        assert ack is not None and ack["response_action"] == "update"
        after = await connection_named(service, "gumado")
        assert after is not None and after.id == before.id
        assert after.webhook_key == WEBHOOK_KEY
        assert after.token_encrypted != before.token_encrypted
        assert service.deps.cipher is not None
        assert service.deps.cipher.decrypt(after.token_encrypted) == new_token
        assert await connection_count(service) == count
        shown = all_text(service.slack.responses(url))
        assert "was replaced" in shown and "webhook URL is unchanged" in shown
        assert WEBHOOK_KEY not in shown  # nothing to paste again
        async with service.http.post(
            service.webhook_url,
            json={"webhook_event": "organization-updated", "id": 1, "name": "Acme Dental"},
        ) as response:
            assert response.status == 200


async def test_a_name_taken_by_the_other_platform_is_a_clear_error(database_url: str) -> None:
    async with running_service(database_url) as service:
        await _open(service)
        key = service.sandboxes.cloutly.tokens["api_key"]
        requests = len(service.sandboxes.cloutly.requests)
        ack, _ = await submit_connect(service, "cloutly", key, "Gumado")
        assert ack is not None and ack["response_action"] == "errors"
        assert "already the name of a Gumado connection" in ack["errors"][BLOCK_CONNECT_NAME]
        assert len(service.sandboxes.cloutly.requests) == requests  # refused before the check
        row = await connection_named(service, "gumado")
        assert row is not None and row.platform == "gumado"


async def test_a_second_cloutly_connection_is_polled_and_has_no_webhook(database_url: str) -> None:
    async with running_service(database_url) as service:
        service.sandboxes.cloutly.tokens["second"] = "cl-second-key-0123456789"
        url = await _open(service)
        ack, _ = await submit_connect(service, "cloutly", "cl-second-key-0123456789", "shops")
        assert ack is not None and ack["response_action"] == "update"
        row = await connection_named(service, "shops")
        assert row is not None and row.platform == "cloutly" and row.webhook_key is None
        shown = all_text(service.slack.responses(url))
        assert "Cloutly has no webhooks" in shown and "/webhooks/gumado/" not in shown


async def test_only_admins_connect(database_url: str) -> None:
    async with running_service(database_url) as service:
        await _open(service, user_id="U0FRONT")
        notice = latest_view(service, CALLBACK_CONNECT_NOTICE)
        assert "Only workspace admins" in all_text(notice)
        assert not [v for v in service.slack.views.values() if v["callback_id"] == CALLBACK_CONNECT]

        # A forged submission from a non-admin is refused too.
        await _open(service)
        token = service.sandboxes.gumado.add_token("forged", ALL_SCOPES)
        ack, _ = await submit_connect(service, "gumado", token, "forged", user_id="U0FRONT")
        assert ack is not None and ack["response_action"] == "update"
        assert "Only workspace admins" in all_text(ack["view"])
        assert await connection_named(service, "forged") is None


async def test_a_slow_check_says_checking_then_shows_the_result(database_url: str) -> None:
    async with running_service(database_url) as service:
        gumado = service.sandboxes.gumado
        token = gumado.add_token("slow", ALL_SCOPES)
        url = await _open(service)
        gumado.inject_fault(delay=2.5, path="/api/v1/me")
        ack, elapsed = await submit_connect(service, "gumado", token, "slow-one")
        assert elapsed < 2.5
        assert ack is not None and ack["response_action"] == "update"
        assert "Checking the token with Gumado…" in all_text(ack["view"])
        # settle() waited for the check: the same modal now shows the result.
        modal = latest_view(service, CALLBACK_CONNECT_NOTICE)
        assert "Connected *slow-one* (Gumado)" in all_text(modal)
        assert await connection_named(service, "slow-one") is not None
        assert "/webhooks/gumado/" in all_text(service.slack.responses(url))

        # Slow and refused: the form comes back with the problem and an empty token field.
        await _open(service)
        gumado.inject_fault(delay=2.5, path="/api/v1/me")
        ack, _ = await submit_connect(service, "gumado", "98|slow-and-wrong", "slow-two")
        assert ack is not None and "Checking" in all_text(ack["view"])
        form = latest_view(service, CALLBACK_CONNECT)
        problem = next(b for b in form["blocks"] if b.get("block_id") == BLOCK_CONNECT_PROBLEM)
        assert "refused this token" in all_text(problem)
        assert "slow-and-wrong" not in json.dumps(form)
        name = next(b for b in form["blocks"] if b.get("block_id") == BLOCK_CONNECT_NAME)
        assert name["element"]["initial_value"] == "slow-two"
        assert await connection_named(service, "slow-two") is None
