"""``/reviews subscribe`` words: ``all`` alone or with mentions, and the filter grammar."""

from __future__ import annotations

import pytest

from bot.filters import Filter, FilterSyntaxError, Mention
from bot.services.subscriptions import parse_subscribe_text


def test_all_and_all_with_mentions() -> None:
    assert parse_subscribe_text("all") == Filter()
    assert parse_subscribe_text(" ALL ") == Filter()
    chosen = parse_subscribe_text("all mention:@frontdesk alert:<=3")
    assert chosen.mentions == (Mention("handle", "frontdesk"),)
    assert chosen.alert_threshold == 3
    assert (chosen.rating_min, chosen.rating_max) == (1, 5)


@pytest.mark.parametrize("text", ["all rating:5", "all org:Acme", "all connection:main"])
def test_all_with_a_narrowing_filter_is_refused(text: str) -> None:
    with pytest.raises(FilterSyntaxError) as error:
        parse_subscribe_text(text)
    assert error.value.word == "all"
    assert "leave out `all`" in error.value.user_message()


def test_grammar_goes_to_the_filter_parser() -> None:
    chosen = parse_subscribe_text('org:"Acme Dental" rating:1-3')
    assert (chosen.organization, chosen.rating_min, chosen.rating_max) == ("Acme Dental", 1, 3)
    with pytest.raises(FilterSyntaxError) as error:
        parse_subscribe_text("page:2")
    assert "only works with /reviews list" in error.value.user_message()


def test_all_carries_how_reviews_are_delivered() -> None:
    chosen = parse_subscribe_text("all respond:24h rollup:>=4 every:1h style:compact backfill:7d")
    assert chosen.respond_minutes == 24 * 60 and chosen.rollup == (4, 5)
    assert chosen.rollup_every_minutes == 60 and chosen.style == "compact"
    assert chosen.backfill is not None and chosen.backfill.minutes == 7 * 1440
    with pytest.raises(FilterSyntaxError):
        parse_subscribe_text("all text:parking")
