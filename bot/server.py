"""aiohttp routes: Slack events, Slack OAuth, Gumado webhooks, health and metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from bot.log import new_request_id
from bot.metrics import CONTENT_TYPE_LATEST
from bot.oauth import INSTALL_PATH, REDIRECT_PATH
from bot.pipeline.webhook import platform_webhook
from bot.slack_app import verifies_requests
from storage.engine import ping

DEPS_KEY = web.AppKey("deps", Deps)
BOLT_KEY = web.AppKey("bolt", AsyncApp)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def observed(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request: a fresh ``request_id`` bound for each line it logs; counted and timed.

    Contextvars bound here and by handlers (the team, the webhook's connection) end with the
    request: aiohttp runs each request in a task of its own, on a copy of the context. The
    copy is cleared first, in case the server was started from a context with bindings.
    Counted by route pattern, never the raw path: it holds keys. (One middleware rather
    than two: webhooks at thousands a second feel each layer.)
    """
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=new_request_id())
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        request.app[DEPS_KEY].metrics.http_request_served(
            route, status, time.perf_counter() - started
        )


async def healthz(request: web.Request) -> web.Response:
    """200 with the database status, or 503 when the database cannot be reached."""
    deps = request.app[DEPS_KEY]
    database_ok = await ping(deps.engine)
    deps.metrics.database_up.set(1 if database_ok else 0)
    body = {
        "status": "ok" if database_ok else "unavailable",
        "database": {"kind": deps.settings.database_kind, "ok": database_ok},
    }
    return web.json_response(body, status=200 if database_ok else 503)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition."""
    deps = request.app[DEPS_KEY]
    response = web.Response(body=deps.metrics.render())
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


async def slack_events(request: web.Request) -> web.Response:
    """Every Slack request (commands, interactivity, options, events) goes through Bolt."""
    bolt = request.app[BOLT_KEY]
    response = await bolt.async_dispatch(await to_bolt_request(request))
    return await to_aiohttp_response(response)


async def slack_install(request: web.Request) -> web.Response:
    """``GET /slack/install``: the "Add to Slack" page, with a fresh OAuth state (cookie too)."""
    flow = request.app[BOLT_KEY].oauth_flow
    if flow is None:
        raise web.HTTPNotFound()
    response = await flow.handle_installation(await to_bolt_request(request))
    return await to_aiohttp_response(response)


async def slack_oauth_redirect(request: web.Request) -> web.Response:
    """``GET /slack/oauth_redirect``: check the state, ``oauth.v2.access``, store the install."""
    flow = request.app[BOLT_KEY].oauth_flow
    if flow is None:
        raise web.HTTPNotFound()
    response = await flow.handle_callback(await to_bolt_request(request))
    return await to_aiohttp_response(response)


def build_web_app(deps: Deps, bolt: AsyncApp | None = None) -> web.Application:
    """The aiohttp application with every route of PRODUCT.md § Interfaces that exists so far."""
    app = web.Application(middlewares=[observed], client_max_size=1024 * 1024)
    app[DEPS_KEY] = deps
    if bolt is not None:
        app[BOLT_KEY] = bolt
        if verifies_requests(deps.settings):
            app.router.add_post("/slack/events", slack_events)
        if bolt.oauth_flow is not None:
            app.router.add_get(INSTALL_PATH, slack_install)
            app.router.add_get(REDIRECT_PATH, slack_oauth_redirect)
    # /webhooks/gumado/{webhook_key} for Gumado; a platform without webhooks answers 404.
    app.router.add_post("/webhooks/{platform}/{webhook_key}", platform_webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app
