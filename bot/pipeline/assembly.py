"""The pipeline assembled: intake writer, router, sender, roll-up poster, poller and reply
deadlines as one object, started and stopped with the aiohttp application."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.deps import Deps
from bot.language import warm_up
from bot.log import get_logger
from bot.pipeline.claims import ClaimRegistry
from bot.pipeline.deadlines import Deadlines
from bot.pipeline.intake import INTAKE_KEY, IntakeWriter
from bot.pipeline.poller import Poller
from bot.pipeline.rollups import RollupPoster
from bot.pipeline.router import Router
from bot.pipeline.sender import Sender

__all__ = ["PIPELINE_KEY", "Pipeline", "install_pipeline"]

log = get_logger(__name__)

# PostgreSQL would take concurrent commits, but measured here (bench/intake.py, 2 CPUs) one
# writer with bigger groups beat 2, 4 and 8 writers: the process is CPU-bound, not I/O-bound.
POSTGRES_INTAKE_WRITERS = 1
# SQLite: small batches, so a webhook arriving mid-batch waits little for the write lock.
SQLITE_ROUTER_BATCH = 10
POSTGRES_ROUTER_BATCH = 20


class Pipeline:
    """Every background stage of reviews in and out, for one process."""

    def __init__(self, deps: Deps) -> None:
        postgres = deps.engine.dialect.name == "postgresql"
        self.deps = deps
        self.gate = deps.gate
        self.claims = ClaimRegistry(deps.settings.delivery_lease_seconds)
        self.names = deps.names
        self.intake = IntakeWriter(
            deps, self.gate, writers=POSTGRES_INTAKE_WRITERS if postgres else 1
        )
        self.router = Router(
            deps,
            self.gate,
            batch=POSTGRES_ROUTER_BATCH if postgres else SQLITE_ROUTER_BATCH,
            names=self.names,
            give_way=self.intake.under_pressure,
        )
        self.sender = Sender(deps, self.gate, self.claims)
        # Roll-ups share the cards' channel pace, Slack clients and history budget.
        self.rollups = RollupPoster(deps, self.gate, self.sender.posting)
        self.poller = Poller(deps, self.gate, names=self.names)
        self.deadlines = Deadlines(deps, self.gate)

    def busy(self) -> bool:
        """True while any stage has work in hand or due soon."""
        return (
            self.intake.busy()
            or self.router.busy()
            or self.sender.busy()
            or self.rollups.busy()
            or self.poller.busy()
            or self.deadlines.busy()
        )

    async def start(self) -> None:
        """Start every stage (the router and sender first drain what a previous run left)."""
        # The language model loads in about half a second: in a thread, before the router
        # needs it, rather than in the event loop on the first review.
        await asyncio.to_thread(warm_up)
        self.intake.start()
        self.router.start()
        self.sender.start()
        self.rollups.start()
        self.poller.start()
        self.deadlines.start()

    async def stop(self) -> None:
        """Stop polling and posting, commit queued webhooks, release claims."""
        await self.poller.stop()
        await self.deadlines.stop()
        await self.intake.stop()
        await self.router.stop()
        await self.sender.stop()
        await self.rollups.stop()
        self.claims.close()


PIPELINE_KEY = web.AppKey("pipeline", Pipeline)


def install_pipeline(app: web.Application, deps: Deps) -> Pipeline:
    """Attach the pipeline to ``app``: started on start-up, stopped on cleanup."""
    pipeline = Pipeline(deps)
    app[PIPELINE_KEY] = pipeline
    app[INTAKE_KEY] = pipeline.intake
    deps.busy_checks.append(pipeline.busy)

    async def start(_: web.Application) -> None:
        await pipeline.start()

    async def stop(_: web.Application) -> None:
        await pipeline.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return pipeline
