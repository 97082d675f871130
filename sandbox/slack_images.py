"""Image downloads of the Slack stand-in: Slack fetches every ``image_url`` when a call is sent.

Slack downloads each image of a message or view (image blocks, image elements of context
blocks, section accessories) while handling ``chat.postMessage``, ``chat.update``,
``chat.postEphemeral`` and ``views.open/push/update/publish``. One it cannot fetch or render
fails the WHOLE call (SLACK_FACTS.md §7; python-slack-sdk #1782)::

    {"ok": false, "error": "invalid_blocks",
     "errors": ["downloading image failed [json-pointer:/blocks/1/accessory/image_url]"],
     "response_metadata": {"messages": ["[ERROR] downloading image failed [json-pointer:…]"]}}

(``/view/blocks/…`` pointers for views). The stand-in cannot reach the internet, so it decides
deterministically, image by image in payload order, and reports the first that fails:

1. not ``http``/``https``, or no host: fails;
2. a path ending in ``.svg``, ``.svgz`` or ``.webp`` (any case): fails — Slack renders PNG,
   JPEG and GIF only;
3. a host, or a URL prefix, listed in :attr:`ImageDownloads.unreachable`: fails (stands for a
   404, a slow or a flaky host on the internet; tests and the demo add entries);
4. a loopback host (``localhost``, ``127.0.0.0/8``, ``::1``): really fetched, within
   :data:`DOWNLOAD_TIMEOUT_SECONDS`; fails unless it answers 200 with a ``Content-Type`` of
   ``image/png``, ``image/jpeg`` or ``image/gif`` and bytes that start like that format (so a
   test can serve an SVG under a ``.png`` URL, a 404, or a slow answer);
5. any other host: downloads (the stand-in has no way to know otherwise).

The failure is raised where the method checks its blocks, after its other checks (channel,
message, user, trigger), so those errors come first, as do blocks that break other limits.
``slack_file`` images are Slack's own files and are not downloaded.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp

from sandbox.slack_limits import (
    MESSAGE_MAX_BLOCKS,
    SURFACE_MAX_BLOCKS,
    block_problems,
)
from sandbox.slack_state import JSON, SlackError

__all__ = ["DOWNLOAD_TIMEOUT_SECONDS", "IMAGE_METHODS", "ImageDownloads", "image_urls"]

DOWNLOAD_TIMEOUT_SECONDS = 2.0
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
VIEW_METHODS = frozenset({"views.open", "views.push", "views.update", "views.publish"})
IMAGE_METHODS = MESSAGE_METHODS | VIEW_METHODS
UNRENDERABLE_SUFFIXES = (".svg", ".svgz", ".webp")
_SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def _image_at(element: Any, at: str) -> Iterator[tuple[str, str]]:
    if isinstance(element, dict) and element.get("type") == "image":
        url = element.get("image_url")
        if isinstance(url, str):
            yield f"{at}/image_url", url


def image_urls(blocks: list[Any], pointer: str) -> Iterator[tuple[str, str]]:
    """(json-pointer, url) of every image Slack would download, in payload order."""
    for i, block in enumerate(blocks):
        at = f"{pointer}/{i}"
        if not isinstance(block, dict):
            continue
        yield from _image_at(block, at)
        if block.get("type") == "section":
            yield from _image_at(block.get("accessory"), f"{at}/accessory")
        if block.get("type") == "context":
            for j, element in enumerate(block.get("elements") or []):
                yield from _image_at(element, f"{at}/elements/{j}")


def _payload_blocks(method: str, args: JSON) -> tuple[list[Any], str] | None:
    """The blocks of a call and their json-pointer, when they pass Slack's other checks."""
    if method in MESSAGE_METHODS:
        blocks, pointer, limit = _decoded(args.get("blocks")), "/blocks", MESSAGE_MAX_BLOCKS
    else:
        view = _decoded(args.get("view"))
        blocks = view.get("blocks") if isinstance(view, dict) else None
        pointer, limit = "/view/blocks", SURFACE_MAX_BLOCKS
    if not isinstance(blocks, list) or block_problems(blocks, max_blocks=limit, pointer=pointer):
        return None
    return blocks, pointer


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class ImageDownloads:
    """Decides which ``image_url`` Slack could download and render (rules in the module doc)."""

    unreachable: set[str] = field(default_factory=set)
    """Hosts (``cdn.example``) or URL prefixes (``https://cdn.example/a/``) that fail."""
    timeout: float = DOWNLOAD_TIMEOUT_SECONDS

    async def failure(self, method: str, args: JSON) -> SlackError | None:
        """The ``invalid_blocks`` error naming the call's first image that fails to download."""
        found = _payload_blocks(method, args) if method in IMAGE_METHODS else None
        for pointer, url in image_urls(*found) if found is not None else ():
            if not await self.downloads(url):
                problem = f"downloading image failed [json-pointer:{pointer}]"
                return SlackError(
                    "invalid_blocks",
                    errors=[problem],
                    response_metadata={"messages": [f"[ERROR] {problem}"]},
                )
        return None

    async def downloads(self, url: str) -> bool:
        """True when Slack could fetch and render ``url``."""
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            return False
        host = (parts.hostname or "").lower()
        if parts.scheme.lower() not in ("http", "https") or not host:
            return False
        if unquote(parts.path).lower().endswith(UNRENDERABLE_SUFFIXES):
            return False
        if host in self.unreachable or any(
            "://" in entry and url.startswith(entry) for entry in self.unreachable
        ):
            return False
        if _is_loopback(host):
            return await self._fetch(url)
        return True

    async def _fetch(self, url: str) -> bool:
        try:
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url) as response,
            ):
                if response.status != 200:
                    return False
                signatures = _SIGNATURES.get(response.content_type, ())
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
            return False
        return any(body.startswith(signature) for signature in signatures)
