"""Many workspaces: the OAuth v2 round trip against the fake oauth.v2.access, over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from oauth_helpers import (
    ALPHA,
    ALPHA_CHANNEL,
    CLIENT_ID,
    PUBLIC_URL,
    approve,
    browser,
    finish_install,
    oauth_service,
    slash,
    start_install,
)
from sqlalchemy import text

from bot.app import build_app
from bot.config import load_settings
from bot.errors import StartupError
from bot.installations import BOT_SCOPES
from fakes.slack import running_fake_slack
from harness import running_service, service_environment

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


async def test_install_round_trip_stores_an_encrypted_installation(database_url: str) -> None:
    async with oauth_service(database_url) as service:
        service.slack.oauth.sign_in(ALPHA, "Alpha Dental")
        async with browser(service) as session:
            authorize_url = await start_install(session, service)
            assert authorize_url.startswith(f"{service.slack.root_url}/oauth/v2/authorize?")
            assert f"client_id={CLIENT_ID}" in authorize_url
            assert "chat:write,chat:write.public," in authorize_url  # the manifest's scopes
            query = await approve(session, authorize_url)
            status, page = await finish_install(session, service, query)
        assert status == 200, page
        (access,) = service.slack.calls_to("oauth.v2.access")
        assert access.args["redirect_uri"] == f"{PUBLIC_URL}/slack/oauth_redirect"
        token = next(t for t, team in service.slack.bot_tokens.items() if team == ALPHA)

        # Stored in our database, the token encrypted (never in clear).
        async with service.deps.engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT team_id, bot_token, client_id FROM slack_bots"))
            ).all()
            installs = (await conn.execute(text("SELECT team_id FROM slack_installations"))).all()
        assert [(r.team_id, r.client_id) for r in rows] == [(ALPHA, CLIENT_ID)]
        assert [r.team_id for r in installs] == [ALPHA]
        assert token not in rows[0].bot_token
        installations = service.deps.installations
        assert installations is not None
        assert await installations.bot_token(ALPHA) == token

        # Requests from the new workspace are authorized with its own token.
        status, ack, _ = await slash(service, "help", team_id=ALPHA, channel_id=ALPHA_CHANNEL)
        assert status == 200 and ack is not None and "/reviews" in str(ack)
        # A workspace that never installed the app gets nothing done.
        status, ack, _ = await slash(service, "help", team_id="T0NOBODY", channel_id="C0X")
        assert "/reviews list" not in str(ack)


async def test_a_forged_or_reused_state_installs_nothing(database_url: str) -> None:
    async with oauth_service(database_url) as service:
        service.slack.oauth.sign_in(ALPHA, "Alpha Dental")
        async with browser(service) as session:
            query = await approve(session, await start_install(session, service))
            # Another browser (without the state cookie), with a state we never issued.
            async with browser(service) as attacker:
                forged = {**query, "state": "not-the-state-we-issued"}
                status, _ = await finish_install(attacker, service, forged)
                assert status in (400, 401)
                status, _ = await finish_install(attacker, service, query)
                assert status in (400, 401)
            status, page = await finish_install(session, service, query)
            assert status == 200, page
            # The state was consumed: the same redirect again is refused.
            status, _ = await finish_install(session, service, query)
            assert status in (400, 401)
        assert len([c for c in service.slack.calls_to("oauth.v2.access")]) == 1


async def test_a_refused_code_is_an_error_page_and_no_installation(database_url: str) -> None:
    async with oauth_service(database_url) as service:
        service.slack.oauth.sign_in(ALPHA, "Alpha Dental")
        async with browser(service) as session:
            query = await approve(session, await start_install(session, service))
            status, _ = await finish_install(session, service, {**query, "code": "bogus"})
        assert status == 401
        installations = service.deps.installations
        assert installations is not None
        assert not await installations.is_installed(ALPHA)


async def test_single_workspace_mode_has_no_install_routes(database_url: str) -> None:
    async with running_service(database_url) as service:
        assert service.deps.installations is None
        for path in ("/slack/install", "/slack/oauth_redirect"):
            async with service.http.get(f"{service.base_url}{path}") as response:
                assert response.status == 404


async def test_oauth_without_encryption_key_does_not_start(tmp_path: Path) -> None:
    async with running_fake_slack() as slack:
        from sandbox.runner import start_sandboxes

        boxes = await start_sandboxes()
        try:
            env = service_environment(
                boxes,
                slack,
                f"sqlite:///{tmp_path / 'db.sqlite'}",
                SLACK_BOT_TOKEN="",
                SLACK_CLIENT_ID=CLIENT_ID,
                SLACK_CLIENT_SECRET="secret",
                ENCRYPTION_KEY="",
                GUMADO_API_TOKEN="",
                GUMADO_WEBHOOK_KEY="",
                CLOUTLY_API_KEY="",
            )
            with pytest.raises(StartupError, match="ENCRYPTION_KEY"):
                await build_app(load_settings(env))
        finally:
            await boxes.stop()


def test_oauth_asks_for_the_manifest_bot_scopes() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    redirect_urls = manifest["oauth_config"]["redirect_urls"]
    assert any(url.endswith("/slack/oauth_redirect") for url in redirect_urls)
