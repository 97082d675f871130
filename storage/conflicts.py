"""Transactions that PostgreSQL may abort to break a deadlock, and their retry.

PostgreSQL aborts one of two transactions that wait on each other (SQLSTATE 40P01, "deadlock
detected") and may refuse a serializable one (40001). Both are safe to run again from the
start: the work was rolled back. Writers also take rows in a stable key order so this stays
rare; the retry makes "rare" harmless.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from sqlalchemy.exc import DBAPIError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

__all__ = ["CONFLICT_STATES", "is_conflict", "retry_conflicts"]

log = structlog.get_logger(__name__)

T = TypeVar("T")

CONFLICT_STATES = frozenset({"40P01", "40001"})
"""deadlock_detected, serialization_failure."""
ATTEMPTS = 5


def is_conflict(exc: BaseException) -> bool:
    """True for a deadlock or serialization failure (the transaction may simply run again)."""
    if not isinstance(exc, DBAPIError):
        return False
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return state in CONFLICT_STATES


def _note(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning(
        "database_conflict_retry",
        error_type=type(error.orig).__name__ if isinstance(error, DBAPIError) else "?",
        attempt=state.attempt_number + 1,
    )


async def retry_conflicts(transaction: Callable[[], Awaitable[T]]) -> T:
    """Run ``transaction`` (which opens and commits its own session), again on a conflict."""
    retrying = AsyncRetrying(
        retry=retry_if_exception(is_conflict),
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_random_exponential(multiplier=0.05, max=1.0),
        before_sleep=_note,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await transaction()
    raise AssertionError("unreachable: tenacity either returns or raises")
