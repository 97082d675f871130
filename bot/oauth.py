"""Slack OAuth v2 settings for Bolt: ``GET /slack/install`` and ``GET /slack/oauth_redirect``."""

from __future__ import annotations

import logging
from urllib.parse import urljoin

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

from bot.config import Settings
from bot.installations import BOT_SCOPES, STATE_EXPIRATION_SECONDS, SlackInstallations

__all__ = ["INSTALL_PATH", "REDIRECT_PATH", "authorize_url", "oauth_settings"]

# Fixed by PRODUCT.md § Interfaces.
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def authorize_url(slack_api_url: str) -> str:
    """Slack's authorize page beside the Web API: https://slack.com/api/ → …/oauth/v2/authorize."""
    return urljoin(slack_api_url, "../oauth/v2/authorize")


def oauth_settings(settings: Settings, installations: SlackInstallations) -> AsyncOAuthSettings:
    """Bolt's OAuth flow on our stores: bot scopes only, state in the database, rotation on."""
    if settings.slack_client_id is None or settings.slack_client_secret is None:
        raise ValueError("OAuth needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    redirect_uri = f"{settings.public_url}{REDIRECT_PATH}" if settings.public_url else None
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        # Explicit: Bolt would otherwise read SLACK_SCOPES / SLACK_USER_SCOPES from os.environ.
        user_scopes=[],
        # None: Slack uses the app's one configured Redirect URL.
        redirect_uri=redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorize_url(settings.slack_api_url),
        installation_store=installations.store,
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=installations.rotation_minutes,
        state_store=installations.state_store,
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
        logger=logging.getLogger("bot.oauth"),
    )
