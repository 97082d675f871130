"""The platforms the app speaks to, and one long-lived provider per connection.

``PLATFORMS`` is the only list of platforms: the connect form, configuration, the poller,
browsing, invites and digests all read it (or a provider's ``info``). A provider is cached per
connection so its rate-limit pacing covers every caller of that token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.config import Settings
from bot.crypto import TokenCipher
from bot.domain import Source
from bot.errors import ConfigError
from bot.providers.cloutly.adapter import INFO as CLOUTLY
from bot.providers.cloutly.adapter import CloutlyProvider
from bot.providers.cloutly.client import CloutlyClient
from bot.providers.gumado.adapter import INFO as GUMADO
from bot.providers.gumado.adapter import GumadoProvider
from bot.providers.gumado.client import GumadoClient
from bot.providers.http import StatusObserver
from bot.providers.protocol import Provider, ProviderInfo
from bot.providers.ratelimit import RateBuckets

__all__ = [
    "PLATFORMS",
    "ConnectionLike",
    "ProviderRegistry",
    "UnknownPlatform",
    "platform_info",
    "platform_infos",
    "platform_label",
]

SOURCES_TTL_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class _Platform:
    info: ProviderInfo
    build: Callable[[Settings, str, RateBuckets, StatusObserver | None], Provider]


def _gumado(
    settings: Settings, token: str, buckets: RateBuckets, on_status: StatusObserver | None
) -> Provider:
    limiter = buckets.limiter(
        GUMADO.name, token, max_calls=GumadoClient.default_requests_per_minute
    )
    client = GumadoClient(settings.gumado_api_url, token, limiter=limiter, on_status=on_status)
    return GumadoProvider(client)


def _cloutly(
    settings: Settings, token: str, buckets: RateBuckets, on_status: StatusObserver | None
) -> Provider:
    limiter = buckets.limiter(
        CLOUTLY.name, token, max_calls=CloutlyClient.default_requests_per_minute
    )
    client = CloutlyClient(settings.cloutly_api_url, token, limiter=limiter, on_status=on_status)
    return CloutlyProvider(client)


PLATFORMS: dict[str, _Platform] = {
    GUMADO.name: _Platform(GUMADO, _gumado),
    CLOUTLY.name: _Platform(CLOUTLY, _cloutly),
}
"""Every platform, in the order forms offer them."""


class UnknownPlatform(ValueError):
    """A stored or submitted platform name this version does not know."""


def platform_info(platform: str) -> ProviderInfo:
    """The static facts of ``platform`` (UnknownPlatform for a name we do not know)."""
    found = PLATFORMS.get(platform)
    if found is None:
        raise UnknownPlatform(f"unknown platform {platform!r}")
    return found.info


def platform_infos() -> tuple[ProviderInfo, ...]:
    """Every platform's static facts, in the order forms offer them (for block builders)."""
    return tuple(found.info for found in PLATFORMS.values())


def platform_label(platform: str) -> str:
    """The display name of ``platform`` (the raw name, title-cased, if unknown)."""
    found = PLATFORMS.get(platform)
    return found.info.display_name if found is not None else platform.title()


class ConnectionLike(Protocol):
    """What the registry reads from a stored connection."""

    @property
    def id(self) -> int: ...
    @property
    def platform(self) -> str: ...
    @property
    def token_encrypted(self) -> str: ...


class ProviderRegistry:
    """Builds and caches providers for stored connections (tokens decrypted on demand)."""

    def __init__(
        self,
        settings: Settings,
        cipher: TokenCipher | None,
        *,
        on_status: StatusObserver | None = None,
    ) -> None:
        self._settings = settings
        self._on_status = on_status  # counts every platform answer (metrics)
        self._cipher = cipher
        # connection id -> (ciphertext the provider was built from, provider)
        self._providers: dict[int, tuple[str, Provider]] = {}
        # Replaced providers may still be in use by a running poll; they close with the app.
        self._retired: list[Provider] = []
        # connection id -> (monotonic expiry, the review sites the platform listed)
        self._sources: dict[int, tuple[float, list[Source]]] = {}
        # One rate-limit bucket per token, shared by every provider of it in this process.
        self._rate_buckets = RateBuckets()

    def __repr__(self) -> str:
        return f"ProviderRegistry(providers={len(self._providers)})"

    def provider_for(self, connection: ConnectionLike) -> Provider:
        """The provider for ``connection``; rebuilt when its token was rotated."""
        cached = self._providers.get(connection.id)
        if cached is not None and cached[0] == connection.token_encrypted:
            return cached[1]
        if self._cipher is None:
            raise ConfigError("ENCRYPTION_KEY is not set, so stored tokens cannot be read")
        token = self._cipher.decrypt(connection.token_encrypted)
        provider = self.new_provider(connection.platform, token)
        if cached is not None:
            self._retired.append(cached[1])
        self._providers[connection.id] = (connection.token_encrypted, provider)
        return provider

    def new_provider(self, platform: str, token: str) -> Provider:
        """A fresh provider for a token (used to check a token before it is stored)."""
        found = PLATFORMS.get(platform)
        if found is None:
            raise UnknownPlatform(f"unknown platform {platform!r}")
        return found.build(self._settings, token, self._rate_buckets, self._on_status)

    async def sources(self, connection: ConnectionLike) -> list[Source]:
        """The review sites of ``connection``'s account, asked of the platform once an hour."""
        cached = self._sources.get(connection.id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        found = await self.provider_for(connection).sources()
        self._sources[connection.id] = (time.monotonic() + SOURCES_TTL_SECONDS, found)
        return found

    def headroom(self, connection_id: int) -> tuple[int, int] | None:
        """(requests left, per window) of the connection's provider; None before its first use."""
        cached = self._providers.get(connection_id)
        if cached is None:
            return None
        return cached[1].headroom, cached[1].rate_limit

    def forget(self, connection_id: int) -> None:
        """Drop the cached provider of a removed connection."""
        self._sources.pop(connection_id, None)
        cached = self._providers.pop(connection_id, None)
        if cached is not None:
            self._retired.append(cached[1])

    async def aclose(self) -> None:
        """Close every provider."""
        providers = [provider for _, provider in self._providers.values()] + self._retired
        self._providers.clear()
        self._retired.clear()
        for provider in providers:
            await provider.aclose()
