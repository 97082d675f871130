"""One long-lived client per connection, so its rate-limit pacing covers every caller."""

from __future__ import annotations

from typing import Protocol

from bot.config import Settings
from bot.crypto import TokenCipher
from bot.errors import ConfigError
from bot.providers.cloutly import CloutlyClient
from bot.providers.gumado import GumadoClient
from bot.providers.ratelimit import RateBuckets

__all__ = ["ConnectionLike", "ProviderRegistry"]

PlatformClient = GumadoClient | CloutlyClient


class ConnectionLike(Protocol):
    """What the registry reads from a stored connection."""

    @property
    def id(self) -> int: ...
    @property
    def platform(self) -> str: ...
    @property
    def token_encrypted(self) -> str: ...


class ProviderRegistry:
    """Builds and caches platform clients for stored connections (tokens decrypted on demand)."""

    def __init__(self, settings: Settings, cipher: TokenCipher | None) -> None:
        self._settings = settings
        self._cipher = cipher
        # connection id -> (ciphertext the client was built from, client)
        self._clients: dict[int, tuple[str, PlatformClient]] = {}
        # Replaced clients may still be in use by a running poll; they close with the app.
        self._retired: list[PlatformClient] = []
        # One rate-limit bucket per token, shared by every client of it in this process.
        self._rate_buckets = RateBuckets()

    def __repr__(self) -> str:
        return f"ProviderRegistry(clients={len(self._clients)})"

    def client_for(self, connection: ConnectionLike) -> PlatformClient:
        """The client for ``connection``; rebuilt when its token was rotated."""
        cached = self._clients.get(connection.id)
        if cached is not None and cached[0] == connection.token_encrypted:
            return cached[1]
        if self._cipher is None:
            raise ConfigError("ENCRYPTION_KEY is not set, so stored tokens cannot be read")
        token = self._cipher.decrypt(connection.token_encrypted)
        client = self.new_client(connection.platform, token)
        if cached is not None:
            self._retired.append(cached[1])
        self._clients[connection.id] = (connection.token_encrypted, client)
        return client

    def new_client(self, platform: str, token: str) -> PlatformClient:
        """A fresh client for a token (used to check a token before it is stored)."""
        buckets = self._rate_buckets
        if platform == "gumado":
            limiter = buckets.limiter(
                platform, token, max_calls=GumadoClient.default_requests_per_minute
            )
            return GumadoClient(self._settings.gumado_api_url, token, limiter=limiter)
        if platform == "cloutly":
            limiter = buckets.limiter(
                platform, token, max_calls=CloutlyClient.default_requests_per_minute
            )
            return CloutlyClient(self._settings.cloutly_api_url, token, limiter=limiter)
        raise ValueError(f"unknown platform {platform!r}")

    def headroom(self, connection_id: int) -> tuple[int, int] | None:
        """(requests left, per window) of the connection's client; None before its first use."""
        cached = self._clients.get(connection_id)
        if cached is None:
            return None
        return cached[1].headroom, cached[1].rate_limit

    def forget(self, connection_id: int) -> None:
        """Drop the cached client of a removed connection."""
        cached = self._clients.pop(connection_id, None)
        if cached is not None:
            self._retired.append(cached[1])

    async def aclose(self) -> None:
        """Close every client."""
        clients = [client for _, client in self._clients.values()] + self._retired
        self._clients.clear()
        self._retired.clear()
        for client in clients:
            await client.aclose()
