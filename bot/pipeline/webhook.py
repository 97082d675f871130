"""Webhook route: ``POST /webhooks/{platform}/{webhook_key}`` → ``inbound_events``, then 200.

The route serves every platform whose provider reads webhooks (today Gumado:
``/webhooks/gumado/{webhook_key}``); other platforms, and keys of another platform, are 404.

Gumado does not sign webhooks: the key in the URL is the secret. An event is answered 200
only once it is committed (by the intake writer, ``bot/pipeline/intake.py``), so a crash loses
nothing Gumado was told we have; its retries of the same event carry the same dedupe key and
are no-ops. A database that keeps us waiting gets a 503 within Gumado's 5 seconds (so it
retries); an event type this version does not know is acknowledged, counted and dropped (so
it is not retried ten times).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

import orjson
import structlog
from aiohttp import web

from bot.deps import Deps
from bot.log import get_logger
from bot.pipeline.intake import INTAKE_KEY, DatabaseUnavailable, IntakeWriter, UnknownConnection
from bot.providers.protocol import PayloadError, WebhookFormat
from bot.providers.registry import PLATFORMS
from storage.repositories.events import NewInboundEvent

__all__ = [
    "DATABASE_WAIT_SECONDS",
    "MAX_BODY_BYTES",
    "canonical_json",
    "event_dedupe_key",
    "platform_webhook",
]

log = get_logger(__name__)

MAX_BODY_BYTES = 1024 * 1024
# Keys we issue are 32 url-safe characters; GUMADO_WEBHOOK_KEY allows 22–64.
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,128}")
# Gumado: "Respond quickly (within 5 seconds)" and "Up to 10 retries over 5 minutes". After
# this much waiting for the database, answer 503: the retry carries the same payload, so the
# same dedupe key (an attempt committed after its 503 just makes the retry a duplicate).
DATABASE_WAIT_SECONDS = 4.0


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """``payload`` as compact UTF-8 JSON with sorted keys: what the dedupe key hashes and is stored.

    orjson writes the same text as ``json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` did (tests/pipeline/test_intake.py checks hostile strings), except
    floats under 1e-4 (``0.00001``, not ``1e-05``): a retry of such an event straddling the
    upgrade is stored twice and routed as an unchanged review. What orjson cannot write (an
    int beyond 64 bits) the stdlib writes.
    """
    try:
        return orjson.dumps(
            payload, option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME, default=str
        )
    except orjson.JSONEncodeError:
        return _stdlib_canonical_json(payload)


def _stdlib_canonical_json(payload: Any) -> bytes:
    # For what only the stdlib reads (NaN, UTF-16, huge ints): written the way it was read.
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def _loads(body: bytes) -> tuple[Any, bytes | None]:
    """The payload, and its canonical JSON if it is cheapest to make now (else None).

    orjson reads a body ~5× faster than the stdlib; it reads an int beyond 64 bits as a
    float (no Gumado id or count comes near), and refuses what is not strict UTF-8 JSON.
    """
    try:
        return orjson.loads(body), None
    except orjson.JSONDecodeError:
        # Bodies that only the stdlib reads (NaN, UTF-16 text) are read as they always were;
        # its ValueError is the 400.
        payload = json.loads(body)
        return payload, _stdlib_canonical_json(payload)


def event_dedupe_key(
    event: str, object_id: str, payload: Mapping[str, Any], *, canonical: bytes | None = None
) -> str:
    """What identifies one Gumado event: its type, the object's id and the object's content.

    A retry repeats the body byte for byte, so it gets the same key; a real change of the
    object (new ``updated_at``, new reply) gets a new one. ``canonical``: the payload's
    :func:`canonical_json`, if the caller has it already.
    """
    if canonical is None:
        canonical = canonical_json(payload)
    digest = hashlib.sha256(canonical).hexdigest()[:40]
    return f"{event[:24]}:{object_id[:40]}:{digest}"


@functools.lru_cache(maxsize=64)
def _answer_body(status: int, message: str) -> bytes:
    # Encoded once per answer: json_response would encode the same few bodies per request.
    return json.dumps({"ok": status == 200, "message": message}).encode()


def _answer(deps: Deps, outcome: str, status: int, message: str) -> web.Response:
    deps.metrics.webhook_answered(outcome)
    return web.Response(
        body=_answer_body(status, message), status=status, content_type="application/json"
    )


def _masked(webhook_key: str) -> str:
    return webhook_key[:4] + "…"


async def platform_webhook(request: web.Request) -> web.Response:
    """Validate, commit and acknowledge one webhook (``/webhooks/{platform}/{webhook_key}``)."""
    intake = request.app.get(INTAKE_KEY)
    if intake is None:
        return web.json_response({"ok": False, "message": "not accepting webhooks"}, status=503)
    intake.request_started()  # not answering(): a generator context manager costs more
    try:
        return await _handle(request, intake)
    finally:
        intake.request_answered()


async def _handle(request: web.Request, intake: IntakeWriter) -> web.Response:
    deps = intake.deps
    deadline = asyncio.get_running_loop().time() + DATABASE_WAIT_SECONDS
    platform = request.match_info["platform"]
    webhook_key = request.match_info["webhook_key"]
    known = PLATFORMS.get(platform)
    webhooks: WebhookFormat | None = known.info.webhooks if known is not None else None
    if webhooks is None or not _KEY_SHAPE.fullmatch(webhook_key):
        return _answer(deps, "rejected_unknown_key", 404, "unknown webhook")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return _answer(deps, "rejected_too_large", 413, "body over 1 MB")
    try:
        connection_id = await intake.connection_for_key(platform, webhook_key, deadline=deadline)
    except DatabaseUnavailable:
        return _answer(deps, "unavailable", 503, "database unavailable, retry later")
    if connection_id is None:
        log.info("webhook_unknown_key", key=_masked(webhook_key))
        return _answer(deps, "rejected_unknown_key", 404, "unknown webhook")
    # Every later line of this webhook names its connection (cleared with the request id).
    structlog.contextvars.bind_contextvars(connection_id=connection_id)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _answer(deps, "rejected_too_large", 413, "body over 1 MB")
    if len(body) > MAX_BODY_BYTES:
        return _answer(deps, "rejected_too_large", 413, "body over 1 MB")
    try:
        payload, canonical = _loads(body)
        event = webhooks.event_type(payload)
        if not webhooks.handles(event):
            # Gumado retries anything but a 2xx ten times: acknowledge what we cannot use.
            label = intake.ignore_unknown_event(event, connection_id)
            return _answer(deps, "ignored_unknown_event", 200, f"ignored: {label} events")
        object_id = webhooks.object_id(payload)
        # Serialized once: hashed for the dedupe key and stored as the row's payload.
        if canonical is None:
            canonical = canonical_json(payload)
        payload_json = canonical.decode()
    except (ValueError, RecursionError) as exc:
        # PayloadError is a ValueError; so are JSON and UTF-8 decoding errors.
        reason = str(exc) if isinstance(exc, PayloadError) else "body is not JSON"
        return _answer(deps, "rejected_bad_request", 400, reason)
    new_event = NewInboundEvent(
        connection_id=connection_id,
        event_type=event,
        dedupe_key=event_dedupe_key(event, object_id, payload, canonical=canonical),
        payload=payload,
        payload_json=payload_json,
    )
    try:
        new = await intake.submit(new_event, deadline=deadline)
    except UnknownConnection:
        return _answer(deps, "rejected_unknown_key", 404, "unknown webhook")
    except DatabaseUnavailable:
        return _answer(deps, "unavailable", 503, "database unavailable, retry later")
    return _answer(deps, "accepted" if new else "duplicate", 200, "accepted")
