"""Fetching one page of reviews: Gumado's own pagination (merged for rating ranges), Cloutly paged here.

Gumado answers 10 reviews a page for one exact rating; a range is merged from one list per
rating (bot.services.browse_merge). Cloutly answers every review at once; the app filters,
sorts and cuts the page.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.filters import Filter
from bot.providers.base import Page, Review
from bot.providers.cloutly import CloutlyClient
from bot.providers.gumado import GumadoClient
from bot.providers.sources import source_display_name
from bot.services.browse_merge import RatingStream, merge_backward, merge_forward, walk_forward
from bot.services.browse_state import ListExtras, ListingState
from bot.services.platform_wait import patiently

__all__ = ["PAGE_SIZE", "FetchedPage", "GumadoQuery", "fetch_cloutly_page", "fetch_gumado_page"]

PAGE_SIZE = 10
"""Gumado's page size; Cloutly's pages are cut to match."""
PATIENCE_SECONDS = 5.0
"""A person waits this long on a platform's Retry-After; longer and they are told when to retry."""
DEADLINE_SECONDS = 25.0
MAX_MERGED_JUMP = 20
"""Pages a rating range may jump at once with page:N (each page walked costs platform calls)."""

T = TypeVar("T")


class PageProblem(Exception):
    """A page cannot be shown for a reason the person can act on (the message says which)."""


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """One page and the button states of its neighbours."""

    reviews: tuple[Review, ...]
    page: int
    page_count: int
    total: int
    prev_state: ListingState | None
    next_state: ListingState | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GumadoQuery:
    """The Gumado filters of a listing, resolved to platform ids."""

    organization_id: str | None
    location_id: str | None
    source_names: tuple[str, ...]
    rating_min: int
    rating_max: int


async def _waited(client: GumadoClient | CloutlyClient, call: Coroutine[Any, Any, T]) -> T:
    return await patiently(client, call, patience=PATIENCE_SECONDS, deadline=DEADLINE_SECONDS)


def _page_count(total: int) -> int:
    return max(1, math.ceil(total / PAGE_SIZE))


def _past_end(asked: int, last: int) -> tuple[str, ...]:
    return (f"There are only {last} pages; this is the last one (you asked for page {asked}).",)


def _neighbour(state: ListingState, page: int, **offsets: tuple[int, ...]) -> ListingState:
    return ListingState(state.connection_id, state.filter_text, page, **offsets)


async def fetch_gumado_page(
    client: GumadoClient, query: GumadoQuery, state: ListingState
) -> FetchedPage:
    """The page ``state`` names, from Gumado (one query, or a merge for a rating range)."""

    def fetcher(rating: int | None) -> Callable[[int], Coroutine[Any, Any, Page[Review]]]:
        async def fetch(number: int) -> Page[Review]:
            call = client.list_reviews(
                rating=rating,
                organization_id=query.organization_id,
                location_id=query.location_id,
                source_names=list(query.source_names) or None,
                page=number,
            )
            return await _waited(client, call)

        return fetch

    low, high = query.rating_min, query.rating_max
    if low == high or (low, high) == (1, 5):
        return await _single(fetcher(low if low == high else None), state)
    streams = [RatingStream(fetcher(rating)) for rating in range(low, high + 1)]
    return await _merged(streams, state)


async def _single(
    fetch: Callable[[int], Coroutine[Any, Any, Page[Review]]], state: ListingState
) -> FetchedPage:
    page = await fetch(state.page)
    notes: tuple[str, ...] = ()
    if not page.items and page.total > 0 and state.page > page.last_page:
        notes = _past_end(state.page, page.last_page)
        page = await fetch(page.last_page)
    number = page.page
    count = max(1, page.last_page)
    return FetchedPage(
        reviews=page.items,
        page=number,
        page_count=count,
        total=page.total,
        prev_state=_neighbour(state, number - 1) if number > 1 else None,
        next_state=_neighbour(state, number + 1) if number < count else None,
        notes=notes,
    )


async def _merged(streams: Sequence[RatingStream], state: ListingState) -> FetchedPage:
    counts = [await stream.count() for stream in streams]
    total = sum(counts)
    count = _page_count(total)
    number = state.page
    notes: tuple[str, ...] = ()
    if number > count:
        notes = _past_end(number, count)
        number = count
    if state.starts is not None and len(state.starts) == len(streams) and number == state.page:
        starts = state.starts
    elif state.ends is not None and len(state.ends) == len(streams) and number == state.page:
        starts = await merge_backward(streams, state.ends, PAGE_SIZE)
    elif number - 1 <= MAX_MERGED_JUMP:
        starts = await walk_forward(streams, number - 1, PAGE_SIZE)
    else:
        raise PageProblem(
            f"With a rating range I can jump at most {MAX_MERGED_JUMP} pages at once. "
            "Use an exact rating such as `rating:2` to jump further, or page with the buttons."
        )
    reviews, ends = await merge_forward(streams, starts, PAGE_SIZE)
    return FetchedPage(
        reviews=tuple(reviews),
        page=number,
        page_count=count,
        total=total,
        prev_state=_neighbour(state, number - 1, ends=starts) if number > 1 else None,
        next_state=_neighbour(state, number + 1, starts=ends) if number < count else None,
        notes=notes,
    )


def _normalized_sources(wanted: Filter) -> Filter:
    # Cloutly says "trustpilot", people type "Trustpilot" or "booking": compare display names.
    sources = frozenset(source_display_name(s).casefold() for s in wanted.sources)
    return dataclasses.replace(wanted, sources=sources)


async def fetch_cloutly_page(
    client: CloutlyClient,
    wanted: Filter,
    extras: ListExtras,
    organization_names: dict[str, str],
    state: ListingState,
) -> FetchedPage:
    """The page ``state`` names: every Cloutly review is fetched, then filtered and cut here."""
    normalized = _normalized_sources(wanted)
    single = next(iter(wanted.sources)) if len(wanted.sources) == 1 else None
    server_source = single if single is not None and single.isascii() and single.isalnum() else None
    answer = await _waited(
        client,
        client.list_reviews(source=server_source, show_on_widget=extras.widget, sort=extras.sort),
    )
    matching = [
        review
        for review in answer.items
        if normalized.matches(
            review, organization_name=organization_names.get(review.organization_id or "")
        )
    ]
    matching.sort(key=lambda review: review.published_at, reverse=extras.sort != "asc")
    total = len(matching)
    count = _page_count(total)
    number = state.page
    notes: tuple[str, ...] = ()
    if number > count and total:
        notes = _past_end(number, count)
    number = min(number, count)
    first = (number - 1) * PAGE_SIZE
    return FetchedPage(
        reviews=tuple(matching[first : first + PAGE_SIZE]),
        page=number,
        page_count=count,
        total=total,
        prev_state=_neighbour(state, number - 1) if number > 1 else None,
        next_state=_neighbour(state, number + 1) if number < count else None,
        notes=notes,
    )
