"""HTTP face of the Gumado sandbox: the ``/api/v1`` routes of the document and ``/_sandbox``.

Every ``/api/v1`` answer carries ``X-RateLimit-Limit``/``X-RateLimit-Remaining`` ("Response
Headers"); 429s add ``Retry-After``. Errors are ``{"message": …}`` (plus ``errors`` on 422).
Bad input gets a 4xx in that shape, never a traceback.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from sandbox.gumado_control import control_routes
from sandbox.gumado_models import (
    BadRequest,
    SandboxInvalid,
    SandboxNotFound,
    json_object,
    parse_int,
)

if TYPE_CHECKING:
    from sandbox.gumado import GumadoSandbox

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PER_PAGE: Final = 10  # "List endpoints return paginated results with 10 items per page."
API_PREFIX: Final = "/api/v1"


def _message(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"message": message}, status=status, headers=headers)


def _integer_filter(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    value = parse_int(raw)
    if value is None:
        label = name.replace("_", " ")
        raise SandboxInvalid({name: [f"The {label} field must be an integer."]})
    return value


def _page_number(request: web.Request) -> int:
    # Laravel's paginator reads an invalid or missing page as page 1.
    page = parse_int(request.query.get("page", "1"))
    return page if page is not None and page >= 1 else 1


def _source_names(request: web.Request) -> list[str] | None:
    if "source_names" in request.query:
        raise SandboxInvalid({"source_names": ["The source names field must be an array."]})
    names = [
        value
        for key, value in request.query.items()
        if key.startswith("source_names[") and key.endswith("]")
    ]
    return [name for name in names if name.strip()] or None


class Api:
    """Route handlers bound to one sandbox."""

    def __init__(self, sandbox: GumadoSandbox) -> None:
        self.sandbox = sandbox
        self.scopes: dict[Handler, tuple[str, ...]] = {}

    def routes(self) -> list[tuple[str, str, Handler, tuple[str, ...]]]:
        """(method, path, handler, scopes) for every endpoint of the document."""
        p = API_PREFIX
        return [
            ("GET", f"{p}/me", self.me, ()),
            ("GET", f"{p}/reviews", self.list_reviews, ("reviews:read",)),
            ("GET", f"{p}/organizations", self.list_organizations, ("organizations:read",)),
            ("GET", f"{p}/organizations/{{id}}", self.get_organization, ("organizations:read",)),
            ("POST", f"{p}/organizations", self.create_organization, ("organizations:create",)),
            (
                "PUT",
                f"{p}/organizations/{{id}}",
                self.update_organization,
                ("organizations:update",),
            ),
            (
                "DELETE",
                f"{p}/organizations/{{id}}",
                self.delete_organization,
                ("organizations:delete",),
            ),
            ("GET", f"{p}/request-reviews/campaigns", self.list_campaigns, ("request:read",)),
            (
                "POST",
                f"{p}/request-reviews/campaigns/{{campaign}}/invite",
                self.send_invite,
                ("request:read", "request:create"),
            ),
            ("GET", f"{p}/sources", self.list_sources, ()),
            ("GET", f"{p}/countries", self.list_countries, ()),
        ]

    def paginate(self, request: web.Request, items: list[dict[str, Any]]) -> dict[str, Any]:
        """The document's "Paginated Response Structure".

        Links carry ``?page=N`` alone, exactly as the document shows them
        (``"next": "https://gumado.com/api/v1/reviews?page=2"``): a client that follows them
        loses its filters, as it would against Gumado.
        """
        page = _page_number(request)
        total = len(items)
        last_page = max(1, math.ceil(total / PER_PAGE))
        chunk = items[(page - 1) * PER_PAGE : page * PER_PAGE]
        first_item = (page - 1) * PER_PAGE + 1 if chunk else None
        base = (
            self.sandbox.links_base_url.rstrip("/") + request.path.removeprefix(API_PREFIX)
            if self.sandbox.links_base_url
            else f"{request.scheme}://{request.host}{request.path}"
        )

        def link(number: int) -> str:
            return f"{base}?page={number}"

        return {
            "data": chunk,
            "links": {
                "first": link(1),
                "last": link(last_page),
                "prev": link(page - 1) if page > 1 else None,
                "next": link(page + 1) if page < last_page else None,
            },
            "meta": {
                "current_page": page,
                "from": first_item,
                "last_page": last_page,
                "per_page": PER_PAGE,
                "to": first_item + len(chunk) - 1 if first_item is not None else None,
                "total": total,
            },
        }

    async def me(self, request: web.Request) -> web.Response:
        """``GET /me``."""
        return web.json_response(self.sandbox.me)

    async def list_reviews(self, request: web.Request) -> web.Response:
        """``GET /reviews`` with rating, organization_id, location_id and source_names[]."""
        rating = _integer_filter(request, "rating")
        if rating is not None and not 1 <= rating <= 5:
            raise SandboxInvalid({"rating": ["The rating field must be between 1 and 5."]})
        reviews = self.sandbox.filtered_reviews(
            rating=rating,
            organization_id=_integer_filter(request, "organization_id"),
            location_id=_integer_filter(request, "location_id"),
            source_names=_source_names(request),
        )
        return web.json_response(self.paginate(request, [r.api() for r in reviews]))

    async def list_organizations(self, request: web.Request) -> web.Response:
        """``GET /organizations``."""
        orgs = [self.sandbox.organizations[k].api() for k in sorted(self.sandbox.organizations)]
        return web.json_response(self.paginate(request, orgs))

    async def get_organization(self, request: web.Request) -> web.Response:
        """``GET /organizations/{id}``."""
        org = self.sandbox.organization(request.match_info["id"])
        return web.json_response({"data": org.api()})

    async def create_organization(self, request: web.Request) -> web.Response:
        """``POST /organizations`` (201)."""
        body = await json_object(request)
        return web.json_response(
            {"data": self.sandbox.create_organization(body.get("name"))}, status=201
        )

    async def update_organization(self, request: web.Request) -> web.Response:
        """``PUT /organizations/{id}``: "name or logo" may change; no name leaves it as is."""
        org = self.sandbox.organization(request.match_info["id"])
        body = await json_object(request)
        if "name" not in body:
            return web.json_response({"data": org.api()})
        return web.json_response({"data": self.sandbox.update_organization(org.id, body["name"])})

    async def delete_organization(self, request: web.Request) -> web.Response:
        """``DELETE /organizations/{id}``."""
        self.sandbox.delete_organization(request.match_info["id"])
        return web.json_response({"message": "Organization deleted successfully."})

    async def list_campaigns(self, request: web.Request) -> web.Response:
        """``GET /request-reviews/campaigns`` with organization_id and search."""
        organization_id = _integer_filter(request, "organization_id")
        search = request.query.get("search", "").strip().casefold()
        campaigns = [
            campaign.api()
            for campaign in self.sandbox.campaigns.values()
            if (organization_id is None or campaign.organization_id == organization_id)
            and search in campaign.name.casefold()
        ]
        return web.json_response(self.paginate(request, campaigns))

    async def send_invite(self, request: web.Request) -> web.Response:
        """``POST /request-reviews/campaigns/{campaign}/invite`` (202)."""
        try:
            campaign_id = str(uuid.UUID(request.match_info["campaign"]))
        except ValueError:
            raise SandboxNotFound("Campaign not found.") from None
        if campaign_id not in self.sandbox.campaigns:
            raise SandboxNotFound("Campaign not found.")
        body = await json_object(request)
        invite = self.sandbox.send_invite(campaign_id, body)
        # 202 also for ignored duplicates and unsubscribed contacts ("Important Behavior Notes").
        return web.json_response(
            {"id": invite.id, "message": "Invites sent successfully."}, status=202
        )

    async def list_sources(self, request: web.Request) -> web.Response:
        """``GET /sources`` (paginated like every list: the document shows links and meta)."""
        return web.json_response(
            self.paginate(request, [source.api() for source in self.sandbox.sources])
        )

    async def list_countries(self, request: web.Request) -> web.Response:
        """``GET /countries``: a plain array, as the document's example shows."""
        return web.json_response(self.sandbox.countries)


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _is_loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


