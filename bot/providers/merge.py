"""Browse pages: a platform's own pages, rating ranges merged from one list per rating, or a
list cut into pages here.

Gumado's ``GET /reviews`` filters one exact ``rating``. ``rating:<=3`` becomes three queries
whose pages are merged; a page of the merged list is described by where each rating's list
stands (its offsets), which the page's buttons carry. The merge takes the newest of the lists'
next reviews, so each review appears exactly once whatever order the platform returns them in
(its document does not say). Walking a merge backwards is exact only for lists sorted newest
first, so it is never done: the buttons carry the offsets of the pages before (``history``),
and a page whose offsets are not known is found by walking forwards from the first page.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from bot.domain import Page, Review
from bot.providers.protocol import BrowsePage, PagePosition, QueryNotSupported
from bot.providers.walk import read_since

__all__ = [
    "MAX_MERGED_JUMP",
    "PAGE_SIZE",
    "RatingStream",
    "cut_page",
    "filtered_page",
    "merge_forward",
    "merged_page",
    "single_page",
    "walk_forward",
]

PageFetcher = Callable[[int], Awaitable[Page[Review]]]
PAGE_SIZE = 10
"""Gumado's page size; lists paged here are cut to match."""
MAX_MERGED_JUMP = 20
"""Pages a rating range may walk at once (each page walked costs platform calls)."""


