"""What making and posting digests needs from the app: handed over by the composition root.

A narrow, frozen bag (not ``bot/deps.py``'s ``Deps``, which holds the digest service itself),
so the digest modules depend on the resources they use and nothing imports in a circle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from bot.providers.registry import ProviderRegistry

__all__ = ["DigestResources"]


@dataclass(frozen=True)
class DigestResources:
    """Database, platforms, Slack, metrics and clock, as the digest service uses them."""

    sessions: async_sessionmaker[AsyncSession]
    engine: AsyncEngine
    providers: ProviderRegistry
    metrics: Metrics
    clock: Callable[[], datetime]
    slack_client: Callable[[str], AsyncWebClient]
    """The Web API client that speaks for a team (LookupError for an unknown team)."""
    outbound: asyncio.Event
    """Wakes the sender (the catch-up sync queued card updates)."""
