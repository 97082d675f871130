"""This process's side of delivery leases: its owner id and how long each lease is known good."""

from __future__ import annotations

import time

from bot.pipeline.claims import ClaimRegistry


def test_a_lease_is_safe_to_post_under_until_its_last_third() -> None:
    claims = ClaimRegistry(60)
    assert len(claims.owner) == 32 and claims.owner != ClaimRegistry(60).owner
    assert claims.renew_every == 20
    now = time.monotonic()
    claims.hold([7], since=now)
    assert claims.held(7) and claims.safe_to_call(7)
    # Its last renewal committed 45 s ago: it may lapse within a Slack call; do not post.
    claims.hold([8], since=now - 45)
    assert claims.held(8) and not claims.safe_to_call(8)
    assert claims.ids() == [7, 8]
    claims.release(7)
    assert not claims.held(7) and not claims.safe_to_call(7)
    claims.close()
    assert claims.ids() == []
