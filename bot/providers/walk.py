"""Reading "everything since a moment" from a paged list whose order no document promises.

Gumado's document shows ``GET /reviews`` pages but never says in which order reviews come.
So the walk never trusts an order it has not seen: it compares the first and the last page to
learn whether the newest reviews are at the front or at the back, starts from that end, and
stops early only while every page it has read was older than the one before (within a page,
order does not matter: a page counts by its newest and oldest review). A list that turns out
not to be sorted is read to the end, up to ``max_pages``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.domain import Page, Review
from bot.log import get_logger
from bot.providers.protocol import Changes

__all__ = ["PageFetcher", "read_since"]

log = get_logger(__name__)

PageFetcher = Callable[[int], Awaitable[Page[Review]]]


def _newest(page: Page[Review]) -> datetime | None:
    return max((r.published_at for r in page.items), default=None)


def _oldest(page: Page[Review]) -> datetime | None:
    return min((r.published_at for r in page.items), default=None)


def _skipped(*pages: Page[Review]) -> int:
    return sum(int(page.extra.get("skipped", 0)) for page in pages)


async def read_since(fetch: PageFetcher, since: datetime | None, *, max_pages: int) -> Changes:
    """Reviews of every page that may hold one published at or after ``since``.

    ``since=None`` is a first look (a polling baseline): the pages at both ends, where the
    newest reviews are whichever way the list runs. The result may include older reviews from
    the pages read (callers filter by date), and counts the items no page could read.
    """
    first = await fetch(1)
    last_number = max(1, first.last_page)
    if last_number == 1 or not first.items:
        return Changes(list(first.items), _skipped(first))
    last = await fetch(last_number)
    if since is None:
        return Changes([*first.items, *last.items], _skipped(first, last))
    first_newest, last_newest = _newest(first), _newest(last)
    newest_first = last_newest is None or (first_newest is not None and first_newest >= last_newest)
    numbers = range(1, last_number + 1) if newest_first else range(last_number, 0, -1)
    known = {1: first, last_number: last}
    found: list[Review] = []
    skipped = 0
    sorted_so_far = True
    floor: datetime | None = None  # the oldest review of the pages read so far
    for read, number in enumerate(numbers, start=1):
        if read > max_pages:
            state = "sorted" if sorted_so_far else "not sorted by date"
            log.warning("review_walk_stopped", pages=max_pages, order=state)
            break
        page = known.get(number) or await fetch(number)
        if not page.items:
            break
        found.extend(page.items)
        skipped += _skipped(page)
        page_newest, page_oldest = _newest(page), _oldest(page)
        assert page_newest is not None and page_oldest is not None
        if floor is not None and page_newest > floor:
            sorted_so_far = False  # this page has something newer than an earlier page
        floor = page_oldest if floor is None else min(floor, page_oldest)
        if sorted_so_far and page_oldest < since:
            break  # pages run newest to oldest: the next one is older still
    return Changes(found, skipped)
