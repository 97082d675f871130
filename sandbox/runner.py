"""Run the Gumado and Cloutly sandboxes together (the demo, tests, benchmarks).

``reviewbot sandbox`` adds the Slack stand-in and the exports: :mod:`sandbox.session`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.cloutly import CloutlySandbox
from sandbox.gumado import GumadoSandbox


@dataclass
class RunningSandboxes:
    """Both sandboxes, started, with the base URLs their clients should use."""

    gumado: GumadoSandbox
    cloutly: CloutlySandbox
    gumado_url: str
    cloutly_url: str

    async def stop(self) -> None:
        await self.gumado.stop()
        await self.cloutly.stop()


async def start_sandboxes(
    *, host: str = "127.0.0.1", gumado_port: int = 0, cloutly_port: int = 0, seed: int = 7
) -> RunningSandboxes:
    """Start both sandboxes on ``host`` (port 0 picks a free port)."""
    gumado = GumadoSandbox(seed=seed)
    cloutly = CloutlySandbox(seed=seed)
    gumado_url = await gumado.start(host=host, port=gumado_port)
    try:
        cloutly_url = await cloutly.start(host=host, port=cloutly_port)
    except BaseException:
        await gumado.stop()
        raise
    return RunningSandboxes(gumado, cloutly, gumado_url, cloutly_url)
