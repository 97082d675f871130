"""Reading Gumado answers: JSON bodies, pages, and the error tree for non-2xx statuses.

The document ("Errors") gives every error a JSON body with a ``message``; 422 adds ``errors``
(field → messages). Scopes come from "Token Permissions" and each endpoint's "Requires …" line.
Nothing here puts the token or the request headers into a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

import httpx

from bot.domain import Page
from bot.errors import AuthError, Invalid, NotFound, ProviderError, ScopeError
from bot.log import get_logger
from bot.providers.gumado.parse import GumadoPayloadError

T = TypeVar("T")
PLATFORM: Final = "gumado"

log = get_logger(__name__)

# The invite endpoint requires request:read + request:create; a token allowed to list
# campaigns but refused an invite lacks request:create, so that is the scope we name.
ENDPOINT_SCOPES: Final[dict[str, str | None]] = {
    "me": None,
    "list_reviews": "reviews:read",
    "list_organizations": "organizations:read",
    "get_organization": "organizations:read",
    "create_organization": "organizations:create",
    "update_organization": "organizations:update",
    "delete_organization": "organizations:delete",
    "list_campaigns": "request:read",
    "send_invite": "request:create",
    "list_sources": None,
    "list_countries": None,
}
_SCOPE_WORDING: Final[dict[str, str]] = {"send_invite": "request:read + request:create"}
ACTIONS: Final[dict[str, str]] = {
    "me": "check the token (/me)",
    "list_reviews": "list reviews",
    "list_organizations": "list organizations",
    "get_organization": "read the organization",
    "create_organization": "create the organization",
    "update_organization": "update the organization",
    "delete_organization": "delete the organization",
    "list_campaigns": "list campaigns",
    "send_invite": "send the review invite",
    "list_sources": "list review sources",
    "list_countries": "list countries",
}


def json_body(response: httpx.Response, endpoint: str) -> Any:
    """The decoded JSON of a 2xx answer, or a :class:`ProviderError` saying it is not JSON."""
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        raise ProviderError(
            f"Gumado answered {response.status_code} to '{ACTIONS[endpoint]}' with a body "
            "that is not JSON",
            platform=PLATFORM,
            status=response.status_code,
        ) from None


def error_from_response(response: httpx.Response, endpoint: str) -> ProviderError:
    """Map a non-2xx answer of ``endpoint`` to the error tree."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    said = message.strip()[:300] if isinstance(message, str) and message.strip() else None
    action = ACTIONS[endpoint]
    if status == 401:
        return AuthError(
            "Gumado rejected the API token (401 Unauthenticated): it is missing, wrong or "
            "revoked. Create a new one under Settings → API & Webhooks.",
            platform=PLATFORM,
            status=status,
        )
    if status == 403:
        scope = ENDPOINT_SCOPES[endpoint]
        needed = _SCOPE_WORDING.get(endpoint, scope)
        wording = f"the {needed} permission" if needed else "a permission"
        return ScopeError(
            f"The Gumado API token lacks {wording} needed to {action}. Give the token that "
            "permission under Settings → API & Webhooks.",
            platform=PLATFORM,
            scope=scope,
            status=status,
        )
    if status == 404:
        return NotFound(
            f"Gumado could not {action}: it does not exist (404)", platform=PLATFORM, status=status
        )
    if status == 422:
        errors = body.get("errors") if isinstance(body, dict) else None
        return Invalid(
            said or f"Gumado rejected the request to {action} (422)",
            platform=PLATFORM,
            field_errors=field_errors(errors),
            status=status,
        )
    detail = f": {said}" if said else ""
    return ProviderError(
        f"Gumado refused to {action} (HTTP {status}){detail}", platform=PLATFORM, status=status
    )


def field_errors(errors: object) -> dict[str, list[str]]:
    """``errors`` of a 422 body as field → messages, dropping anything of another shape."""
    if not isinstance(errors, dict):
        return {}
    result: dict[str, list[str]] = {}
    for field, messages in errors.items():
        if not isinstance(field, str):
            continue
        if isinstance(messages, str):
            result[field] = [messages]
        elif isinstance(messages, list):
            result[field] = [m for m in messages if isinstance(m, str)]
    return result


def parse_or_fail(parse: Callable[[object], T], payload: object, endpoint: str) -> T:
    """``parse(payload)``, turning a :class:`GumadoPayloadError` into a :class:`ProviderError`."""
    try:
        return parse(payload)
    except GumadoPayloadError as exc:
        raise ProviderError(
            f"Gumado sent an answer to '{ACTIONS[endpoint]}' the app cannot read: {exc}",
            platform=PLATFORM,
        ) from exc


def _safe_id(item: object) -> str:
    """The id of a raw item for a log line (never another field: reviews are personal)."""
    raw = item.get("id") if isinstance(item, dict) else None
    return str(raw)[:64] if isinstance(raw, str | int) and not isinstance(raw, bool) else "?"


def page_from_body(
    body: Any, parse: Callable[[object], T], endpoint: str, requested: int
) -> Page[T]:
    """A :class:`Page` from the document's "Paginated Response Structure" (``data``/``meta``).

    An item that cannot be read is skipped, logged by id and counted in
    ``extra["skipped"]``: one odd review must not cost the other nine (or the whole poll).
    """
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise ProviderError(
            f"Gumado answered '{ACTIONS[endpoint]}' without a 'data' list", platform=PLATFORM
        )
    items: list[T] = []
    for item in data:
        try:
            items.append(parse(item))
        except GumadoPayloadError as exc:
            # The message names the field, never its value.
            log.warning(
                "gumado_item_skipped", endpoint=endpoint, id=_safe_id(item), reason=str(exc)
            )
    skipped = len(data) - len(items)
    raw_meta = body.get("meta")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}

    def number(key: str, default: int) -> int:
        value = meta.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else default

    page = number("current_page", requested)
    return Page(
        items=tuple(items),
        page=page,
        last_page=max(number("last_page", page), 1),
        per_page=number("per_page", len(data) or 10),
        total=number("total", len(data)),
        extra={"skipped": str(skipped)} if skipped else {},
    )
