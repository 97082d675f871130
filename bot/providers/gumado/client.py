"""Async client for the Gumado REST API (https://gumado.com/api/v1, ``Authorization: Bearer``).

Follows the API document (seeds/003): 10 items a page with ``links``/``meta``; 401/403/404/422
error bodies with a ``message`` (and ``errors`` on 422); 60 requests a minute per token, with
``Retry-After`` on 429. Pacing and retries live in :class:`~bot.providers.http.PlatformHTTP`.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, ClassVar, Final, Literal, TypeVar
from urllib.parse import quote

import httpx

from bot.domain import (
    Campaign,
    Country,
    InviteResult,
    Me,
    Organization,
    Page,
    Platform,
    Review,
    Source,
)
from bot.errors import AuthError, ProviderError
from bot.log import get_logger
from bot.providers.gumado.errors import (
    ENDPOINT_SCOPES,
    PLATFORM,
    error_from_response,
    json_body,
    page_from_body,
    parse_or_fail,
)
from bot.providers.gumado.parse import (
    GumadoPayloadError,
    campaign_from_api,
    country_from_api,
    location_from_webhook,
    me_from_api,
    organization_from_api,
    organization_from_webhook,
    review_from_api,
    review_from_webhook,
    source_display_name,
    source_from_api,
    webhook_event,
    webhook_object_id,
)
from bot.providers.http import PacedHTTPClient, PlatformHTTP, StatusObserver
from bot.providers.ratelimit import SlidingWindowLimiter

__all__ = [
    "ENDPOINT_SCOPES",
    "UNSET",
    "GumadoClient",
    "GumadoPayloadError",
    "location_from_webhook",
    "organization_from_webhook",
    "review_from_api",
    "review_from_webhook",
    "source_display_name",
    "webhook_event",
    "webhook_object_id",
]

log = get_logger(__name__)
T = TypeVar("T")


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET: Final = _Unset.UNSET


def _path_id(value: str | int) -> str:
    # Ids go into the path; quoting keeps "../" or "?" in an id from changing the request.
    return quote(str(value), safe="")


class GumadoClient(PacedHTTPClient):
    """Typed access to every endpoint of the Gumado API document."""

    platform: Platform = "gumado"
    # "Rate Limit: 60 requests / minute"; the server's X-RateLimit-Limit overrides it.
    default_requests_per_minute: ClassVar[int] = 60

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        requests_per_minute: int = default_requests_per_minute,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        rate_window_seconds: float = 60.0,
        limiter: SlidingWindowLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_status: StatusObserver | None = None,
    ) -> None:
        token = token.strip() if isinstance(token, str) else ""
        if not token:
            raise AuthError("No Gumado API token was given", platform=PLATFORM)
        if not token.isascii() or not token.isprintable() or " " in token:
            # httpx would refuse such a header with an error quoting it; say so without it.
            raise AuthError(
                "The Gumado API token contains characters no token has (spaces, line breaks or "
                "non-ASCII); copy it again from Settings → API & Webhooks",
                platform=PLATFORM,
            )
        self._http = PlatformHTTP(
            platform=PLATFORM,
            base_url=base_url,
            auth_headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            requests_per_minute=requests_per_minute,
            max_retries=max_retries,
            backoff_base=backoff_base,
            # The document's window is a minute; tests shrink both sides to stay fast.
            window_seconds=rate_window_seconds,
            # The token's bucket, shared with every other client of it (RateBuckets).
            limiter=limiter,
            transport=transport,
            on_status=on_status,
        )

    def __repr__(self) -> str:
        return f"GumadoClient(base_url={str(self._http.base_url)!r})"

    @property
    def base_url(self) -> str:
        """The API base URL requests go to (no credentials in it)."""
        return str(self._http.base_url)

    # ---------------------------------------------------------------- endpoints

    async def me(self) -> Me:
        """``GET /me``: the account the token belongs to (the cheapest token check)."""
        body = await self._call("me", "GET", "me")
        return parse_or_fail(me_from_api, body, "me")

    async def list_reviews(
        self,
        *,
        rating: int | None = None,
        organization_id: str | int | None = None,
        location_id: str | int | None = None,
        source_names: Sequence[str] | None = None,
        page: int = 1,
    ) -> Page[Review]:
        """``GET /reviews``: one page (10 reviews, in the platform's order) matching the filters."""
        params = self._review_params(rating, organization_id, location_id, source_names)
        body = await self._call("list_reviews", "GET", "reviews", params=[*params, ("page", page)])
        return page_from_body(body, review_from_api, "list_reviews", page)

    async def list_organizations(self) -> list[Organization]:
        """``GET /organizations``: every organization (all pages)."""
        return await self._collect("list_organizations", "organizations", [], organization_from_api)

    async def get_organization(self, organization_id: str | int) -> Organization:
        """``GET /organizations/{id}``."""
        body = await self._call(
            "get_organization", "GET", f"organizations/{_path_id(organization_id)}"
        )
        return parse_or_fail(organization_from_api, self._unwrap(body), "get_organization")

    async def create_organization(self, name: str) -> Organization:
        """``POST /organizations`` (the name must be unique in the account)."""
        # Not retried on a lost answer: a second POST would fail on the unique name.
        body = await self._call(
            "create_organization", "POST", "organizations", json={"name": name}, idempotent=False
        )
        return parse_or_fail(organization_from_api, self._unwrap(body), "create_organization")

    async def update_organization(self, organization_id: str | int, name: str) -> Organization:
        """``PUT /organizations/{id}``: rename an organization."""
        body = await self._call(
            "update_organization",
            "PUT",
            f"organizations/{_path_id(organization_id)}",
            json={"name": name},
        )
        return parse_or_fail(organization_from_api, self._unwrap(body), "update_organization")

    async def delete_organization(self, organization_id: str | int) -> None:
        """``DELETE /organizations/{id}`` (Gumado refuses to delete the last one: 422)."""
        # Not retried: a retry of a delete that went through would report a misleading 404.
        await self._call(
            "delete_organization",
            "DELETE",
            f"organizations/{_path_id(organization_id)}",
            idempotent=False,
        )

    async def list_campaigns(
        self,
        *,
        organization_id: str | int | None = None,
        search: str | None = None,
        max_pages: int | None = None,
    ) -> list[Campaign]:
        """``GET /request-reviews/campaigns``: the campaigns matching the filters (``search`` is
        the document's name search; ``max_pages`` bounds the walk)."""
        params: list[tuple[str, str | int]] = []
        if organization_id is not None:
            params.append(("organization_id", str(organization_id)))
        if search:
            params.append(("search", search))
        return await self._collect(
            "list_campaigns",
            "request-reviews/campaigns",
            params,
            campaign_from_api,
            max_pages=max_pages,
        )

    async def send_invite(
        self,
        campaign_id: str,
        *,
        email: str | None = None,
        phone: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        send_after_hours: int | Literal[_Unset.UNSET] | None = UNSET,
    ) -> InviteResult:
        """``POST /request-reviews/campaigns/{uuid}/invite`` (202 Accepted).

        ``send_after_hours`` omitted or ``None`` both mean the campaign default (the document:
        "null = use campaign default"); ``None`` given explicitly is sent as ``null``.
        """
        body: dict[str, Any] = {
            key: value
            for key, value in (
                ("email", email),
                ("phone", phone),
                ("first_name", first_name),
                ("last_name", last_name),
            )
            if value is not None
        }
        if send_after_hours is not UNSET:
            body["send_after_hours"] = send_after_hours
        # Safe to retry: "If the same contact … is submitted again within the … duplicate
        # protection window (default: 14 days), the request is silently accepted and the
        # contact is marked as ignored" (Send Review Invite, Important Behavior Notes).
        answer = await self._call(
            "send_invite",
            "POST",
            f"request-reviews/campaigns/{_path_id(campaign_id)}/invite",
            json=body,
            idempotent=True,
        )
        data = self._unwrap(answer)
        invite_id = data.get("id") if isinstance(data, dict) else None
        message = data.get("message") if isinstance(data, dict) else None
        if isinstance(invite_id, bool) or not isinstance(invite_id, str | int) or invite_id == "":
            raise ProviderError(
                "Gumado accepted the invite but its answer has no invite 'id'", platform=PLATFORM
            )
        return InviteResult(
            platform="gumado",
            id=str(invite_id),
            message=message if isinstance(message, str) else None,
        )

    async def list_sources(self) -> list[Source]:
        """``GET /sources``: every review source Gumado knows (all pages)."""
        return await self._collect("list_sources", "sources", [], source_from_api)

    async def list_countries(self) -> list[Country]:
        """``GET /countries``: a plain JSON array (the document shows no pagination)."""
        body = await self._call("list_countries", "GET", "countries")
        items = body.get("data") if isinstance(body, dict) else body
        if not isinstance(items, list):
            raise ProviderError(
                "Gumado answered /countries with something other than a list", platform=PLATFORM
            )
        return [parse_or_fail(country_from_api, item, "list_countries") for item in items]

    # ---------------------------------------------------------------- plumbing

    @staticmethod
    def _review_params(
        rating: int | None,
        organization_id: str | int | None,
        location_id: str | int | None,
        source_names: Sequence[str] | None,
    ) -> list[tuple[str, str | int]]:
        params: list[tuple[str, str | int]] = []
        if rating is not None:
            params.append(("rating", rating))
        if organization_id is not None:
            params.append(("organization_id", str(organization_id)))
        if location_id is not None:
            params.append(("location_id", str(location_id)))
        if isinstance(source_names, str):
            source_names = [source_names]
        # The document's example: "?rating=5&source_names[]=Google" (display names, repeated).
        for name in source_names or ():
            params.append(("source_names[]", source_display_name(name)))
        return params

    async def _call(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str | int]] | None = None,
        json: Any = None,
        idempotent: bool = True,
    ) -> Any:
        response = await self._http.request(
            method, path, params=params, json=json, idempotent=idempotent
        )
        if 200 <= response.status_code < 300:
            return json_body(response, endpoint)
        raise error_from_response(response, endpoint)

    @staticmethod
    def _unwrap(body: Any) -> Any:
        # A single resource may come wrapped as {"data": {...}} (a Laravel API resource) or bare.
        if isinstance(body, dict) and isinstance(body.get("data"), dict):
            return body["data"]
        return body

    async def _pages(
        self,
        endpoint: str,
        path: str,
        params: list[tuple[str, str | int]],
        parse: Callable[[object], T],
        *,
        max_pages: int | None = None,
    ) -> AsyncIterator[Page[T]]:
        """Page 1, 2, … by number with our own filters, until ``meta.last_page``.

        ``links.next`` is never followed: the document shows it as ``?page=N`` alone, so following
        it would drop ``organization_id``, ``rating``, ``source_names[]`` and ``search``.
        """
        number = 1
        while True:
            body = await self._call(endpoint, "GET", path, params=[*params, ("page", number)])
            page = page_from_body(body, parse, endpoint, number)
            yield page
            if not page.items or number >= page.last_page:
                return
            if max_pages is not None and number >= max_pages:
                return
            number += 1

    async def _collect(
        self,
        endpoint: str,
        path: str,
        params: list[tuple[str, str | int]],
        parse: Callable[[object], T],
        *,
        max_pages: int | None = None,
    ) -> list[T]:
        items: list[T] = []
        async for page in self._pages(endpoint, path, params, parse, max_pages=max_pages):
            items.extend(page.items)
        return items
