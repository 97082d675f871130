"""Webhook delivery as the Gumado document describes it ("Webhooks → Delivery Details").

POST, ``Content-Type: application/json``, ``User-Agent: ReviewManagement/V1``, 30 s per attempt,
a 2xx acknowledges; otherwise "up to 10 retries over 5 minutes with exponential backoff".
``retry_scale`` shrinks that schedule (tests use 0.001 to run it in milliseconds).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp

log = logging.getLogger(__name__)

USER_AGENT: Final = "ReviewManagement/V1"
MAX_RETRIES: Final = 10
TOTAL_RETRY_SECONDS: Final = 300.0
ATTEMPT_TIMEOUT: Final = 30.0
EVENTS: Final = frozenset(
    {
        "review-created",
        "review-updated",
        "organization-created",
        "organization-updated",
        "organization-deleted",
        "location-created",
        "location-updated",
        "location-deleted",
    }
)


def retry_delays(
    retries: int = MAX_RETRIES, total: float = TOTAL_RETRY_SECONDS, scale: float = 1.0
) -> list[float]:
    """Waits before each retry: doubling, summing to ``total`` (≈0.3 s, 0.6 s … 150 s)."""
    first = total / (2**retries - 1)
    return [first * 2**i * scale for i in range(retries)]


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    """One endpoint URL and the events it wants (``None``: every event)."""

    id: str
    url: str
    events: frozenset[str] | None

    def wants(self, event: str) -> bool:
        """Whether this subscription receives ``event``."""
        return self.events is None or event in self.events


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One POST of one event to one URL, and how it went."""

    event: str
    url: str
    attempt: int
    status: int | None
    error: str | None = None
    delivery_id: str = ""
    payload_id: Any = None
    at: float = field(default_factory=time.time)

    @property
    def acknowledged(self) -> bool:
        """A 2xx answer: the receiver has the event."""
        return self.status is not None and 200 <= self.status < 300

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form for ``GET /_sandbox/deliveries``."""
        return {
            "delivery_id": self.delivery_id,
            "event": self.event,
            "url": self.url,
            "attempt": self.attempt,
            "status": self.status,
            "error": self.error,
            "id": self.payload_id,
            "at": self.at,
        }


class WebhookDispatcher:
    """Sends events to registered URLs in tracked background tasks, retrying as Gumado does."""

    def __init__(
        self,
        *,
        retry_scale: float = 1.0,
        attempt_timeout: float = ATTEMPT_TIMEOUT,
        max_retries: int = MAX_RETRIES,
    ) -> None:
        if retry_scale < 0 or attempt_timeout <= 0 or max_retries < 0:
            raise ValueError("retry_scale >= 0, attempt_timeout > 0 and max_retries >= 0")
        self.retry_scale = retry_scale
        self.attempt_timeout = attempt_timeout
        self.max_retries = max_retries
        self.subscriptions: list[WebhookSubscription] = []
        self.log: list[DeliveryAttempt] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    def register(self, url: str, events: Iterable[str] | None = None) -> WebhookSubscription:
        """Add an endpoint; ``events`` must be names from the document's event table."""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError("The webhook url must be an http:// or https:// URL")
        wanted = None if events is None else frozenset(events)
        if wanted is not None:
            unknown = sorted(wanted - EVENTS)
            if unknown:
                raise ValueError(f"Unknown webhook events: {', '.join(unknown)}")
        subscription = WebhookSubscription(id=uuid.uuid4().hex, url=url, events=wanted)
        self.subscriptions.append(subscription)
        return subscription

    def dispatch(self, payload: Mapping[str, Any]) -> int:
        """Start delivering ``payload`` to every subscription wanting its ``webhook_event``."""
        event = str(payload["webhook_event"])
        body = json.dumps(dict(payload)).encode()
        started = 0
        for subscription in self.subscriptions:
            if subscription.wants(event):
                task = asyncio.get_running_loop().create_task(
                    self._deliver(subscription.url, event, body, payload.get("id"))
                )
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                started += 1
        return started

    @property
    def pending(self) -> int:
        """Deliveries still in flight (including those waiting to retry)."""
        return len(self._tasks)

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait until every delivery has finished; ``False`` if ``timeout`` ran out first."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=remaining)
        return True

    async def close(self, timeout: float = 5.0) -> None:
        """Let deliveries finish for up to ``timeout`` s, cancel the rest, close the session."""
        if not await self.wait(timeout):
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT}
            )
        return self._session

    async def _deliver(self, url: str, event: str, body: bytes, payload_id: Any) -> None:
        delivery_id = uuid.uuid4().hex
        delays = retry_delays(self.max_retries, scale=self.retry_scale)
        for attempt in range(1, self.max_retries + 2):
            status, error = await self._post(url, body)
            self.log.append(
                DeliveryAttempt(
                    event=event,
                    url=url,
                    attempt=attempt,
                    status=status,
                    error=error,
                    delivery_id=delivery_id,
                    payload_id=payload_id,
                )
            )
            if status is not None and 200 <= status < 300:
                return
            if attempt > self.max_retries:
                log.warning("webhook %s to %s gave up after %d attempts", event, url, attempt)
                return
            await asyncio.sleep(delays[attempt - 1])

    async def _post(self, url: str, body: bytes) -> tuple[int | None, str | None]:
        try:
            async with self._client().post(
                url, data=body, timeout=aiohttp.ClientTimeout(total=self.attempt_timeout)
            ) as response:
                await response.read()
                return response.status, None
        except TimeoutError:
            return None, "timeout"
        except aiohttp.ClientError as exc:
            return None, type(exc).__name__
