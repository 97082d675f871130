"""The loop every pipeline stage runs: wake on a signal or a tick, do a pass, never die."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot.log import get_logger

__all__ = ["StageLoop", "is_unreachable"]

log = get_logger(__name__)

# After an unexpected error a stage waits this long before its next pass (no hot loop).
ERROR_PAUSE_SECONDS = 2.0


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database (or the network) is briefly out of reach.

    Expected in operations (a restart, a failover): the next pass retries, so it is logged
    as one warning line, not as an error with a traceback.
    """
    if isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class StageLoop:
    """A background stage: ``run_once`` on every wake-up or tick until stopped."""

    name = "stage"

    def __init__(self, *, tick: float, wake: asyncio.Event | None = None) -> None:
        self.tick = tick
        self.wake = wake if wake is not None else asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._running = False

    async def run_once(self) -> float | None:
        """Do one pass; return seconds until the next one is wanted (None: the tick)."""
        raise NotImplementedError

    def idle_hint(self) -> bool:
        """False while the stage knows of work due soon (subclasses refine)."""
        return True

    def busy(self) -> bool:
        """True while a pass runs, a wake-up is pending, or work is due soon."""
        if self._task is None or self._stopping:
            return False
        return self._running or self.wake.is_set() or not self.idle_hint()

    @property
    def stopping(self) -> bool:
        """True once ``stop`` was called: a pass should wind down."""
        return self._stopping

    def start(self) -> None:
        """Start the loop (the first pass runs at once)."""
        if self._task is None:
            self._stopping = False
            self.wake.set()
            self._task = asyncio.create_task(self._loop(), name=f"pipeline-{self.name}")

    async def stop(self, timeout: float = 10.0) -> None:
        """Let the current pass finish (up to ``timeout`` s), then end the loop."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self.wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while not self._stopping:
            self.wake.clear()
            self._running = True
            try:
                delay = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A background loop has no caller: log, pause, and carry on with the next pass.
                if is_unreachable(exc):
                    # The type only: a driver's message can quote the statement's parameters.
                    log.warning(
                        "pipeline_pass_database_unavailable",
                        stage=self.name,
                        error_type=type(exc).__name__,
                    )
                else:
                    log.exception("pipeline_pass_failed", stage=self.name)
                delay = ERROR_PAUSE_SECONDS
            finally:
                self._running = False
            if self._stopping:
                break
            wait = self.tick if delay is None else max(0.0, min(delay, self.tick))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=wait)
