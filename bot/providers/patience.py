"""Platform calls made while a person waits: give up early on a long Retry-After, and in time.

The platform clients honour ``Retry-After`` by sleeping and retrying, which is right for the
poller but not for someone looking at Slack: when the platform asks us to wait longer than a
person should, they are told when to try again instead.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Coroutine
from typing import Any, Protocol, TypeVar

from bot.errors import RateLimited, Unavailable

__all__ = ["Paced", "patiently"]

T = TypeVar("T")

POLL_SECONDS = 0.05


class Paced(Protocol):
    """What :func:`patiently` reads from a provider."""

    @property
    def platform(self) -> str: ...

    @property
    def display_name(self) -> str: ...

    @property
    def pacing_delay(self) -> float: ...


def _rate_limited(client: Paced, wait: float) -> RateLimited:
    seconds = max(1, math.ceil(wait))
    return RateLimited(
        f"{client.display_name} is rate-limiting us; try again in {seconds} s",
        platform=client.platform,
        retry_after=wait,
    )


async def patiently(
    client: Paced,
    call: Coroutine[Any, Any, T],
    *,
    patience: float,
    deadline: float,
) -> T:
    """Await ``call``, raising RateLimited once the client must wait more than ``patience`` s
    before its next request, and Unavailable after ``deadline`` s in all.

    A call is only abandoned while it waits to be sent (a 429 was answered, so nothing was
    processed); the error says how long the platform asked us to wait.
    """
    wait = client.pacing_delay
    if wait > patience:
        call.close()
        raise _rate_limited(client, wait)
    task = asyncio.ensure_future(call)
    started = time.monotonic()
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=POLL_SECONDS)
            if done:
                return task.result()
            wait = client.pacing_delay
            if wait > patience:
                raise _rate_limited(client, wait)
            if time.monotonic() - started > deadline:
                raise Unavailable(
                    f"{client.display_name} did not answer within "
                    f"{round(deadline)} s; try again in a minute",
                    platform=client.platform,
                )
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
