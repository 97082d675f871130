"""The ``/reviews list`` page: within Slack's limits whatever the reviews hold, and honest."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks.ids import ACTION_LIST_NEXT, ACTION_LIST_PREV, BLOCK_LIST_NAV
from bot.blocks.listing import build_list_problem, build_listing
from bot.blocks.preview import render_message
from bot.domain import Review
from bot.results import ListedReview, ListingPage

from .limits import assert_message_within_limits, iter_text_objects

HOSTILE = "<!channel> <@U123> *bold* <https://x|y> & " + "long words " * 1000


def _review(i: int, *, text: str | None = "Great visit.", url: str | None = None) -> Review:
    return Review(
        platform="gumado",
        id=str(1000 + i),
        rating=1 + i % 5,
        source="Google",
        published_at=datetime(2026, 11, 1, 9, i, tzinfo=UTC),
        organization_id="1",
        location_id="3",
        author=f"Author {i}",
        text=text,
        url=url or f"https://maps.google.com/review/{i}",
        reply="Thanks!" if i % 2 else None,
    )


def _page(reviews: list[ListedReview], **extra: object) -> ListingPage:
    values: dict[str, object] = {
        "platform_label": "Gumado (gumado)",
        "description": "1–3★ reviews of Acme Dental",
        "reviews": reviews,
        "page": 2,
        "page_count": 7,
        "total": 64,
        "prev_value": '{"p":1}',
        "next_value": '{"p":3}',
    }
    values.update(extra)
    return ListingPage(**values)  # type: ignore[arg-type]


def test_a_full_page_fits_and_says_where_it_is() -> None:
    reviews = [ListedReview(_review(i), "Acme Dental", "Downtown") for i in range(10)]
    message = build_listing(_page(reviews))
    assert_message_within_limits(message)
    shown = render_message(message)
    assert "page 2 of 7 · 64 reviews" in shown
    assert "Acme Dental › Downtown" in shown and "[ ‹ Prev ]  [ Next › ]" in shown
    assert shown.count("★") >= 10 and "Author 9" in shown and "View (https://maps" in shown
    nav = next(b for b in message["blocks"] if b.get("block_id") == BLOCK_LIST_NAV)
    assert [e["action_id"] for e in nav["elements"]] == [ACTION_LIST_PREV, ACTION_LIST_NEXT]


def test_hostile_review_text_stays_harmless_and_short() -> None:
    hostile = Review(
        platform="gumado",
        id="1",
        rating=1,
        source="<!here>",
        published_at=datetime(2026, 11, 1, tzinfo=UTC),
        author="<!everyone>",
        text=HOSTILE,
        url="javascript:alert(1)",
    )
    reviews = [ListedReview(hostile, "<@U999> Org", "*Loc*")] * 10
    message = build_listing(_page(reviews))
    assert_message_within_limits(message)
    for obj in iter_text_objects(message["blocks"]):
        if obj["type"] == "mrkdwn":
            text = obj["text"].replace("<!date^", "")
            assert "<!" not in text and "<@U" not in text
    assert "javascript" not in str(message)


def test_first_and_last_pages_show_one_button_and_a_single_page_none() -> None:
    one = [ListedReview(_review(1))]
    first = build_listing(_page(one, page=1, prev_value=None))
    assert "‹ Prev" not in render_message(first) and "Next ›" in render_message(first)
    only = build_listing(
        _page(one, page=1, page_count=1, total=1, prev_value=None, next_value=None)
    )
    assert all(b["type"] != "actions" for b in only["blocks"])
    assert "page 1 of 1 · 1 review" in render_message(only)


def test_an_empty_page_says_so_and_suggests_a_wider_filter() -> None:
    message = build_listing(_page([], total=0, page=1, page_count=1, notes=["Also connected: x"]))
    assert_message_within_limits(message)
    shown = render_message(message)
    assert "No reviews match this filter" in shown and "wider" in shown
    assert "Also connected" in shown
    everything = build_listing(_page([], total=0, narrowed=False))
    assert "no reviews yet" in render_message(everything)


def test_reviews_without_text_or_names_still_read_well() -> None:
    bare = Review(
        platform="cloutly",
        id="x",
        rating=4,
        source="Trustpilot",
        published_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    message = build_listing(_page([ListedReview(bare)]))
    assert_message_within_limits(message)
    assert "Anonymous (no text)" in render_message(message)


def test_an_unrated_hidden_edited_review_is_listed_as_such() -> None:
    review = Review(
        platform="cloutly",
        id="r1",
        rating=None,
        source="Google",
        published_at=datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
        hidden=True,
        archived=True,
        edited_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        replied=True,
    )
    message = build_listing(_page([ListedReview(review)]))
    assert_message_within_limits(message)
    shown = render_message(message)
    assert "*No rating* · Google" in shown
    assert "hidden on your widget, archived, edited by the reviewer" in shown
    assert "Anonymous (no text)  ↩ replied" in shown


def test_a_problem_is_one_sentence() -> None:
    message = build_list_problem("Gumado is rate-limiting us; try again in 23 s.")
    assert_message_within_limits(message)
    assert message["text"] == "Gumado is rate-limiting us; try again in 23 s."
