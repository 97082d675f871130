"""Cloutly REST API client (``https://app.cloutly.com/api/v1``, ``x-api-key`` header).

Three endpoints exist: ``GET /businesses``, ``GET /reviews`` (not paginated: one answer holds
every review) and ``POST /send-review-invite``. Cloutly has no webhooks, so the app polls
``GET /reviews``. Reviews come back with the reviewer's ``email`` and ``phoneNumber``; they
are dropped here and never leave this module, nor reach a log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import httpx

from bot.domain import InviteResult, Organization, Page, Review
from bot.errors import AuthError, Invalid, NotFound, ProviderError
from bot.log import get_logger
from bot.providers.cloutly.parse import (
    PLATFORM,
    CloutlyPayloadError,
    business_from_api,
    field_errors_from_messages,
    review_from_api,
    safe_id,
    source_display_name,
)
from bot.providers.http import PacedHTTPClient, PlatformHTTP, StatusObserver
from bot.providers.ratelimit import SlidingWindowLimiter

# The converters live in cloutly_parse; re-exported so callers need one import.
__all__ = [
    "CloutlyClient",
    "CloutlyPayloadError",
    "business_from_api",
    "review_from_api",
    "source_display_name",
]

log = get_logger(__name__)

_SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def _messages(response: httpx.Response) -> list[str]:
    """The ``message`` strings of a NestJS error body; [] for anything else."""
    try:
        body = response.json()
    except ValueError:
        return []
    message = body.get("message") if isinstance(body, Mapping) else None
    if isinstance(message, str):
        return [message]
    if isinstance(message, list):
        return [m for m in message if isinstance(m, str)]
    return []


class CloutlyClient(PacedHTTPClient):
    """Async client of the Cloutly API; every answer is normalized to the ``base`` models."""

    platform: Literal["cloutly"] = PLATFORM
    # The document says both "The default overall requests limit is 200 per minute" and
    # (under 429) "You reached a rate-limit of 100 API calls per minute". Pacing at the
    # lower figure means normal use never sees a 429 whichever one the server enforces.
    default_requests_per_minute: ClassVar[int] = 100

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        requests_per_minute: int = default_requests_per_minute,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        limiter: SlidingWindowLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_status: StatusObserver | None = None,
    ) -> None:
        if not api_key.strip():
            raise ValueError("Cloutly API key is empty")
        self._http = PlatformHTTP(
            platform=PLATFORM,
            base_url=base_url,
            # "Make sure you pass the entire key without any spaces or extra symbols."
            auth_headers={"x-api-key": api_key.strip()},
            timeout=timeout,
            requests_per_minute=requests_per_minute,
            max_retries=max_retries,
            backoff_base=backoff_base,
            # The key's bucket, shared with every other client of it (RateBuckets).
            limiter=limiter,
            transport=transport,
            on_status=on_status,
        )

    def __repr__(self) -> str:
        return f"CloutlyClient(base_url={str(self._http.base_url)!r})"

    async def list_businesses(self) -> list[Organization]:
        """``GET /businesses``: the account's businesses (locations) and their sources."""
        body = await self._call("GET", "businesses", action="list businesses")
        items = body.get("businesses") if isinstance(body, Mapping) else body
        if not isinstance(items, list):
            raise self._unreadable("businesses")
        businesses: list[Organization] = []
        for item in items:
            try:
                businesses.append(business_from_api(item))
            except CloutlyPayloadError as exc:
                log.warning("cloutly_business_skipped", id=safe_id(item), reason=str(exc))
        return businesses

    async def list_reviews(
        self,
        *,
        source: str | None = None,
        show_on_widget: bool | None = None,
        sort: str | None = None,
    ) -> Page[Review]:
        """``GET /reviews``: every review (one page; the API does not paginate)."""
        params: dict[str, str] = {}
        if source is not None:
            source_id = source.strip().lower()
            if not _SOURCE_ID.match(source_id):
                raise Invalid(
                    "A Cloutly source is an id such as google or facebook",
                    platform=PLATFORM,
                    field_errors={"source": ["must be an id such as google or facebook"]},
                )
            params["source"] = source_id
        if show_on_widget is not None:
            params["showOnWidget"] = "true" if show_on_widget else "false"
        if sort is not None:
            if sort not in ("desc", "asc"):
                raise Invalid(
                    "Cloutly sorts reviews by date: desc or asc",
                    platform=PLATFORM,
                    field_errors={"sort": ["must be desc or asc"]},
                )
            params["sort"] = sort
        body = await self._call("GET", "reviews", params=params, action="list reviews")
        raw = body.get("reviews") if isinstance(body, Mapping) else body
        if not isinstance(raw, list):
            raise self._unreadable("reviews")
        reviews: list[Review] = []
        for item in raw:
            try:
                reviews.append(review_from_api(item))
            except CloutlyPayloadError as exc:
                # Skip one bad review rather than lose the list; the message names no values.
                log.warning("cloutly_review_skipped", id=safe_id(item), reason=str(exc))
        total = body.get("total") if isinstance(body, Mapping) else None
        skipped = len(raw) - len(reviews)
        return Page(
            items=tuple(reviews),
            page=1,
            last_page=1,
            per_page=max(1, len(raw)),
            total=total if isinstance(total, int) and not isinstance(total, bool) else len(raw),
            extra={"skipped": str(skipped)} if skipped else {},
        )

    async def send_invite(
        self,
        business_id: str,
        campaign_id: str,
        first_name: str,
        *,
        email: str | None = None,
        phone: str | None = None,
        last_name: str | None = None,
        source: str | None = None,
        source_contact_id: str | None = None,
    ) -> InviteResult:
        """``POST /send-review-invite``: add a contact to a business's review campaign."""
        channel = {k: v for k, v in (("email", email), ("phoneNumber", phone)) if v is not None}
        fields = {
            "firstName": first_name,
            "lastName": last_name,
            "channel": channel,
            "source": source,
            "sourceContactId": source_contact_id,
            "businessId": business_id,
            "campaignId": campaign_id,
        }
        # Not idempotent: the document names no duplicate window, so a timeout or 5xx is not
        # retried (it may have been processed); PlatformHTTP still retries a 429 (it was not).
        body = await self._call(
            "POST",
            "send-review-invite",
            json={k: v for k, v in fields.items() if v is not None},
            idempotent=False,
            action="send the review invite",
        )
        contact = body.get("contact") if isinstance(body, Mapping) else None
        usage = body.get("usage") if isinstance(body, Mapping) else None
        contact_id = contact.get("id") if isinstance(contact, Mapping) else None
        left = usage.get("smsLimitsLeft") if isinstance(usage, Mapping) else None
        if not isinstance(contact_id, str) or not contact_id:
            # Accepted all the same: raising would invite a retry and a duplicate invite.
            log.warning("cloutly_invite_without_contact_id")
            contact_id = None
        return InviteResult(
            platform=PLATFORM,
            id=contact_id or "",
            contact_id=contact_id,
            sms_limits_left=left if isinstance(left, int) and not isinstance(left, bool) else None,
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        action: str,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        idempotent: bool = True,
    ) -> Any:
        response = await self._http.request(
            method, path, params=params, json=json, idempotent=idempotent
        )
        status = response.status_code
        if 200 <= status < 300:
            try:
                return response.json()
            except ValueError:
                raise self._unreadable(path, status) from None
        messages = _messages(response)
        detail = "; ".join(m[:200] for m in messages[:5])
        if status == 401:
            raise AuthError(
                "Cloutly rejected the API key: copy it again from Developers → Public API in "
                "Cloutly and reconnect",
                platform=PLATFORM,
                status=status,
            )
        if status == 400:
            raise Invalid(
                f"Cloutly could not {action}" + (f": {detail}" if detail else ""),
                platform=PLATFORM,
                field_errors=field_errors_from_messages(messages),
                status=status,
            )
        if status == 404:
            raise NotFound(
                f"Cloutly could not {action}: {detail or 'not found'}",
                platform=PLATFORM,
                status=status,
            )
        raise ProviderError(
            f"Cloutly could not {action} (HTTP {status})" + (f": {detail}" if detail else ""),
            platform=PLATFORM,
            status=status,
        )

    def _unreadable(self, what: str, status: int = 200) -> ProviderError:
        return ProviderError(
            f"Cloutly answered {what} with a body we could not read",
            platform=PLATFORM,
            status=status,
        )
