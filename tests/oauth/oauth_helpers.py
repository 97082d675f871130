"""OAuth-mode services and the install round trip a browser makes, over real HTTP."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from sqlalchemy import select

from bot.crypto import new_webhook_key
from harness import SIGNING_SECRET, Service, running_service
from sandbox.signing import event_body, signed_headers, slash_command_body
from sandbox.slack import SlackStandIn
from sandbox.slack_oauth import SlackOAuthStandIn
from storage.models import Connection
from storage.repositories import upsert_connection, upsert_organizations

JSON = dict[str, Any]
_STAND_IN = SlackOAuthStandIn({}, lambda: 0.0)
CLIENT_ID, CLIENT_SECRET = _STAND_IN.client_id, _STAND_IN.client_secret
PUBLIC_URL = "https://reviews.example.test"
ALPHA, BETA = "T0ALPHA", "T0BETA"
ALPHA_CHANNEL, BETA_CHANNEL = "C0REVIEWS", "C0BETAREVIEWS"

# OAuth mode: no bot token, no environment connections (those are for single-team installs).
OAUTH_ENV = {
    "SLACK_BOT_TOKEN": "",
    "SLACK_CLIENT_ID": CLIENT_ID,
    "SLACK_CLIENT_SECRET": CLIENT_SECRET,
    "PUBLIC_URL": PUBLIC_URL,
    "GUMADO_API_TOKEN": "",
    "GUMADO_WEBHOOK_KEY": "",
    "CLOUTLY_API_KEY": "",
}


@asynccontextmanager
async def oauth_service(
    database_url: str, *, slack: SlackStandIn | None = None, **env: str
) -> AsyncIterator[Service]:
    """The real service in OAuth mode against a fake Slack (a second channel for T0BETA)."""
    async with running_service(database_url, env={**OAUTH_ENV, **env}, slack=slack) as service:
        from sandbox.slack_seed import Channel

        service.slack.add_channel(Channel(BETA_CHANNEL, "beta-reviews", members={"U0ADMIN"}))
        yield service


@asynccontextmanager
async def browser(service: Service) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client that keeps cookies, as a browser does (loopback counts as secure)."""
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[service.base_url])
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        yield session


async def start_install(session: aiohttp.ClientSession, service: Service) -> str:
    """GET /slack/install; return the Slack authorize URL of its "Add to Slack" button."""
    async with session.get(f"{service.base_url}/slack/install") as response:
        assert response.status == 200, await response.text()
        page = await response.text()
    match = re.search(r'<a href="([^"]+)"', page)
    assert match is not None, page
    return html.unescape(match.group(1))


async def approve(session: aiohttp.ClientSession, authorize_url: str) -> dict[str, str]:
    """The installer clicks Allow on Slack's page: the redirect's query (code, state)."""
    async with session.get(authorize_url, allow_redirects=False) as response:
        assert response.status == 302, await response.text()
        location = response.headers["Location"]
    assert location.startswith(f"{PUBLIC_URL}/slack/oauth_redirect?"), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


async def finish_install(
    session: aiohttp.ClientSession, service: Service, query: dict[str, str]
) -> tuple[int, str]:
    """Follow Slack's redirect to GET /slack/oauth_redirect; (status, page)."""
    async with session.get(f"{service.base_url}/slack/oauth_redirect", params=query) as response:
        return response.status, await response.text()


async def install(service: Service, team_id: str, team_name: str) -> str:
    """The whole round trip for ``team_id``; returns the bot token Slack issued."""
    service.slack.oauth.sign_in(team_id, team_name)
    async with browser(service) as session:
        authorize_url = await start_install(session, service)
        query = await approve(session, authorize_url)
        status, page = await finish_install(session, service, query)
    assert status == 200, page
    access = [c for c in service.slack.calls_to("oauth.v2.access") if "code" in c.args]
    assert access and access[-1].args["code"] == query["code"]
    tokens = [t for t, team in service.slack.bot_tokens.items() if team == team_id]
    assert tokens
    return tokens[-1]


async def add_gumado_connection(service: Service, team_id: str, name: str) -> tuple[int, str]:
    """A Gumado connection of ``team_id`` on the sandbox; returns (id, webhook key)."""
    cipher = service.deps.cipher
    assert cipher is not None
    key = new_webhook_key()
    async with service.deps.sessions() as session, session.begin():
        row, _ = await upsert_connection(
            session,
            team_id=team_id,
            name=name,
            platform="gumado",
            token_encrypted=cipher.encrypt(service.sandboxes.gumado.tokens["full"]),
            now=service.deps.clock(),
            webhook_key=key,
            scopes=None,
        )
        # As /reviews connect does: the organizations the token sees, for the invite modal.
        await upsert_organizations(
            session,
            connection_id=row.id,
            organizations=[_Named("1", "Acme Dental Clinic")],
            now=service.deps.clock(),
        )
        return row.id, key


@dataclass(frozen=True)
class _Named:
    id: str
    name: str


async def connections_of(service: Service, team_id: str) -> list[str]:
    """Names of the team's connections."""
    async with service.deps.sessions() as session:
        rows = await session.scalars(select(Connection).where(Connection.team_id == team_id))
        return sorted(row.name for row in rows)


async def slash(
    service: Service,
    text: str,
    *,
    team_id: str,
    channel_id: str,
    user_id: str = "U0ADMIN",
    trigger_id: str | None = None,
) -> tuple[int, JSON | None, str]:
    """``/reviews <text>`` from ``team_id``: (status, ack JSON or None, its response_url)."""
    url = service.slack.new_response_url(channel=channel_id, user_id=user_id)
    body = slash_command_body(
        text,
        team_id=team_id,
        channel_id=channel_id,
        user_id=user_id,
        response_url=url,
        trigger_id=trigger_id or service.slack.issue_trigger_id(),
    )
    async with service.http.post(
        f"{service.base_url}/slack/events",
        data=body.encode(),
        headers=signed_headers(body, SIGNING_SECRET),
    ) as response:
        raw = await response.read()
        status = response.status
    ack = json.loads(raw) if raw.strip().startswith(b"{") else None
    return status, ack, url


async def send_event(service: Service, event: JSON, *, team_id: str, event_id: str) -> int:
    """An Events API event from ``team_id``; the HTTP status."""
    response = await service.post_signed(event_body(event, team_id=team_id, event_id=event_id))
    return response.status
