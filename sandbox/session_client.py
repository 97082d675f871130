"""``reviewbot sandbox show | slash | send-review``: talk to a running ``reviewbot sandbox``.

Over HTTP only: the Slack stand-in's ``/channel/<name>`` page and ``/_sandbox/slash`` route, the
Gumado sandbox's ``/_sandbox/reviews`` control route. The addresses come from the exports of
``reviewbot sandbox`` when they are set, else its default ports.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import httpx

from sandbox.signing import USER_ID

DEFAULT_SLACK_URL = "http://127.0.0.1:8103"
DEFAULT_GUMADO_URL = "http://127.0.0.1:8101"
TIMEOUT = 30.0
DELIVERY_WAIT_SECONDS = 10.0


class SandboxUnreachable(RuntimeError):
    """The sandbox (or the app behind it) did not answer as it should; one line for a person."""


def slack_url(environ: Mapping[str, str] | None = None) -> str:
    """The stand-in's root URL: SLACK_API_URL without ``/api/``, else the default port."""
    value = (os.environ if environ is None else environ).get("SLACK_API_URL", "").strip()
    return value.rstrip("/").removesuffix("/api") if value else DEFAULT_SLACK_URL


def gumado_url(environ: Mapping[str, str] | None = None) -> str:
    """The Gumado sandbox's root URL: GUMADO_API_URL without ``/api/v1``, else the default."""
    value = (os.environ if environ is None else environ).get("GUMADO_API_URL", "").strip()
    return value.rstrip("/").removesuffix("/api/v1") if value else DEFAULT_GUMADO_URL


def _request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        return httpx.request(method, url, timeout=TIMEOUT, **kwargs)
    except httpx.TransportError as exc:
        raise SandboxUnreachable(
            f"no sandbox answers at {url} ({exc or type(exc).__name__}); "
            "start `reviewbot sandbox` first (or pass --slack-url/--gumado-url)"
        ) from None


def show(root: str, channel: str) -> str:
    """The channel as the seeded admin sees it, as text."""
    response = _request("GET", f"{root}/channel/{channel.lstrip('#')}", params={"as": USER_ID})
    if response.status_code != 200:
        raise SandboxUnreachable(response.text.strip() or f"HTTP {response.status_code}")
    return response.text


def slash(root: str, text: str) -> str:
    """Send ``/reviews <text>`` to the app through the stand-in; the app's replies as text."""
    response = _request("POST", f"{root}/_sandbox/slash", json={"text": text})
    body = _json(response)
    if not body.get("ok"):
        raise SandboxUnreachable(str(body.get("error") or f"HTTP {response.status_code}"))
    replies = [str(reply) for reply in body.get("replies", [])]
    return "\n\n".join(replies) if replies else "(the app sent no reply within 10 s)"


def send_review(root: str, *, rating: int, text: str | None, author: str | None) -> str:
    """Add a review to the Gumado sandbox; it sends the ``review-created`` webhook to the app."""
    fields: dict[str, Any] = {"rating": rating}
    if text is not None:
        fields["message"] = text
    if author is not None:
        fields["author"] = author
    response = _request("POST", f"{root}/_sandbox/reviews", json=fields)
    body = _json(response)
    if response.status_code != 201:
        raise SandboxUnreachable(f"the Gumado sandbox refused the review: {body}")
    review = body.get("data", body)
    added = f"Gumado review {review.get('id')} ({rating}★ by {review.get('author')}) added"
    attempt = _first_delivery(root, review.get("id"))
    if attempt is None:
        return f"{added}; its webhook is on its way. See the card with `reviewbot sandbox show`."
    if attempt.get("status") is not None and 200 <= int(attempt["status"]) < 300:
        return (
            f"{added}; Gumado delivered its webhook to your app (HTTP {attempt['status']}). "
            "See the card with `reviewbot sandbox show`."
        )
    why = (
        f"your app answered HTTP {attempt['status']} (is GUMADO_WEBHOOK_KEY this run's?)"
        if attempt.get("status") is not None
        else f"your app did not answer ({attempt.get('error')}); is `reviewbot serve` running?"
    )
    # The key is a secret of the app's: the URL is shown up to it.
    url = str(attempt.get("url")).rsplit("/", 1)[0] + "/$GUMADO_WEBHOOK_KEY"
    raise SandboxUnreachable(
        f"{added}, but its webhook to {url} failed: {why} Gumado tries again later."
    )


def _first_delivery(root: str, review_id: Any) -> dict[str, Any] | None:
    """The first webhook attempt for ``review_id`` once it has an outcome (None: not yet)."""
    deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
    while time.monotonic() < deadline:
        attempts = _request("GET", f"{root}/_sandbox/deliveries").json()
        for attempt in attempts if isinstance(attempts, list) else []:
            if attempt.get("id") == review_id and attempt.get("event") == "review-created":
                return dict(attempt)
        time.sleep(0.1)
    return None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise SandboxUnreachable(f"not a sandbox answer (HTTP {response.status_code})")
    return body
