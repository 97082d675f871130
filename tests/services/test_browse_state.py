"""The listing state in a button value, the Cloutly-only words, and merged Gumado rating ranges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import Page, Review
from bot.providers.merge import RatingStream, merge_forward, walk_forward
from bot.services.browse_state import MAX_VALUE, ListExtras, ListingState, split_extras

START = datetime(2026, 11, 1, tzinfo=UTC)


def test_state_round_trips_through_a_button_value() -> None:
    state = ListingState(
        3, 'org:"Acme Dental" rating:1-3', 4, starts=(10, 3, 0), history=((0, 0, 0), (4, 2, 0))
    )
    value = state.encode()
    assert value is not None and len(value) <= MAX_VALUE
    assert ListingState.decode(value) == state


@pytest.mark.parametrize(
    "value", [None, "", "not json", "[1]", '{"c":"1","f":"","p":1}', '{"c":1,"f":"","p":0}']
)
def test_foreign_values_are_not_states(value: str | None) -> None:
    assert ListingState.decode(value) is None


def test_a_long_history_keeps_the_nearest_pages() -> None:
    history = tuple((n * 7, n * 3, n) for n in range(200))
    state = ListingState(1, "rating:1-3", 201, starts=(1400, 600, 200), history=history)
    value = state.encode()
    assert value is not None and len(value) <= MAX_VALUE
    decoded = ListingState.decode(value)
    assert decoded is not None and decoded.starts == state.starts
    assert 0 < len(decoded.history) < 200 and decoded.history == history[-len(decoded.history) :]


def test_a_state_too_long_for_a_button_drops_offsets_then_gives_up() -> None:
    long_filter = "org:" + "x" * 1960
    with_offsets = ListingState(1, long_filter, 2, starts=tuple(range(100, 140)))
    value = with_offsets.encode()
    assert value is not None and len(value) <= MAX_VALUE
    assert ListingState.decode(value) == ListingState(1, long_filter, 2)
    assert ListingState(1, "org:" + "x" * 2100, 2).encode() is None


def test_sort_and_widget_are_split_from_the_shared_grammar() -> None:
    rest, extras, problem = split_extras('org:"Sort: of" sort:asc rating:5 widget:yes')
    assert rest == 'org:"Sort: of" rating:5'
    assert extras == ListExtras("asc", True) and problem is None
    assert extras.text() == "sort:asc widget:yes"
    _, extras, problem = split_extras("order:newest widget:maybe")
    assert extras.sort == "desc" and problem is not None and "widget:" in problem


def _review(rating: int, minutes_ago: int) -> Review:
    return Review(
        platform="gumado",
        id=f"{rating}-{minutes_ago}",
        rating=rating,
        source="Google",
        published_at=START - timedelta(minutes=minutes_ago),
    )


def _streams(lists: dict[int, list[int]], calls: list[tuple[int, int]]) -> list[RatingStream]:
    """One stream per rating, paged 10 at a time like Gumado; ``calls`` records the fetches."""

    def fetcher(rating: int):  # type: ignore[no-untyped-def]
        reviews = [_review(rating, m) for m in sorted(lists[rating])]

        async def fetch(number: int) -> Page[Review]:
            calls.append((rating, number))
            chunk = reviews[(number - 1) * 10 : number * 10]
            last = max(1, -(-len(reviews) // 10))
            return Page(tuple(chunk), page=number, last_page=last, per_page=10, total=len(reviews))

        return fetch

    return [RatingStream(fetcher(rating)) for rating in sorted(lists)]


async def test_merge_pages_forwards_and_walks_to_any_page() -> None:
    lists = {1: list(range(0, 60, 3)), 2: list(range(1, 40, 2)), 3: [5, 50, 51, 52]}
    everything = sorted(
        (_review(r, m) for r, ms in lists.items() for m in ms),
        key=lambda review: (review.published_at, -review.rating),
        reverse=True,
    )
    calls: list[tuple[int, int]] = []
    streams = _streams(lists, calls)
    first, after_first = await merge_forward(streams, (0, 0, 0), 10)
    second, after_second = await merge_forward(streams, after_first, 10)
    assert [r.id for r in first + second] == [r.id for r in everything[:20]]
    # Fresh streams (a restart): walking to page 3 lands where paging did, and knows the tops
    # of the pages before it.
    tops = await walk_forward(_streams(lists, []), 2, 10)
    assert tops == [(0, 0, 0), after_first, after_second]
    third, _ = await merge_forward(_streams(lists, []), tops[-1], 10)
    assert [r.id for r in third] == [r.id for r in everything[20:30]]
    assert len(set(calls)) == len(calls), "a platform page was fetched twice"


async def test_merge_stops_at_the_end() -> None:
    streams = _streams({4: [1, 2], 5: [3]}, [])
    taken, ends = await merge_forward(streams, (0, 0), 10)
    assert [r.id for r in taken] == ["4-1", "4-2", "5-3"] and ends == (2, 1)
