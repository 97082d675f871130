"""An in-process Cloutly API sandbox speaking the document's protocol on 127.0.0.1.

Routes under ``/api/v1`` (the real base is ``https://app.cloutly.com/api/v1``): ``GET
/businesses``, ``GET /reviews`` and ``POST /send-review-invite``, authenticated with the
``x-api-key`` header and rate-limited per key. Errors use the NestJS shape Cloutly's API
answers with (``{"statusCode": 400, "message": [...], "error": "Bad Request"}``). Control
routes under ``/_sandbox/`` (no auth; a loopback tool) add and edit reviews — Cloutly has no
webhooks, the app polls — inject faults and show the invites received.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from sandbox.cloutly_data import (
    API_KEY,
    SEED_BUSINESSES,
    SMS_LIMIT,
    SUPPORTED_SOURCES,
    api_time,
    make_review,
    new_uuid,
    seed_reviews,
)
from sandbox.cloutly_validation import invite_errors, opt_float, opt_int

__all__ = ["CloutlySandbox"]

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
_REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 413: "Payload Too Large"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(
    status: int, message: str | list[str], headers: dict[str, str] | None = None
) -> web.Response:
    body: dict[str, Any] = {"statusCode": status, "message": message}
    if status in (400, 404, 413):
        body["error"] = _REASONS[status]
    return web.json_response(body, status=status, headers=headers)


@dataclass(slots=True)
class _Fault:
    status: int | None
    delay: float


class CloutlySandbox:
    """A seeded Cloutly account served over HTTP; see the module docstring for the routes."""

    platform = "cloutly"

    def __init__(
        self,
        *,
        seed: int = 7,
        now: Callable[[], datetime] | None = None,
        rate_limit: int = 200,
        window_seconds: float = 60.0,
    ) -> None:
        self.now = now or (lambda: datetime.now(UTC))
        self.rng = random.Random(seed)
        # The document's headline: "The default overall requests limit is 200 per minute".
        self.rate_limit = rate_limit
        self.window_seconds = window_seconds
        self.tokens: dict[str, str] = {"api_key": API_KEY}
        self.businesses: list[dict[str, Any]] = [
            {"id": b.id, "name": b.name, "sources": list(b.sources)} for b in SEED_BUSINESSES
        ]
        # Cloutly has no campaign list endpoint (ids come from the dashboard URL), so the
        # sandbox exposes them here and at GET /_sandbox/campaigns.
        self.campaigns: dict[str, list[tuple[str, str]]] = {
            b.id: b.campaigns() for b in SEED_BUSINESSES
        }
        started = self.now()
        self.reviews: list[dict[str, Any]] = seed_reviews(self.rng, started)
        self.sms_limits_left = SMS_LIMIT
        self.sms_renews = api_time(started + timedelta(days=30))
        self.invites: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, str]] = []
        self._faults: deque[_Fault] = deque()
        self._windows: dict[str, tuple[float, int]] = {}
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self.base_url: str | None = None

    # -- state changes (Python API and control routes) -------------------------------------

    def campaign_summary(self) -> str:
        """Businesses and their campaign ids, one per line, for people to copy."""
        lines = []
        for business in self.businesses:
            lines.append(f"{business['name']}  businessId={business['id']}")
            lines.extend(
                f"    campaign {name!r}  campaignId={cid}"
                for cid, name in self.campaigns[business["id"]]
            )
        return "\n".join(lines)

    def inject_fault(
        self,
        *,
        status: int | None = None,
        count: int = 1,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``count`` API requests wait ``delay`` s and/or answer ``status``.

        A 429 carries no ``Retry-After``: the document never mentions one.
        """
        if status is not None and not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if count < 1 or delay < 0:
            raise ValueError("count must be >= 1 and delay >= 0")
        self._faults.extend(_Fault(status, delay) for _ in range(count))

    def add_review(self, **fields: Any) -> dict[str, Any]:
        """Add a review (API field names; unspecified ones are generated) and return it."""
        business = next(
            (b for b in SEED_BUSINESSES if b.id == fields.get("businessId")), SEED_BUSINESSES[0]
        )
        rating = fields.get("rating", 5)
        review = make_review(
            self.rng,
            business,
            source=fields.get("source", business.sources[0]),
            rating=rating if isinstance(rating, int) and 1 <= rating <= 5 else 5,
            created=self.now(),
            now=self.now(),
        )
        review.update(response=None, status="New", updatedAt=review["createdAt"])
        review.update(self._api_values(fields, business.name))
        self.reviews.append(review)
        return dict(review)

    def update_review(self, review_id: str, **changes: Any) -> dict[str, Any]:
        """Change fields of a review (``response`` may be a plain reply text); KeyError if unknown."""
        review = next((r for r in self.reviews if r["id"] == review_id), None)
        if review is None:
            raise KeyError(review_id)
        business = next((b for b in self.businesses if b["id"] == review["businessId"]), None)
        review["updatedAt"] = api_time(self.now())
        review.update(self._api_values(changes, business["name"] if business else ""))
        return dict(review)

    def _api_values(self, fields: dict[str, Any], business_name: str) -> dict[str, Any]:
        values = dict(fields)
        if isinstance(values.get("rating"), int):
            values["rating"] = str(values["rating"])  # the API sends ratings as strings
        if isinstance(values.get("response"), str):
            values["response"] = {
                "name": business_name,
                "date": self.now().date().isoformat(),
                "comment": values["response"],
            }
            values.setdefault("status", "Responded")
        return values

    # -- HTTP ---------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        """The aiohttp application (API routes, control routes, error middleware)."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get(f"{API_PREFIX}/businesses", self._businesses)
        app.router.add_get(f"{API_PREFIX}/reviews", self._reviews)
        app.router.add_post(f"{API_PREFIX}/send-review-invite", self._send_invite)
        app.router.add_post("/_sandbox/reviews", self._control_add_review)
        app.router.add_patch("/_sandbox/reviews/{review_id}", self._control_update_review)
        app.router.add_post("/_sandbox/faults", self._control_faults)
        app.router.add_get("/_sandbox/invites", self._control_invites)
        app.router.add_get("/_sandbox/campaigns", self._control_campaigns)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 = any free port); return the API base URL."""
        self._closing.clear()
        self._runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.base_url = f"http://{host}:{bound[1]}{API_PREFIX}"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving (delayed requests are cut short)."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await self._guard(request, handler)
        self.requests.append((request.method, request.path, request.query_string))
        if self._faults:
            fault = self._faults.popleft()
            if fault.delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), fault.delay)
            if fault.status is not None:
                return self._fault_response(fault)
        key = request.headers.get("x-api-key", "").strip()
        if key not in self.tokens.values():
            return _error(401, "Unauthorized")
        limited = self._count_request(key)
        if limited is not None:
            return limited
        return await self._guard(request, handler)

    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # Untrusted input must get the platform's error shape, never an aiohttp page or a 500.
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status in (404, 405):  # NestJS answers an unknown method like an unknown route
                return _error(404, f"Cannot {request.method} {request.path}")
            return _error(exc.status, exc.reason)
        except Exception:
            log.exception("Cloutly sandbox failed on %s %s", request.method, request.path)
            return _error(500, "Internal server error")

    def _fault_response(self, fault: _Fault) -> web.Response:
        status = fault.status or 500
        if status == 429:
            return _error(429, "Too Many Requests")
        if status >= 500:
            return _error(status, "Internal server error")
        return _error(status, _REASONS.get(status, "Error"))

    def _count_request(self, key: str) -> web.Response | None:
        """Fixed window per key; None when the request may proceed."""
        now = time.monotonic()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window_seconds:
            start, count = now, 0
        if count >= self.rate_limit:
            # "You reached a rate-limit of 100 API calls per minute." The document names no
            # Retry-After (nor any X-RateLimit header), so none is sent: clients must cope.
            return _error(429, "Too Many Requests")
        self._windows[key] = (start, count + 1)
        return None

    async def _businesses(self, request: web.Request) -> web.Response:
        return web.json_response(self.businesses)

    async def _reviews(self, request: web.Request) -> web.Response:
        errors: list[str] = []
        query = request.query
        for name in ("source", "showOnWidget", "sort"):
            if len(query.getall(name, [])) > 1:
                errors.append(f"{name} must be a single value")
        source = query.get("source")
        if source is not None and source not in SUPPORTED_SOURCES:
            errors.append(
                f"source must be one of the following values: {', '.join(SUPPORTED_SOURCES)}"
            )
        widget = query.get("showOnWidget")
        if widget is not None and widget not in ("true", "false"):
            errors.append("showOnWidget must be a boolean value")
        sort = query.get("sort", "desc")
        if sort not in ("desc", "asc"):
            errors.append("sort must be one of the following values: desc, asc")
        if errors:
            return _error(400, errors)
        reviews = [
            r
            for r in self.reviews
            if (source is None or r["source"] == source)
            and (widget is None or r["showOnWidget"] is (widget == "true"))
        ]
        # The document: "reviews is ordered by createdAt: desc" (unless sort=asc).
        reviews.sort(key=lambda r: str(r.get("createdAt") or ""), reverse=sort == "desc")
        return web.json_response({"total": len(reviews), "reviews": reviews})

    async def _send_invite(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.text())
        except (ValueError, UnicodeDecodeError):
            return _error(400, "Request body is not valid JSON")
        if not isinstance(body, dict):
            return _error(400, "Request body must be a JSON object")
        errors = invite_errors(body)
        if errors:
            return _error(400, errors)
        business = next((b for b in self.businesses if b["id"] == body["businessId"]), None)
        if business is None:
            return _error(404, "Business not found")
        if body["campaignId"] not in {cid for cid, _ in self.campaigns[business["id"]]}:
            return _error(404, "Campaign not found")
        channel = body["channel"]
        if channel.get("phoneNumber"):
            self.sms_limits_left = max(0, self.sms_limits_left - 1)
        last_name = body.get("lastName")
        # The document's example echoes "John Smith" as "john" / "smith": names come back lower-cased.
        contact = {
            "id": new_uuid(self.rng),
            "firstName": body["firstName"].strip().lower(),
            "lastName": last_name.strip().lower() if isinstance(last_name, str) else None,
            "email": channel.get("email") or "",
            "phoneNumber": channel.get("phoneNumber") or None,
            "source": body.get("source"),
            "sourceContactId": body.get("sourceContactId"),
        }
        self.invites.append(
            {
                "contact": contact,
                "businessId": business["id"],
                "campaignId": body["campaignId"],
                "receivedAt": api_time(self.now()),
            }
        )
        usage = {"smsLimitsLeft": self.sms_limits_left, "renews": self.sms_renews}
        return web.json_response({"contact": contact, "usage": usage})

    async def _control_body(self, request: web.Request) -> dict[str, Any] | None:
        try:
            body = json.loads(await request.text() or "{}")
        except (ValueError, UnicodeDecodeError):
            return None
        return body if isinstance(body, dict) else None

    async def _control_add_review(self, request: web.Request) -> web.Response:
        body = await self._control_body(request)
        if body is None:
            return _error(400, "Body must be a JSON object of review fields")
        return web.json_response(self.add_review(**body), status=201)

    async def _control_update_review(self, request: web.Request) -> web.Response:
        body = await self._control_body(request)
        if body is None:
            return _error(400, "Body must be a JSON object of review fields")
        try:
            review = self.update_review(request.match_info["review_id"], **body)
        except KeyError:
            return _error(404, "Review not found")
        return web.json_response(review)

    async def _control_faults(self, request: web.Request) -> web.Response:
        body = await self._control_body(request)
        try:
            if body is None:
                raise ValueError("body must be a JSON object")
            if "retry_after" in body:
                raise ValueError("Cloutly's 429 carries no Retry-After; retry_after is not a fault")
            self.inject_fault(
                status=opt_int(body.get("status")),
                count=opt_int(body.get("count")) or 1,
                delay=opt_float(body.get("delay")) or 0.0,
            )
        except (TypeError, ValueError) as exc:
            return _error(400, str(exc))
        return web.json_response({"pending": len(self._faults)})

    async def _control_invites(self, request: web.Request) -> web.Response:
        return web.json_response(self.invites)

    async def _control_campaigns(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {
                    "businessId": b["id"],
                    "businessName": b["name"],
                    "campaigns": [{"id": cid, "name": n} for cid, n in self.campaigns[b["id"]]],
                }
                for b in self.businesses
            ]
        )
