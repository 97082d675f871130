"""A picture never costs a card: calls Slack refused over an image are sent again without it.

Slack downloads every ``image_url`` of a message or view when it is sent and fails the WHOLE
call on one it cannot fetch or render (SVG, WebP, a 404, a slow or flaky host; sometimes a
valid image, python-slack-sdk #1782)::

    {"ok": false, "error": "invalid_blocks",
     "errors": ["downloading image failed [json-pointer:/blocks/1/accessory/image_url]"]}

:class:`ImageFallbackClient` is the app's ``AsyncWebClient``: on such an answer it removes
the image the json-pointer names (an image block, a section accessory, a context element)
and sends the same call again, at most :data:`MAX_IMAGE_RETRIES` times. Nothing else
changes, and a refused call took no effect, so resending is safe even for the sender's
exactly-once posts. Every client the app makes is one: :func:`bot.slack_web.web_client`,
the OAuth installation clients, and the client Bolt hands each listener
(:func:`with_image_fallback`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import FormData
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.log import get_logger
from bot.metrics import Metrics

__all__ = [
    "MAX_IMAGE_RETRIES",
    "ImageFallbackClient",
    "failed_image_pointers",
    "with_image_fallback",
    "without_images",
]

log = get_logger(__name__)

# A card has two images and a view rarely more; Slack names one failure per answer.
MAX_IMAGE_RETRIES = 10
_FAILED_IMAGE = re.compile(r"downloading image failed \[json-pointer:(?P<pointer>[^\]\s]+)\]")


def failed_image_pointers(data: Any) -> list[str]:
    """The json-pointers of the images a Slack error answer says it could not download."""
    if not isinstance(data, Mapping):
        return []
    metadata = data.get("response_metadata")
    messages = list(data.get("errors") or [])
    if isinstance(metadata, Mapping):
        messages += list(metadata.get("messages") or [])
    pointers: list[str] = []
    for message in messages:
        for match in _FAILED_IMAGE.finditer(message if isinstance(message, str) else ""):
            if match["pointer"] not in pointers:
                pointers.append(match["pointer"])
    return pointers


def _segments(pointer: str) -> list[str]:
    """RFC 6901: ``/blocks/1/accessory`` → ``["blocks", "1", "accessory"]``."""
    if not pointer.startswith("/"):
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def _resolve(value: Any, segments: Sequence[str]) -> Any:
    for segment in segments:
        if isinstance(value, list) and segment.isdecimal() and int(segment) < len(value):
            value = value[int(segment)]
        elif isinstance(value, dict) and segment in value:
            value = value[segment]
        else:
            return None
    return value


def _is_empty_context(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") == "context" and not value.get("elements")


def _drop_empty_contexts(value: Any) -> None:
    """A context block needs at least one element: drop one whose only element was the image."""
    if isinstance(value, dict):
        for item in value.values():
            _drop_empty_contexts(item)
    elif isinstance(value, list):
        value[:] = [item for item in value if not _is_empty_context(item)]
        for item in value:
            _drop_empty_contexts(item)


def without_images(body: Mapping[str, Any], pointers: Sequence[str]) -> dict[str, Any] | None:
    """A copy of a call's arguments without the images ``pointers`` name.

    ``blocks``/``view`` may be objects (JSON body) or JSON strings (form body). None when a
    pointer does not name an image of ``body``: then there is nothing safe to remove.
    """
    smaller = dict(body)
    decoded: set[str] = set()
    encoded: set[str] = set()
    targets: list[tuple[Any, Any]] = []
    for pointer in pointers:
        segments = _segments(pointer)
        if len(segments) < 2 or segments[0] not in smaller:
            return None
        top = segments[0]
        if top not in decoded:
            value = smaller[top]
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError:
                    return None
                encoded.add(top)
            smaller[top] = copy.deepcopy(value)
            decoded.add(top)
        image = _resolve(smaller, segments[:-1])
        if not isinstance(image, dict) or image.get("type") != "image":
            return None
        targets.append((_resolve(smaller, segments[:-2]), image))
    # Remove by identity once every pointer is resolved: indices would shift otherwise.
    for parent, image in targets:
        if isinstance(parent, list):
            parent[:] = [item for item in parent if item is not image]
        elif isinstance(parent, dict):
            for key in [key for key, item in parent.items() if item is image]:
                del parent[key]
    for top in decoded:
        _drop_empty_contexts(smaller[top])
    for top in encoded:
        smaller[top] = json.dumps(smaller[top])
    return smaller


class ImageFallbackClient(AsyncWebClient):
    """An AsyncWebClient that sends a call again without the images Slack could not download."""

    def __init__(self, *args: Any, metrics: Metrics | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | FormData | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> AsyncSlackResponse:
        """Make the call; on "downloading image failed", again without the image named."""
        retries = 0
        while True:
            try:
                return await super().api_call(
                    api_method,
                    http_verb=http_verb,
                    files=files,
                    data=data,
                    params=params,
                    json=json,
                    headers=headers,
                    auth=auth,
                )
            except SlackApiError as exc:
                pointers = failed_image_pointers(getattr(exc.response, "data", None))
                if not pointers or retries >= MAX_IMAGE_RETRIES:
                    raise
                body = json if json is not None else data if isinstance(data, dict) else None
                smaller = without_images(body, pointers) if body is not None else None
                if smaller is None:
                    raise
                if json is not None:
                    json = smaller
                else:
                    data = smaller
                retries += 1
                self._dropped(api_method, pointers)

    def _dropped(self, api_method: str, pointers: Sequence[str]) -> None:
        # The pointer says where the image was; its URL may carry a signed token: never logged.
        log.warning("slack_image_dropped", method=api_method, pointers=list(pointers))
        if self.metrics is not None:
            self.metrics.slack_images_dropped.labels(api_method).inc(len(pointers))


def with_image_fallback(client: AsyncWebClient, metrics: Metrics | None) -> ImageFallbackClient:
    """``client`` as an :class:`ImageFallbackClient` (the same token, URL, session, retries)."""
    if isinstance(client, ImageFallbackClient):
        return client
    # A shallow copy into the subclass keeps every setting Bolt gave its per-request client
    # (token, base_url, timeout, proxy, session, headers, team_id, retry handlers).
    fallback = ImageFallbackClient.__new__(ImageFallbackClient)
    fallback.__dict__.update(vars(client))
    fallback.metrics = metrics
    return fallback