def _allow(error: web.HTTPException) -> dict[str, str]:
    # Keep only "Allow" (405): the exception's own Content-Type must not reach the JSON answer.
    allow = error.headers.get("Allow")
    return {"Allow": allow} if allow else {}


async def _guarded(handler: Handler, request: web.Request) -> web.StreamResponse:
    """Run ``handler``; turn every failure into the platform's ``{"message"}`` shape."""
    try:
        return await handler(request)
    except SandboxInvalid as exc:
        return web.json_response(exc.body(), status=422)
    except SandboxNotFound as exc:
        return _message(404, exc.message)
    except BadRequest as exc:
        return _message(400, str(exc))
    except web.HTTPException as exc:
        return _message(exc.status, exc.reason or "Error", _allow(exc))
    except Exception:
        log.exception("gumado sandbox handler failed")
        return _message(500, "Server Error")


def _fault_response(
    status: int, retry_after: float | str | None, body: str | None, ctype: str | None
) -> web.Response:
    headers: dict[str, str] = {}
    if status == 429:
        if isinstance(retry_after, str):
            headers["Retry-After"] = retry_after
        else:
            headers["Retry-After"] = f"{retry_after if retry_after is not None else 1:g}"
    if body is not None:
        return web.Response(
            text=body, status=status, content_type=ctype or "text/html", headers=headers
        )
    reasons = {429: "Too Many Attempts.", 500: "Server Error"}
    return _message(status, reasons.get(status, "Service Unavailable"), headers)


