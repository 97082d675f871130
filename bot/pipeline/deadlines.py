"""Reply deadlines: when a low rating's deadline passes, queue its reminder (or skip it).

Fanout gives a new live card of a review at or below a subscription's alert rating its
``respond_by`` (``respond:24h``). This stage finds posted cards whose deadline passed: one
answered on the platform or marked handled is settled as ``skipped``; the others are queued
for the card updater (``bot/pipeline/card_updates.py``), which edits the card to "Overdue"
and posts the one reminder in its thread. Both are conditional UPDATEs on ``waiting``, so of
several replicas exactly one queues each reminder.
"""

from __future__ import annotations

from bot.deps import Deps
from bot.log import get_logger
from bot.pipeline.stage_loop import StageLoop
from bot.pipeline.write_gate import WriteGate
from storage.repositories.reminders import (
    any_due,
    next_deadline,
    queue_due_reminders,
    skip_settled_reminders,
)

__all__ = ["Deadlines"]

log = get_logger(__name__)

TICK_SECONDS = 15.0


class Deadlines(StageLoop):
    """Queues the reminders of cards whose reply deadline passed unanswered."""

    name = "deadlines"

    def __init__(self, deps: Deps, gate: WriteGate) -> None:
        super().__init__(tick=TICK_SECONDS, wake=deps.signals.deadlines)
        self._deps = deps
        self._gate = gate

    async def run_once(self) -> float | None:
        """Settle what is due; return the seconds until the next deadline (None: the tick)."""
        deps = self._deps
        now = deps.clock()
        async with deps.sessions() as session:
            due = await any_due(session, now=now)
        skipped: list[int] = []
        queued: list[int] = []
        if due:
            async with self._gate.hold(), deps.sessions() as session, session.begin():
                skipped = await skip_settled_reminders(session, now=now)
                queued = await queue_due_reminders(session, now=now)
        if skipped:
            deps.metrics.reminders.labels("skipped").inc(len(skipped))
            log.info("reminders_skipped", count=len(skipped))
        if queued:
            log.info("reminders_queued", count=len(queued))
            deps.signals.outbound.set()  # the card updater posts them
        async with deps.sessions() as session:
            upcoming = await next_deadline(session)
        if upcoming is None:
            return None
        return max(0.0, (upcoming - deps.clock()).total_seconds())
