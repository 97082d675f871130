"""Webhook intake (being built): POST /webhooks/gumado/{webhook_key}."""

from __future__ import annotations

from aiohttp import web


async def gumado_webhook(request: web.Request) -> web.Response:
    """Placeholder until intake lands: nothing is accepted."""
    raise web.HTTPNotFound(text="unknown webhook")
