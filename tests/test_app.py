"""The composed service: start-up with Slack and platform connections, signed Slack requests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.errors import StartupError
from harness import running_service
from sandbox.signing import url_verification_body
from storage.models import Connection


async def test_starts_with_env_connections_and_encrypted_tokens(database_url: str) -> None:
    async with running_service(database_url) as service:
        async with service.http.get(f"{service.base_url}/healthz") as response:
            assert response.status == 200
        assert service.deps.workspace is not None
        assert service.deps.workspace.team_id == "T0DEMO"
        async with service.deps.sessions() as session:
            rows = (await session.scalars(select(Connection).order_by(Connection.name))).all()
        assert [(c.name, c.platform, c.healthy) for c in rows] == [
            ("cloutly", "cloutly", True),
            ("gumado", "gumado", True),
        ]
        token = service.sandboxes.gumado.tokens["full"]
        assert all(token not in c.token_encrypted for c in rows)


async def test_unsigned_slack_request_is_refused(database_url: str) -> None:
    async with running_service(database_url) as service:
        body = url_verification_body("abc")
        async with service.http.post(f"{service.base_url}/slack/events", data=body) as response:
            assert response.status == 401
        response = await service.post_signed(body)
        assert response.status == 200


async def test_refused_platform_token_is_a_warning_and_an_unhealthy_connection(
    database_url: str,
) -> None:
    env = {"GUMADO_API_TOKEN": "99|not-a-real-token", "CLOUTLY_API_KEY": ""}
    async with running_service(database_url, env=env) as service:
        # A refused token never makes the service unhealthy. (/healthz gives the database
        # 1.5 s; on a loaded machine the first probe may miss that, so ask up to three times.)
        statuses = []
        for _ in range(3):
            async with service.http.get(f"{service.base_url}/healthz") as response:
                statuses.append(response.status)
                if response.status == 200:
                    assert (await response.json())["status"] == "ok"
                    break
        assert statuses[-1] == 200, statuses
        async with service.deps.sessions() as session:
            rows = (await session.scalars(select(Connection))).all()
        assert [(c.name, c.healthy) for c in rows] == [("gumado", False)]
        assert rows[0].last_error and "99|not-a-real-token" not in rows[0].last_error
        assert "99|not-a-real-token" not in rows[0].token_encrypted


async def test_tokens_without_an_encryption_key_stop_start_up(database_url: str) -> None:
    with pytest.raises(StartupError) as raised:
        async with running_service(database_url, env={"ENCRYPTION_KEY": ""}):
            pass
    message = str(raised.value)
    assert "ENCRYPTION_KEY" in message and "Fernet.generate_key" in message
    assert "GUMADO_API_TOKEN" in message


async def test_webhook_key_is_generated_once_and_kept_across_restarts(database_url: str) -> None:
    env = {"GUMADO_WEBHOOK_KEY": "", "CLOUTLY_API_KEY": ""}
    keys = []
    for _ in range(2):
        async with running_service(database_url, env=env) as service:
            async with service.deps.sessions() as session:
                connection = (await session.scalars(select(Connection))).one()
            keys.append(connection.webhook_key)
            assert connection.webhook_key is not None and len(connection.webhook_key) >= 22
            url = f"{service.base_url}/webhooks/gumado/{connection.webhook_key}"
            async with service.http.post(url, data=b"not json") as response:
                assert response.status == 400  # the generated key is live: only the body is bad
    assert keys[0] == keys[1]