class RatingStream:
    """One rating's list, fetched a platform page at a time (each page once)."""

    def __init__(self, fetch: PageFetcher) -> None:
        self._fetch = fetch
        self._pages: dict[int, Page[Review]] = {}
        self.per_page: int | None = None
        self.total: int | None = None

    async def _page(self, number: int) -> Page[Review]:
        page = self._pages.get(number)
        if page is None:
            page = await self._fetch(number)
            self._pages[number] = page
            self.per_page = self.per_page or max(1, page.per_page)
            self.total = page.total
        return page

    async def count(self) -> int:
        """How many reviews this rating has (fetches the first page when none is known)."""
        if self.total is None:
            await self._page(1)
        return self.total or 0

    async def item(self, index: int) -> Review | None:
        """The review at ``index`` (0-based) of this list, or None past its end."""
        if self.per_page is None:
            await self._page(1)
        per_page = self.per_page or 10
        if self.total is not None and index >= self.total:
            return None
        page = await self._page(index // per_page + 1)
        position = index % per_page
        return page.items[position] if position < len(page.items) else None


def _key(review: Review, stream_index: int) -> tuple[float, int]:
    # Newest first; equal dates fall back to the stream order, the same both ways.
    return (-review.published_at.timestamp(), stream_index)


async def _heads(streams: Sequence[RatingStream], offsets: Sequence[int]) -> list[Review | None]:
    return list(await asyncio.gather(*(s.item(o) for s, o in zip(streams, offsets, strict=True))))


async def merge_forward(
    streams: Sequence[RatingStream], starts: Sequence[int], count: int
) -> tuple[list[Review], tuple[int, ...]]:
    """Up to ``count`` reviews of the merged list from ``starts``; (them, the offsets after)."""
    offsets = list(starts)
    heads = await _heads(streams, offsets)
    taken: list[Review] = []
    while len(taken) < count:
        ready = [(_key(r, i), i) for i, r in enumerate(heads) if r is not None]
        if not ready:
            break
        _, chosen = min(ready)
        review = heads[chosen]
        assert review is not None
        taken.append(review)
        offsets[chosen] += 1
        heads[chosen] = await streams[chosen].item(offsets[chosen])
    return taken, tuple(offsets)


async def walk_forward(
    streams: Sequence[RatingStream], pages: int, per_page: int
) -> list[tuple[int, ...]]:
    """The offsets at the top of pages 1 … ``pages + 1``, walking from the start."""
    offsets: tuple[int, ...] = tuple(0 for _ in streams)
    tops = [offsets]
    for _ in range(pages):
        taken, offsets = await merge_forward(streams, offsets, per_page)
        if len(taken) < per_page:
            break
        tops.append(offsets)
    return tops


def _page_count(total: int) -> int:
    return max(1, math.ceil(total / PAGE_SIZE))


def _past_end(asked: int, last: int) -> tuple[str, ...]:
    return (f"There are only {last} pages; this is the last one (you asked for page {asked}).",)


async def single_page(fetch: PageFetcher, position: PagePosition) -> BrowsePage:
    """The platform's own page ``position.page`` (the last one when asked past the end)."""
    page = await fetch(position.page)
    notes: tuple[str, ...] = ()
    if not page.items and page.total > 0 and position.page > page.last_page:
        notes = _past_end(position.page, page.last_page)
        page = await fetch(page.last_page)
    number = page.page
    count = max(1, page.last_page)
    return BrowsePage(
        reviews=page.items,
        page=number,
        page_count=count,
        total=page.total,
        prev=PagePosition(number - 1) if number > 1 else None,
        next=PagePosition(number + 1) if number < count else None,
        notes=notes,
    )


def _too_far() -> QueryNotSupported:
    return QueryNotSupported(
        f"With a rating range I can walk at most {MAX_MERGED_JUMP} pages at once. "
        "Use an exact rating such as `rating:2` to jump further, or page with the buttons."
    )


async def merged_page(streams: Sequence[RatingStream], position: PagePosition) -> BrowsePage:
    """Page ``position.page`` of the merge of ``streams``."""
    counts = [await stream.count() for stream in streams]
    total = sum(counts)
    count = _page_count(total)
    number = position.page
    notes: tuple[str, ...] = ()
    if number > count:
        notes = _past_end(number, count)
        number = count
    fits = [len(offsets) == len(streams) for offsets in position.history]
    history = position.history if all(fits) else ()
    if (
        number == position.page
        and position.starts is not None
        and len(position.starts) == len(streams)
    ):
        starts = position.starts
    elif number - 1 <= MAX_MERGED_JUMP:
        *earlier, starts = await walk_forward(streams, number - 1, PAGE_SIZE)
        history = tuple(earlier)
    else:
        raise _too_far()
    reviews, ends = await merge_forward(streams, starts, PAGE_SIZE)
    prev: PagePosition | None = None
    if number > 1:
        # The page before is exact when its offsets travelled here; else it is walked to.
        prev = (
            PagePosition(number - 1, history[-1], history[:-1])
            if history
            else PagePosition(number - 1)
        )
    return BrowsePage(
        reviews=tuple(reviews),
        page=number,
        page_count=count,
        total=total,
        prev=prev,
        next=PagePosition(number + 1, ends, (*history, starts)) if number < count else None,
        notes=notes,
    )


def cut_page(reviews: Sequence[Review], position: PagePosition) -> BrowsePage:
    """Page ``position.page`` of a list the app filtered and sorted itself."""
    total = len(reviews)
    count = _page_count(total)
    number = position.page
    notes: tuple[str, ...] = ()
    if number > count and total:
        notes = _past_end(number, count)
    number = min(number, count)
    first = (number - 1) * PAGE_SIZE
    return BrowsePage(
        reviews=tuple(reviews[first : first + PAGE_SIZE]),
        page=number,
        page_count=count,
        total=total,
        prev=PagePosition(number - 1) if number > 1 else None,
        next=PagePosition(number + 1) if number < count else None,
        notes=notes,
    )


async def filtered_page(
    fetch: PageFetcher,
    matches: Callable[[Review], bool],
    position: PagePosition,
    *,
    max_pages: int,
) -> BrowsePage:
    """Page ``position.page`` of the reviews ``matches`` keeps, newest first, cut here.

    The platform's pages count reviews the app then drops, so the newest ``max_pages`` of them
    are read (from whichever end the newest are) and filtered; a note says when that stopped
    short of the whole list.
    """
    seen: dict[int, int] = {}  # page number → the list's total as that page said

    async def counted(number: int) -> Page[Review]:
        page = await fetch(number)
        seen[number] = page.total
        return page

    found = await read_since(counted, datetime.min.replace(tzinfo=UTC), max_pages=max_pages)
    matching = sorted(
        (r for r in found.reviews if matches(r)), key=lambda r: r.published_at, reverse=True
    )
    page = cut_page(matching, position)
    total = max(seen.values(), default=0)
    if len(found.reviews) < total:
        note = (
            f"Searched the newest {len(found.reviews)} of {total} reviews; add org:, rating: "
            "or source: to search further back."
        )
        return BrowsePage(
            page.reviews,
            page.page,
            page.page_count,
            page.total,
            page.prev,
            page.next,
            (*page.notes, note),
        )
    return page
