"""The composed service: start-up with Slack and platform connections, signed Slack requests."""

from __future__ import annotations

from sqlalchemy import select

from fakes.signing import url_verification_body
from harness import running_service
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
