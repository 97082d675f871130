"""Slack variables in the process environment switch no mode behind the settings' back.

slack_bolt reads SLACK_CLIENT_ID / SLACK_CLIENT_SECRET, SLACK_SIGNING_SECRET, SLACK_REDIRECT_URI
and more from os.environ by itself (SLACK_FACTS §1, §8). The service is built from the settings
it is given, as the demo and every test build it, whatever the shell exports.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from oauth_helpers import CLIENT_ID, browser, oauth_service, start_install

from harness import running_service
from sandbox.signing import signed_headers, slash_command_body

SHELL = {
    "SLACK_CLIENT_ID": CLIENT_ID,
    "SLACK_CLIENT_SECRET": "shell-client-secret",
    "SLACK_SIGNING_SECRET": "shell-signing-secret",
    "SLACK_BOT_TOKEN": "xoxb-shell-token",
    "SLACK_REDIRECT_URI": "https://elsewhere.example/slack/oauth_redirect",
    "SLACK_SCOPES": "admin",
}


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The shell exports Slack variables the settings under test do not carry."""
    monkeypatch.setenv("HOME", str(tmp_path))  # Bolt's default file stores live in ~
    for name, value in SHELL.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("shell")
async def test_single_workspace_stays_single_workspace(database_url: str) -> None:
    async with running_service(database_url) as service:
        assert service.settings.mode == "http, single-workspace"
        for path in ("/slack/install", "/slack/oauth_redirect"):
            async with service.http.get(f"{service.base_url}{path}") as response:
                assert response.status == 404, path
        # Requests are checked with the settings' signing secret, not the shell's.
        body = slash_command_body("help")
        headers = signed_headers(body, SHELL["SLACK_SIGNING_SECRET"])
        url = f"{service.base_url}/slack/events"
        async with service.http.post(url, data=body, headers=headers) as response:
            assert response.status == 401
        response, _ = await service.slash("help")
        assert response.status == 200
    # Hidden from Bolt only while it was built.
    assert all(os.environ[name] == value for name, value in SHELL.items())


@pytest.mark.usefixtures("shell")
async def test_oauth_takes_no_redirect_uri_or_scopes_from_the_shell(database_url: str) -> None:
    async with oauth_service(database_url, PUBLIC_URL="") as service:
        async with browser(service) as session:
            authorize_url = await start_install(session, service)
        assert "elsewhere.example" not in authorize_url
        assert "redirect_uri" not in authorize_url  # Slack uses the app's configured one
        assert "admin" not in authorize_url and "chat:write" in authorize_url
