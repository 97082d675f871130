"""A person asking while a platform's budget is spent is told when to try again, at once."""

from __future__ import annotations

import re
import time

from surface_helpers import all_text, run_slash

from harness import Service, running_service


async def _list(service: Service, text: str) -> str:
    _, posts = await run_slash(service, f"list {text}")
    assert len(posts) == 1, posts
    return all_text(posts[0])


async def test_cloutly_429_is_a_sentence_at_once_and_never_a_burst(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        sandbox = service.sandboxes.cloutly
        sandbox.inject_fault(status=429)  # as documented: no Retry-After
        sent = len(sandbox.requests)
        started = time.monotonic()
        shown = await _list(service, "connection:cloutly")
        assert "Cloutly is rate-limiting us; try again in 60 s" in shown
        assert time.monotonic() - started < 4, "told at once, not after a wait and a retry"
        assert len(sandbox.requests) == sent + 1


async def test_gumado_remaining_zero_stops_us_before_a_429(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        sandbox = service.sandboxes.gumado
        # Another holder of the token (a second replica) leaves us one request this window.
        left = sandbox.spend("full", 1)
        if left > 1:
            sandbox.spend("full", left - 1)
        await _list(service, "connection:gumado")  # its answer says X-RateLimit-Remaining: 0
        started = time.monotonic()
        shown = await _list(service, "connection:gumado")
        assert re.search(r"Gumado is rate-limiting us; try again in (59|60) s", shown), shown
        assert time.monotonic() - started < 4
        assert sandbox.throttled == 0, "the window's reset was waited for, not a 429"
