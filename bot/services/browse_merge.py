"""Gumado rating ranges: one newest-first list per rating, merged into one newest-first list.

Gumado's ``GET /reviews`` filters one exact ``rating``. ``rating:<=3`` becomes three queries
whose pages are merged; a page of the merged list is described by where each rating's list
stands (its offsets), which the page's buttons carry. The page before is found by walking the
merge backwards from the current page's top, so nothing needs remembering between clicks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from bot.providers.base import Page, Review

__all__ = ["RatingStream", "merge_backward", "merge_forward", "walk_forward"]

PageFetcher = Callable[[int], Awaitable[Page[Review]]]


class RatingStream:
    """One rating's newest-first list, fetched a platform page at a time (each page once)."""

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


async def merge_backward(
    streams: Sequence[RatingStream], ends: Sequence[int], count: int
) -> tuple[int, ...]:
    """The offsets ``count`` reviews before ``ends`` in the merged list (the page before)."""
    offsets = list(ends)
    for _ in range(count):
        tails = await asyncio.gather(
            *(s.item(o - 1) if o > 0 else _none() for s, o in zip(streams, offsets, strict=True))
        )
        ready = [(_key(r, i), i) for i, r in enumerate(tails) if r is not None]
        if not ready:
            break
        _, chosen = max(ready)
        offsets[chosen] -= 1
    return tuple(offsets)


async def walk_forward(
    streams: Sequence[RatingStream], pages: int, per_page: int
) -> tuple[int, ...]:
    """The offsets at the top of page ``pages + 1``, walking from the start."""
    offsets: tuple[int, ...] = tuple(0 for _ in streams)
    for _ in range(pages):
        taken, offsets = await merge_forward(streams, offsets, per_page)
        if len(taken) < per_page:
            break
    return offsets


async def _none() -> None:
    return None
