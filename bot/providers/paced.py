"""What every provider passes through to its HTTP client: names, pacing, closing."""

from __future__ import annotations

from typing import Protocol

from bot.providers.protocol import ProviderInfo

__all__ = ["ClientProvider", "PacedClient"]


class PacedClient(Protocol):
    """The pacing side of a platform client (``PlatformHTTP``'s limiter shows through it)."""

    @property
    def pacing_delay(self) -> float: ...

    @property
    def headroom(self) -> int: ...

    @property
    def rate_limit(self) -> int: ...

    async def aclose(self) -> None: ...


class ClientProvider:
    """A provider built on one platform client; subclasses set ``info`` and add the calls."""

    info: ProviderInfo

    def __init__(self, client: PacedClient) -> None:
        self._paced = client

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._paced!r})"

    @property
    def platform(self) -> str:
        return self.info.name

    @property
    def display_name(self) -> str:
        return self.info.display_name

    @property
    def pacing_delay(self) -> float:
        return self._paced.pacing_delay

    @property
    def headroom(self) -> int:
        return self._paced.headroom

    @property
    def rate_limit(self) -> int:
        return self._paced.rate_limit

    async def aclose(self) -> None:
        await self._paced.aclose()