def build_app(sandbox: GumadoSandbox) -> web.Application:
    """The sandbox's aiohttp application."""
    api = Api(sandbox)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/_sandbox/"):
            if not _is_loopback(request.remote):
                return _message(403, "The sandbox control routes answer loopback clients only.")
            return await _guarded(handler, request)
        if not request.path.startswith("/api/"):
            return await _guarded(handler, request)
        return await _api_request(sandbox, api, request, handler)

    app = web.Application(middlewares=[middleware], client_max_size=1024**2)
    for method, path, handler, scopes in api.routes():
        app.router.add_route(method, path, handler)
        api.scopes[handler] = scopes
    control_routes(app, sandbox)
    return app


async def _api_request(
    sandbox: GumadoSandbox, api: Api, request: web.Request, handler: Handler
) -> web.StreamResponse:
    sandbox.requests.append((request.method, request.path, request.query_string))
    fault = sandbox.take_fault(request.path)
    if fault is not None and fault.delay:
        await sandbox.sleep(fault.delay)
    token = _bearer(request)
    scopes = sandbox.scopes_of(token)
    # "All authenticated requests share the same rate limit bucket": one bucket per token;
    # requests without a valid token share a bucket per client address.
    allowed, remaining, reset_in = sandbox.consume(
        sandbox.token_bucket(token)
        if token is not None and scopes is not None
        else f"ip:{request.remote}"
    )
    headers = {
        "X-RateLimit-Limit": str(sandbox.rate_limit),
        "X-RateLimit-Remaining": str(remaining),
    }
    if not allowed:
        sandbox.throttled += 1
        headers["Retry-After"] = str(sandbox.retry_after(reset_in))
        return _message(429, "Too Many Attempts.", headers)
    if fault is not None and fault.status is not None:
        faulty = _fault_response(fault.status, fault.retry_after, fault.body, fault.content_type)
        faulty.headers.update(headers)
        return faulty
    match = request.match_info
    if match.http_exception is not None:
        error = match.http_exception
        return _message(error.status, error.reason, {**_allow(error), **headers})
    if scopes is None:
        return _message(401, "Unauthenticated.", headers)
    for scope in api.scopes.get(match.handler, ()):
        if scope not in scopes:
            return _message(
                403,
                f"This action is unauthorized. The API token lacks the {scope} permission.",
                headers,
            )
    response = await _guarded(handler, request)
    response.headers.update(headers)
    return response
