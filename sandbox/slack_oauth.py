"""Slack OAuth v2 of the stand-in: the authorize page, ``oauth.v2.access`` and app-level tokens.

A test (or the demo) "signs the browser in" to a workspace with :meth:`SlackOAuthStandIn.sign_in`;
``GET /oauth/v2/authorize`` then approves at once and redirects to the app's redirect URI with
a one-time code, as Slack does after the installer clicks *Allow*. ``oauth.v2.access`` trades the
code (or, with token rotation on, a refresh token) for a bot token that the Web API of the
stand-in then accepts for that workspace.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from sandbox.slack_seed import APP_ID, BOT_USER_ID
from sandbox.slack_state import JSON

__all__ = ["CREDENTIAL_METHODS", "SlackOAuthStandIn", "Workspace"]

# Web API methods authenticated by client id/secret or an app-level token, not a bot token.
CREDENTIAL_METHODS = frozenset({"oauth.v2.access", "apps.connections.open"})
CODE_LIFETIME_SECONDS = 600  # "codes expire after ten minutes" (Slack, Installing with OAuth)


@dataclass(frozen=True)
class Workspace:
    """A workspace someone can install the app into."""

    team_id: str
    team_name: str
    installer_user_id: str = "U0ADMIN"


@dataclass(frozen=True)
class _Grant:
    workspace: Workspace
    scopes: str
    redirect_uri: str | None
    issued_at: float


class SlackOAuthStandIn:
    """Client credentials, authorization codes, refresh tokens and app-level tokens."""

    def __init__(self, bot_tokens: MutableMapping[str, str], clock: Callable[[], float]) -> None:
        self.client_id = "1234567890.1234567890"
        self.client_secret = "stand-in-client-secret"
        self.app_tokens: set[str] = {"xapp-1-A0DEMO-1-standin"}
        self.token_lifetime_seconds: int | None = None
        """None: long-lived bot tokens; a number: rotating tokens with refresh tokens."""
        self.signed_in: Workspace | None = None
        self._bot_tokens = bot_tokens
        self._issued: set[str] = set()
        self._clock = clock
        self._codes: dict[str, _Grant] = {}
        self._refresh_tokens: dict[str, _Grant] = {}
        self._serial = 0

    def sign_in(self, team_id: str, team_name: str, *, installer_user_id: str = "U0ADMIN") -> None:
        """The browser that opens the authorize page is signed in to this workspace."""
        self.signed_in = Workspace(team_id, team_name, installer_user_id)

    def revoke(self, team_id: str) -> None:
        """Every token of ``team_id`` stops working (the app was uninstalled there)."""
        for token, owner in list(self._bot_tokens.items()):
            if owner == team_id:
                del self._bot_tokens[token]
        for refresh, grant in list(self._refresh_tokens.items()):
            if grant.workspace.team_id == team_id:
                del self._refresh_tokens[refresh]

    # -- the browser side -------------------------------------------------------------------

    async def authorize_page(self, request: web.Request) -> web.Response:
        """``GET /oauth/v2/authorize``: approve for the signed-in workspace, redirect with a code."""
        query = request.query
        if query.get("client_id") != self.client_id:
            return web.Response(status=400, text="invalid_client_id")
        redirect_uri = query.get("redirect_uri")
        if self.signed_in is None:
            return web.Response(status=401, text="sign in to a workspace first (sign_in)")
        code = f"{self._next()}.{secrets.token_hex(8)}"
        self._codes[code] = _Grant(
            self.signed_in, query.get("scope", ""), redirect_uri, self._clock()
        )
        target = redirect_uri or "https://app.invalid/slack/oauth_redirect"
        params = {"code": code, "state": query.get("state", "")}
        return web.Response(status=302, headers={"Location": f"{target}?{urlencode(params)}"})

    # -- the Web API side -------------------------------------------------------------------

    def call(self, method: str, args: JSON, authorization: str) -> JSON:
        """Answer ``oauth.v2.access`` or ``apps.connections.open`` (the latter without a URL)."""
        if method == "apps.connections.open":
            token = authorization.removeprefix("Bearer ").strip() or str(args.get("token", ""))
            if not token:
                return {"ok": False, "error": "not_authed"}
            if token not in self.app_tokens:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True}
        return self._access(args, authorization)

    def _access(self, args: JSON, authorization: str) -> JSON:
        client_id, client_secret = _basic_credentials(authorization)
        client_id = client_id or str(args.get("client_id", ""))
        client_secret = client_secret or str(args.get("client_secret", ""))
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        if args.get("grant_type") == "refresh_token":
            grant = self._refresh_tokens.get(str(args.get("refresh_token", "")))
            if grant is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            return self._issue(grant, refresh_token=str(args["refresh_token"]))
        grant = self._codes.pop(str(args.get("code", "")), None)
        if grant is None or self._clock() - grant.issued_at > CODE_LIFETIME_SECONDS:
            return {"ok": False, "error": "invalid_code"}
        if grant.redirect_uri is not None and args.get("redirect_uri") != grant.redirect_uri:
            return {"ok": False, "error": "bad_redirect_uri"}
        body = self._issue(grant, refresh_token=None)
        body["authed_user"] = {"id": grant.workspace.installer_user_id}
        return body

    def issued_tokens(self) -> set[str]:
        """Bot tokens this OAuth flow issued: a distributed app's (history at Tier 1)."""
        return self._issued

    def _issue(self, grant: _Grant, *, refresh_token: str | None) -> JSON:
        workspace = grant.workspace
        serial = self._next()
        rotating = self.token_lifetime_seconds is not None
        prefix = "xoxe.xoxb-1" if rotating else "xoxb"
        token = f"{prefix}-{workspace.team_id}-{serial}-{secrets.token_hex(12)}"
        self._bot_tokens[token] = workspace.team_id
        self._issued.add(token)
        body: JSON = {
            "ok": True,
            "app_id": APP_ID,
            "access_token": token,
            "token_type": "bot",
            "scope": grant.scopes,
            "bot_user_id": BOT_USER_ID,
            "team": {"id": workspace.team_id, "name": workspace.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if rotating:
            if refresh_token is None:
                refresh_token = f"xoxe-1-{workspace.team_id}-{secrets.token_hex(16)}"
                self._refresh_tokens[refresh_token] = grant
            body["refresh_token"] = refresh_token
            body["expires_in"] = self.token_lifetime_seconds
        return body

    def _next(self) -> int:
        self._serial += 1
        return self._serial


def _basic_credentials(authorization: str) -> tuple[str, str]:
    """(client_id, client_secret) from ``Authorization: Basic …``, or empty strings."""
    if not authorization.startswith("Basic "):
        return "", ""
    try:
        decoded = base64.b64decode(authorization.removeprefix("Basic ").strip()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    client_id, _, client_secret = decoded.partition(":")
    return client_id, client_secret
