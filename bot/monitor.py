"""A small background check that keeps the database, queue and connection gauges current.

Every few seconds it pings the database (``reviewbot_database_up``), reads the depth and
the oldest row of the two work queues and counts connections by health; ``GET /metrics``
only reads these cached values, so a scrape never waits on a slow or unreachable database.
"""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.deps import Deps
from bot.pipeline.stage_loop import StageLoop
from storage.engine import ping
from storage.models import Connection, Delivery, InboundEvent

__all__ = ["MONITOR_KEY", "Monitor", "install_monitor"]

MONITOR_SECONDS = 15.0


class Monitor(StageLoop):
    """Refreshes ``database_up`` and the queue gauges on every tick."""

    name = "monitor"

    def __init__(self, deps: Deps, *, tick: float = MONITOR_SECONDS) -> None:
        super().__init__(tick=tick)
        self.deps = deps

    async def run_once(self) -> float | None:
        metrics = self.deps.metrics
        up = await ping(self.deps.engine)
        metrics.database_up.set(1 if up else 0)
        if not up:
            return None  # the queue gauges keep their last values; database_up says why
        try:
            queues = await self._queues()
            connections = await self._connections()
        except (SQLAlchemyError, OSError, TimeoutError):
            metrics.database_up.set(0)
            return None
        metrics.connections.clear()  # a platform whose connections were all removed goes
        for (platform, healthy), number in connections.items():
            metrics.connections.labels(platform, "true" if healthy else "false").set(number)
        now = self.deps.clock()
        for queue, (depth, oldest) in queues.items():
            metrics.queue_depth.labels(queue).set(depth)
            age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
            metrics.queue_oldest_age.labels(queue).set(age)
        return None

    async def _queues(self) -> dict[str, tuple[int, datetime | None]]:
        """Rows waiting and the oldest one's time, per queue (two indexed aggregate reads)."""
        async with self.deps.sessions() as session:
            events = (
                await session.execute(
                    select(func.count(), func.min(InboundEvent.received_at)).where(
                        InboundEvent.status == "pending"
                    )
                )
            ).one()
            # A card is waiting until it is sent or given up: pending or being posted.
            deliveries = (
                await session.execute(
                    select(func.count(), func.min(Delivery.created_at)).where(
                        Delivery.status.in_(("pending", "sending"))
                    )
                )
            ).one()
        return {
            "inbound_events": (int(events[0]), events[1]),
            "deliveries": (int(deliveries[0]), deliveries[1]),
        }

    async def _connections(self) -> dict[tuple[str, bool], int]:
        """Connections per (platform, healthy), zeros included so an alert can compare."""
        async with self.deps.sessions() as session:
            rows = await session.execute(
                select(Connection.platform, Connection.healthy, func.count()).group_by(
                    Connection.platform, Connection.healthy
                )
            )
            counted = {(platform, bool(healthy)): int(n) for platform, healthy, n in rows}
        platforms = {platform for platform, _ in counted}
        return {
            (platform, healthy): counted.get((platform, healthy), 0)
            for platform in platforms
            for healthy in (True, False)
        }


MONITOR_KEY = web.AppKey("monitor", Monitor)


def install_monitor(app: web.Application, deps: Deps) -> Monitor:
    """Run the monitor while ``app`` runs."""
    monitor = Monitor(deps)
    app[MONITOR_KEY] = monitor

    async def start(_: web.Application) -> None:
        monitor.start()

    async def stop(_: web.Application) -> None:
        await monitor.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return monitor
