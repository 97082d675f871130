"""The filter grammar: every form, round-trips, every error, matching semantics."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain import Review
from bot.filters import (
    DEFAULT_ALERT_THRESHOLD,
    LIST_KEYS,
    SUBSCRIBE_KEYS,
    Filter,
    FilterSyntaxError,
    Mention,
    parse,
)


def review(**overrides: Any) -> Review:
    values: dict[str, Any] = {
        "platform": "gumado",
        "id": "1",
        "rating": 2,
        "source": "google",
        "published_at": datetime(2026, 1, 1, tzinfo=UTC),
        "organization_id": "12",
        "location_id": "3",
    }
    values.update(overrides)
    return Review(**values)


# --- forms --------------------------------------------------------------------------------


def test_the_product_example() -> None:
    f = parse(
        'org:"Acme Dental" location:3 rating:<=3 source:Google,Yelp mention:@frontdesk '
        "alert:<=2 connection:main"
    )
    assert f == Filter(
        organization="Acme Dental",
        location="3",
        rating_min=1,
        rating_max=3,
        sources=frozenset({"google", "yelp"}),
        mentions=(Mention("handle", "frontdesk"),),
        alert_threshold=2,
        connection="main",
    )
    assert not f.is_all


def test_all_means_no_filters() -> None:
    assert parse("all") == Filter()
    assert parse("  ALL ").is_all
    assert Filter().is_all
    assert Filter().alert_threshold == DEFAULT_ALERT_THRESHOLD == 2


def test_empty_text() -> None:
    assert parse("", allow_empty=True) == Filter()
    assert parse("   ", allow=LIST_KEYS, allow_empty=True) == Filter()
    with pytest.raises(FilterSyntaxError) as err:
        parse("  ")
    assert err.value.word == ""
    assert "all" in err.value.user_message()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", (5, 5)),
        ("1", (1, 1)),
        ("<=2", (1, 2)),
        (">=4", (4, 5)),
        ("1-3", (1, 3)),
        ("2-2", (2, 2)),
        ("1–3", (1, 3)),
        ("≤3", (1, 3)),
        ("≥4", (4, 5)),
        ("<3", (1, 2)),
        (">3", (4, 5)),
        ("=<2", (1, 2)),
        ("=4", (4, 4)),
        ("4★", (4, 4)),
        ("&lt;=3", (1, 3)),  # Slack escapes < and > in command text
        ("&gt;=4", (4, 5)),
        ('"1 - 3"', (1, 3)),
    ],
)
def test_rating_forms(value: str, expected: tuple[int, int]) -> None:
    f = parse(f"rating:{value}")
    assert (f.rating_min, f.rating_max) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("org:Acme", "Acme"),
        ('org:"Acme Dental"', "Acme Dental"),
        ("org:“Acme Dental”", "Acme Dental"),  # Slack clients insert curly quotes
        ("org:”Acme Dental”", "Acme Dental"),
        ("org:'Acme Dental'", "Acme Dental"),
        ("org:‘Acme Dental’", "Acme Dental"),
        ("org:O'Brien", "O'Brien"),
        ('org:"O\'Brien Dental"', "O'Brien Dental"),
        ("org:'O'Brien Dental'", "O'Brien Dental"),
        ("org:'Say \"cheese\" Dental'", 'Say "cheese" Dental'),
        ('org:"Smith &amp; Sons"', "Smith & Sons"),
        ("ORG:Acme", "Acme"),
        ("Organization:Acme", "Acme"),
        ("org:a:b", "a:b"),
        ("org:42", "42"),
    ],
)
def test_org_values(text: str, expected: str) -> None:
    assert parse(text).organization == expected


def test_location_connection_and_keys_are_case_insensitive() -> None:
    f = parse('LOCATION:"Down Town" Connection:"Main account" Source:GOOGLE')
    assert f.location == "Down Town"
    assert f.connection == "Main account"
    assert f.sources == frozenset({"google"})


def test_sources_are_a_normalized_comma_list() -> None:
    assert parse("source:Google,Yelp,google").sources == frozenset({"google", "yelp"})
    assert parse("source:Google,").sources == frozenset({"google"})
    assert parse('source:"Google Maps",TripAdvisor').sources == frozenset(
        {"google maps", "tripadvisor"}
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mention:@frontdesk", [Mention("handle", "frontdesk")]),
        ("mention:@user.name", [Mention("handle", "user.name")]),
        ("mention:frontdesk", [Mention("handle", "frontdesk")]),
        ("mention:<@U123ABC>", [Mention("user", "U123ABC")]),
        ("mention:<@U123ABC|sarah>", [Mention("user", "U123ABC", "sarah")]),
        ("mention:<!subteam^S123ABC>", [Mention("group", "S123ABC")]),
        ("mention:<!subteam^S123ABC|@frontdesk>", [Mention("group", "S123ABC", "frontdesk")]),
        (
            "mention:@a,@b mention:<@U1|x>,<!subteam^S1|@y>",
            [
                Mention("handle", "a"),
                Mention("handle", "b"),
                Mention("user", "U1", "x"),
                Mention("group", "S1", "y"),
            ],
        ),
        (
            "mention:@a mention:@a,<@U1> mention:<@U1|x>",
            [Mention("handle", "a"), Mention("user", "U1")],
        ),
        ("mention:<@U1|john smith>", [Mention("user", "U1", "john smith")]),
    ],
)
def test_mentions(text: str, expected: list[Mention]) -> None:
    assert list(parse(text).mentions) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("3", 3), ("<=1", 1), ("&lt;=4", 4), ("≤5", 5), ("<3", 2)]
)
def test_alert_threshold(value: str, expected: int) -> None:
    assert parse(f"mention:@x alert:{value}").alert_threshold == expected


def test_page_only_for_lists() -> None:
    assert parse("page:2", allow=LIST_KEYS).page == 2
    assert parse("org:x page:3", allow=LIST_KEYS) == Filter(organization="x", page=3)
    with pytest.raises(FilterSyntaxError, match="only works with /reviews list"):
        parse("page:2")
    with pytest.raises(FilterSyntaxError, match="only works with /reviews subscribe"):
        parse("mention:@x", allow=LIST_KEYS)
    with pytest.raises(FilterSyntaxError, match="only works with /reviews subscribe"):
        parse("alert:2", allow=LIST_KEYS)


def test_key_sets() -> None:
    assert "page" in LIST_KEYS and "page" not in SUBSCRIBE_KEYS
    assert {"mention", "alert"} <= SUBSCRIBE_KEYS and not {"mention", "alert"} & LIST_KEYS


# --- round trips --------------------------------------------------------------------------

ROUND_TRIPS = [
    "all",
    "org:Acme",
    'org:"Acme Dental"',
    "org:“Acme Dental”",
    "org:O'Brien",
    "org:'O'Brien Dental'",
    "org:'Say \"cheese\"'",
    'org:"Smith &amp; Sons"',
    'org:"&amp;lt;literal"',
    'org:"a:b, c"',
    'org:"<Acme>"',
    "location:3",
    'location:"Main St"',
    "rating:5",
    "rating:<=2",
    "rating:>=4",
    "rating:1-3",
    "rating:1-5",
    "source:Google",
    "source:google,Yelp,TRUSTPILOT",
    'source:"Google Maps",Yelp',
    "mention:@frontdesk",
    "mention:@user.name,@other-one",
    "mention:<@U123ABC>",
    "mention:<@U123ABC|sarah>",
    "mention:<!subteam^S123ABC|@frontdesk> mention:<!subteam^S9>",
    "mention:@x alert:1",
    "mention:@x alert:<=5",
    "alert:3",
    "connection:main",
    'connection:"Main account"',
    'org:"Acme Dental" location:3 rating:<=3 source:Google,Yelp mention:@frontdesk alert:<=2 '
    "connection:main",
]


@pytest.mark.parametrize("text", ROUND_TRIPS)
def test_round_trip_subscribe(text: str) -> None:
    f = parse(text)
    canonical = f.canonical_text()
    assert parse(canonical) == f, canonical
    assert parse(canonical).canonical_text() == canonical
    assert Filter.from_json(json.loads(json.dumps(f.to_json()))) == f


@pytest.mark.parametrize(
    "text", ["page:2", 'org:"Acme Dental" rating:1-3 page:7', "source:Yelp connection:x page:1"]
)
def test_round_trip_list(text: str) -> None:
    f = parse(text, allow=LIST_KEYS)
    assert parse(f.canonical_text(), allow=LIST_KEYS) == f
    assert Filter.from_json(f.to_json()) == f


def test_canonical_text_examples() -> None:
    assert Filter().canonical_text() == "all"
    f = parse(
        'mention:<@U1|sam> source:Yelp,google rating:<=3 org:"Acme Dental" alert:<=1 location:3'
    )
    assert f.canonical_text() == (
        'org:"Acme Dental" location:3 rating:1-3 source:google,yelp mention:<@U1|sam> alert:<=1'
    )


def test_from_json_tolerates_unknown_and_missing_keys() -> None:
    assert Filter.from_json({}) == Filter()
    assert Filter.from_json({"organization": "Acme", "future_key": [1, 2], "v": 9}) == Filter(
        organization="Acme"
    )
    stored = {"sources": ["Google"], "mentions": [{"kind": "user", "value": "U1"}]}
    assert Filter.from_json(stored) == Filter(
        sources=frozenset({"google"}), mentions=(Mention("user", "U1"),)
    )
    with pytest.raises(ValueError):
        Filter.from_json({"mentions": [{"kind": "channel", "value": "C1"}]})


def test_to_json_is_plain_json() -> None:
    f = parse("org:Acme source:Yelp,Google mention:<@U1|sam> alert:3")
    assert f.to_json() == {
        "organization": "Acme",
        "location": None,
        "rating_min": 1,
        "rating_max": 5,
        "sources": ["google", "yelp"],
        "mentions": [{"kind": "user", "value": "U1", "label": "sam"}],
        "alert_threshold": 3,
        "connection": None,
        "page": None,
    }


# --- describe -----------------------------------------------------------------------------


def test_describe() -> None:
    f = parse(
        'org:"Acme Dental" location:Downtown rating:1-3 source:Google,Yelp mention:@frontdesk'
    )
    assert f.describe() == (
        "1–3★ reviews of Acme Dental › Downtown from Google, Yelp; mentions @frontdesk at ≤2★"
    )
    assert Filter().describe() == "All reviews"
    assert parse("rating:5 location:3").describe() == "5★ reviews of location 3"
    assert parse("connection:main org:12").describe() == "All reviews of 12 (connection main)"
    assert parse("page:2", allow=LIST_KEYS).describe() == "All reviews; page 2"


def test_describe_mrkdwn_escapes_names_and_renders_live_mentions() -> None:
    f = parse('org:"<!channel> & co" mention:<@U1|sam>,<!subteam^S2|@desk>,@ops alert:1')
    assert f.describe() == "All reviews of <!channel> & co; mentions @sam, @desk, @ops at ≤1★"
    assert f.describe(mrkdwn=True) == (
        "All reviews of &lt;!channel&gt; &amp; co; mentions <@U1>, <!subteam^S2>, @ops at ≤1★"
    )


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "word", "reason_part"),
    [
        ("ratng:5", "ratng:5", "unknown filter `ratng` (did you mean `rating:`?)"),
        ("color:red", "color:red", "unknown filter `color`"),
        ("rating:0", "rating:0", "from 1 to 5"),
        ("rating:6", "rating:6", "from 1 to 5"),
        ("rating:<1", "rating:<1", "from 1 to 5"),
        ("rating:>=6", "rating:>=6", "from 1 to 5"),
        ("rating:3-1", "rating:3-1", "write rating:1-3"),
        ("rating:abc", "rating:abc", "is not a rating"),
        ("rating:1-3-5", "rating:1-3-5", "is not a rating"),
        ("rating:&lt;=0", "rating:<=0", "from 1 to 5"),
        ("org:", "org:", "needs a value"),
        ('org:""', 'org:""', "needs a value"),
        ("source:,", "source:,", "needs a value"),
        ("mention:,", "mention:,", "needs a value"),
        ('org:"Acme Dental', 'org:"Acme', "never closed"),
        ("org:“Acme Dental", "org:“Acme", "never closed"),
        ("org:'Acme", "org:'Acme", "never closed"),
        ("org:a org:b", "org:b", "given twice"),
        ("rating: 3", "rating:", "right after the colon"),
        ("rating:1 rating:2", "rating:2", "given twice"),
        ("source:a sources:b", "sources:b", "given twice"),
        ("Acme", "Acme", "key:value"),
        ("@frontdesk", "@frontdesk", "mention:@name"),
        ("rating:5 all", "all", "cannot be combined"),
        ("all org:x", "all", "cannot be combined"),
        ("mention:<!here>", "mention:<!here>", "not @here/@channel"),
        ("mention:@channel", "mention:@channel", "not @here/@channel"),
        ("mention:<#C123|general>", "mention:<#C123|general>", "not a person or group"),
        ("mention:@", "mention:@", "not a person or group"),
        ("alert:>=4", "alert:>=4", "highest rating"),
        ("alert:1-3", "alert:1-3", "highest rating"),
        ("alert:0", "alert:0", "from 1 to 5"),
        ("alert:9", "alert:9", "from 1 to 5"),
        ("alert:x", "alert:x", "highest rating"),
        ("page:2", "page:2", "only works with /reviews list"),
    ],
)
def test_errors_name_the_word(text: str, word: str, reason_part: str) -> None:
    with pytest.raises(FilterSyntaxError) as err:
        parse(text)
    assert err.value.word == word
    assert reason_part in err.value.reason
    message = err.value.user_message()
    assert message.startswith("I didn't understand `")
    assert "Example: `/reviews subscribe " in message


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("page:0", "page:0"),
        ("page:x", "page:x"),
        ("page:99999", "page:99999"),
        ("page:²", "page:²"),
    ],
)
def test_page_errors(text: str, word: str) -> None:
    with pytest.raises(FilterSyntaxError) as err:
        parse(text, allow=LIST_KEYS)
    assert err.value.word == word
    assert "Example: `/reviews list page:2`" in err.value.user_message()


def test_unknown_key_message_matches_the_documented_wording() -> None:
    with pytest.raises(FilterSyntaxError) as err:
        parse("ratng:5")
    assert err.value.user_message() == (
        "I didn't understand `ratng:5`: unknown filter `ratng` (did you mean `rating:`?). "
        "Filters: org:, location:, rating:, source:, text:, language:, mention:, alert:, "
        "respond:, rollup:, every:, style:, backfill:, connection:. "
        'Example: `/reviews subscribe org:"Acme Dental" rating:&lt;=3 source:Google`'
    )
    assert err.value.example == '/reviews subscribe org:"Acme Dental" rating:<=3 source:Google'


def test_list_errors_list_the_list_filters() -> None:
    with pytest.raises(FilterSyntaxError) as err:
        parse("bogus:1", allow=LIST_KEYS)
    assert (
        "Filters: org:, location:, rating:, source:, text:, language:, replied:, connection:, page:"
        in err.value.reason
    )


def test_overly_long_input() -> None:
    text = "org:" + "x" * 1000
    with pytest.raises(FilterSyntaxError) as err:
        parse(text)
    assert "too long" in err.value.reason
    message = err.value.user_message()
    echoed = message.split("`")[1]
    assert len(echoed) <= 40
    parse("org:" + "x" * 996)  # exactly 1000 characters is fine


def test_echoed_word_is_short_and_safe_for_mrkdwn() -> None:
    nasty = "ratng:`<!channel>`&" + "y" * 100
    with pytest.raises(FilterSyntaxError) as err:
        parse(f"org:x {nasty}")
    message = err.value.user_message()
    assert "<!channel>" not in message
    echoed = message.split("`")[1]
    assert "&lt;" in echoed and "`" not in echoed
    assert len(err.value.word) > 40  # the attribute keeps what was typed
    with pytest.raises(FilterSyntaxError) as err:
        parse("x" * 60 + "<!channel>")
    echoed = err.value.user_message().split("`")[1]
    assert echoed == "x" * 39 + "…"


def test_unknown_key_is_sanitized_in_the_reason() -> None:
    with pytest.raises(FilterSyntaxError) as err:
        parse("`<!here>`:1")
    assert "<!here>" not in err.value.user_message()
    assert "`" not in err.value.reason.split("unknown filter ")[1].split(". Filters")[0][1:-1]


def test_error_is_a_review_bot_error() -> None:
    from bot.errors import ReviewBotError

    with pytest.raises(ReviewBotError):
        parse("nope")


# --- matching -----------------------------------------------------------------------------


def test_all_matches_everything() -> None:
    for rating in range(1, 6):
        assert Filter().matches(review(rating=rating))


@pytest.mark.parametrize(
    ("text", "rating", "expected"),
    [
        ("rating:<=2", 2, True),
        ("rating:<=2", 3, False),
        ("rating:>=4", 4, True),
        ("rating:>=4", 3, False),
        ("rating:5", 5, True),
        ("rating:5", 4, False),
        ("rating:1-3", 1, True),
        ("rating:1-3", 3, True),
        ("rating:1-3", 4, False),
    ],
)
def test_rating_matching(text: str, rating: int, expected: bool) -> None:
    assert parse(text).matches(review(rating=rating)) is expected


def test_an_unrated_review_passes_only_filters_that_do_not_narrow_the_rating() -> None:
    unrated = review(rating=None)
    assert Filter().matches(unrated)
    assert parse("source:Google org:12").matches(unrated)
    for text in ("rating:<=2", "rating:>=4", "rating:5", "rating:1-3"):
        assert not parse(text).matches(unrated), text
    # No stars, nothing low: nobody is mentioned.
    assert not parse("mention:@U0ONCALL alert:<=5").wants_mentions(unrated)


def test_source_matching_ignores_case() -> None:
    f = parse("source:Google,Yelp")
    assert f.matches(review(source="google"))
    assert f.matches(review(source="Google"))
    assert f.matches(review(source="YELP "))
    assert not f.matches(review(source="Facebook"))
    assert parse("source:GOOGLE").matches(review(source="Google"))


def test_org_matches_by_id_or_name() -> None:
    by_name = parse('org:"acme dental"')
    assert by_name.matches(review(), organization_name="Acme Dental")
    assert not by_name.matches(review(), organization_name="Other")
    assert not by_name.matches(review())  # name unknown, id differs
    by_id = parse("org:12")
    assert by_id.matches(review())
    assert not by_id.matches(review(organization_id="13"), organization_name="12 Dental")
    assert not by_id.matches(review(organization_id=None))


def test_location_matches_by_id_or_name() -> None:
    assert parse("location:3").matches(review())
    assert not parse("location:4").matches(review())
    assert parse('location:"DOWNTOWN"').matches(review(), location_name="Downtown")
    assert not parse('location:"Uptown"').matches(review(), location_name="Downtown")
    assert not parse("location:3").matches(review(location_id=None))


def test_every_filter_must_match() -> None:
    f = parse('org:"Acme Dental" location:3 rating:<=3 source:google')
    good = review(rating=2, source="Google")
    assert f.matches(good, organization_name="Acme Dental")
    assert not f.matches(review(rating=4), organization_name="Acme Dental")
    assert not f.matches(review(source="Yelp"), organization_name="Acme Dental")
    assert not f.matches(review(location_id="9"), organization_name="Acme Dental")
    assert not f.matches(good, organization_name="Other")


def test_connection_and_page_are_not_applied_by_matches() -> None:
    assert parse("connection:other").matches(review())
    assert parse("page:4", allow=LIST_KEYS).matches(review())


def test_wants_mentions() -> None:
    f = parse("mention:@frontdesk")
    assert f.wants_mentions(review(rating=1))
    assert f.wants_mentions(review(rating=2))
    assert not f.wants_mentions(review(rating=3))
    assert parse("mention:@x alert:4").wants_mentions(review(rating=4))
    assert not parse("rating:<=2").wants_mentions(review(rating=1))  # nobody to mention
