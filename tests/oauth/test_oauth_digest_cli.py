"""``reviewbot digest`` in OAuth mode posts with the workspace's own installation."""

from __future__ import annotations

import asyncio
import os
import sys

from oauth_helpers import (
    ALPHA,
    ALPHA_CHANNEL,
    CLIENT_ID,
    CLIENT_SECRET,
    add_gumado_connection,
    install,
    oauth_service,
)

from bot.config import EXPECTED
from harness import ENCRYPTION_KEY


async def test_the_digest_command_posts_with_the_workspace_installation(database_url: str) -> None:
    async with oauth_service(database_url) as service:
        token = await install(service, ALPHA, "Alpha Dental")
        await add_gumado_connection(service, ALPHA, "alpha")
        env = {k: v for k, v in os.environ.items() if k not in EXPECTED}
        env.update(
            DATABASE_URL=service.settings.database_url,
            ENCRYPTION_KEY=ENCRYPTION_KEY,
            SLACK_CLIENT_ID=CLIENT_ID,
            SLACK_CLIENT_SECRET=CLIENT_SECRET,
            SLACK_API_URL=service.slack.api_url,
            LOG_LEVEL="WARNING",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "digest",
            "--org",
            "Acme Dental Clinic",
            "--no-sync",
            "--channel",
            ALPHA_CHANNEL,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, err.decode()
        assert f"Posted in {ALPHA_CHANNEL}" in out.decode()
        [post] = service.slack.calls_to("chat.postMessage")
        assert post.headers["authorization"] == f"Bearer {token}"
