"""GumadoProvider over real HTTP against the sandbox, whatever order the sandbox lists reviews in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import Review
from bot.providers.cursor import PollCursor
from bot.providers.gumado.adapter import GumadoProvider
from bot.providers.gumado.client import GumadoClient
from bot.providers.protocol import BrowseQuery, PagePosition
from sandbox.gumado import GumadoSandbox
from sandbox.gumado_state import ReviewOrder

NOW = datetime(2025, 12, 15, 12, 0, tzinfo=UTC)
ORDERS: list[ReviewOrder] = ["newest", "oldest", "shuffled"]


@pytest.fixture
async def sandbox() -> AsyncIterator[GumadoSandbox]:
    # Paging back and forth costs many requests; the sandbox's per-token limit is not the point.
    sandbox = GumadoSandbox(now=lambda: NOW, webhook_retry_scale=0.001, rate_limit=10_000)
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


@pytest.fixture
async def provider(sandbox: GumadoSandbox) -> AsyncIterator[GumadoProvider]:
    assert sandbox.base_url is not None
    client = GumadoClient(
        sandbox.base_url, sandbox.tokens["full"], requests_per_minute=5000, backoff_base=0.01
    )
    provider = GumadoProvider(client)
    yield provider
    await provider.aclose()


def _ids(reviews: list[Review] | tuple[Review, ...]) -> list[int]:
    return [int(r.id) for r in reviews]


@pytest.mark.parametrize("order", ORDERS)
async def test_recent_finds_every_review_since_whatever_the_order(
    sandbox: GumadoSandbox, provider: GumadoProvider, order: ReviewOrder
) -> None:
    sandbox.review_order = order
    since = NOW - timedelta(days=14)
    wanted = {r.id for r in sandbox.reviews.values() if r.published_on >= since}
    assert 10 < len(wanted) < len(sandbox.reviews) - 20, "the window spans pages"
    found = await provider.recent(None, since)
    assert set(_ids(found)) == wanted
    pages = [q for _, path, q in sandbox.requests if path.endswith("/reviews")]
    assert len(pages) < len(sandbox.reviews) // 10, "a sorted list is not read to its end"


@pytest.mark.parametrize("order", ORDERS)
async def test_polling_reads_new_reviews_from_whichever_end_they_are(
    sandbox: GumadoSandbox, provider: GumadoProvider, order: ReviewOrder
) -> None:
    sandbox.review_order = order
    baseline = (await provider.changes(PollCursor())).reviews
    newest = max(r.published_at for r in baseline)
    assert newest == max(r.published_on for r in sandbox.reviews.values())
    cursor = PollCursor(horizon=newest).advanced(baseline)
    added = sandbox.add_review(rating=2, message="new since the baseline")
    changed = await provider.changes(cursor)
    assert added["id"] in _ids(changed.reviews)


@pytest.mark.parametrize("order", ORDERS)
async def test_a_rating_range_pages_through_each_review_once_both_ways(
    sandbox: GumadoSandbox, provider: GumadoProvider, order: ReviewOrder
) -> None:
    sandbox.review_order = order
    query = BrowseQuery(
        organization_id=None,
        location_id=None,
        sources=(),
        rating_min=1,
        rating_max=3,
        matches=lambda review: True,
    )
    wanted = sorted(r.id for r in sandbox.reviews.values() if r.rating <= 3)
    forward: list[list[int]] = []
    position: PagePosition | None = PagePosition(1)
    while position is not None:
        page = await provider.browse(query, position)
        assert page.total == len(wanted)
        forward.append(_ids(page.reviews))
        last_page = page
        position = page.next
    assert sorted(i for ids in forward for i in ids) == wanted, "each review exactly once"
    backward: list[list[int]] = [forward[-1]]
    position = last_page.prev
    while position is not None:
        page = await provider.browse(query, position)
        backward.append(_ids(page.reviews))
        position = page.prev
    assert backward[::-1] == forward, "‹ Prev shows the pages Next showed"
