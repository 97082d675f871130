"""An image host on loopback (a CDN of avatars and logos) that the Slack stand-in downloads from.

Each path answers what the test says: a PNG, an SVG under a ``.png`` name, a 404, a slow
answer. Unknown paths are 404, like a CDN after the file was removed.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

__all__ = ["PNG", "SVG", "ImageHost", "running_image_host"]

# A 1×1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect width="1" height="1"/></svg>'


@dataclass(frozen=True)
class Served:
    """How one path answers."""

    status: int = 200
    content_type: str = "image/png"
    body: bytes = PNG
    delay: float = 0.0


class ImageHost:
    """Serves images on 127.0.0.1; :meth:`serve` sets (or changes) what a path answers."""

    def __init__(self) -> None:
        self.paths: dict[str, Served] = {}
        self.requests: list[str] = []
        self.root_url = ""
        self._runner: web.AppRunner | None = None

    def serve(
        self,
        path: str,
        *,
        status: int = 200,
        content_type: str = "image/png",
        body: bytes = PNG,
        delay: float = 0.0,
    ) -> str:
        """Answer ``path`` so from now on; returns its URL."""
        self.paths[path] = Served(status, content_type, body, delay)
        return self.url(path)

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this host."""
        return f"{self.root_url}{path}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        served = self.paths.get(request.path)
        if served is None:
            return web.Response(status=404, text="not found")
        if served.delay:
            await asyncio.sleep(served.delay)
        return web.Response(
            status=served.status, body=served.body, content_type=served.content_type
        )

    async def start(self) -> None:
        """Serve on a free loopback port."""
        app = web.Application()
        app.router.add_get("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.root_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@asynccontextmanager
async def running_image_host() -> AsyncIterator[ImageHost]:
    """An :class:`ImageHost` started for the block and stopped afterwards."""
    host = ImageHost()
    await host.start()
    try:
        yield host
    finally:
        await host.stop()
