"""Racing the ack: how long a listener may wait for work whose answer decides the ack."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Race", "ack_within"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Race(Generic[T]):
    """How the raced work stood when the ack had to go."""

    task: asyncio.Task[T]
    finished: bool
    """False: still running; the ack says "working on it" and the rest is done later."""

    @property
    def failed(self) -> bool:
        """Finished with an exception (already logged by ``Deps.spawn``)."""
        return self.finished and self.task.exception() is not None

    def result(self) -> T:
        """The work's result (only when finished without an exception)."""
        return self.task.result()


async def ack_within(seconds: float, task: asyncio.Task[T]) -> Race[T]:
    """Wait up to ``seconds`` for ``task``, never cancelling it.

    A modal submission must be acked within Slack's 3 s; when a platform's answer decides the
    ack (inline field errors, or the result in the modal), wait for it well inside that, and
    let a slower answer finish in the background while the modal says it is working.
    """
    done, _ = await asyncio.wait({task}, timeout=seconds)
    return Race(task, bool(done))
