"""Run the Gumado and Cloutly sandboxes together (``reviewbot sandbox``, the demo, benchmarks)."""

from __future__ import annotations

import shlex
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


def describe(running: RunningSandboxes) -> str:
    """What a person needs to point the app (or a client) at the sandboxes."""
    lines = ["Gumado sandbox:  " + running.gumado_url]
    lines += [f"  token {name}: {value}" for name, value in running.gumado.tokens.items()]
    lines += ["Cloutly sandbox: " + running.cloutly_url]
    lines += [f"  key {name}: {value}" for name, value in running.cloutly.tokens.items()]
    for business_id, campaigns in running.cloutly.campaigns.items():
        for campaign_id, name in campaigns:
            lines.append(f"  business {business_id} campaign {campaign_id} ({name})")
    gumado_token = next(iter(running.gumado.tokens.values()))
    cloutly_key = next(iter(running.cloutly.tokens.values()))
    lines += [
        "",
        "Point the app at them with:",
        f"  export GUMADO_API_URL={running.gumado_url} GUMADO_API_TOKEN={shlex.quote(gumado_token)}",
        f"  export CLOUTLY_API_URL={running.cloutly_url} CLOUTLY_API_KEY={shlex.quote(cloutly_key)}",
        "Stop with Ctrl-C.",
    ]
    return "\n".join(lines)
