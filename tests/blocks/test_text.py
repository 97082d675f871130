"""Text helpers: escaping, clean truncation, stars, Slack date tokens, plain_text cleaning."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.blocks.text import mrkdwn_link, safe_url, slack_date, stars
from bot.text import escape_mrkdwn, plain, safe_mrkdwn, truncate

FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # one grapheme of 7 code points
THUMBS = "👍🏽"  # emoji + skin tone modifier
FLAG = "🇫🇷"  # two regional indicators
E_ACUTE = "e\u0301"  # e + combining acute accent


def test_escape_mrkdwn_only_touches_the_three_control_characters() -> None:
    assert escape_mrkdwn("a & b <!channel> > *x* _y_ 'q' \"d\"") == (
        "a &amp; b &lt;!channel&gt; &gt; *x* _y_ 'q' \"d\""
    )
    assert escape_mrkdwn("&amp;") == "&amp;amp;"


def test_safe_mrkdwn_defuses_broadcast_words() -> None:
    out = safe_mrkdwn("hey @here and @channel, @Everyone <!here>")
    assert "@here" not in out and "@channel" not in out and "@Everyone" not in out
    assert "&lt;!here&gt;" in out
    assert safe_mrkdwn("mail me@hereford.com") == "mail me@hereford.com"


def test_truncate_keeps_short_text() -> None:
    assert truncate("hello", 5) == "hello"
    assert truncate("", 0) == ""


def test_truncate_cuts_at_a_word_boundary_near_the_end() -> None:
    text = "The dentist was very kind and the staff were wonderful"
    out = truncate(text, 30)
    assert out == "The dentist was very kind and…"
    assert len(out) <= 30


def test_truncate_cuts_mid_word_when_no_space_is_near() -> None:
    out = truncate("a" * 100, 20)
    assert out == "a" * 19 + "…"


def test_truncate_custom_ellipsis_and_tiny_limits() -> None:
    assert truncate("abcdefghij", 6, ellipsis="...") == "abc..."
    assert truncate("abcdefghij", 1) == "…"
    assert truncate("abcdefghij", 0) == ""
    with pytest.raises(ValueError):
        truncate("abc", -1)


@pytest.mark.parametrize("cluster", [FAMILY, THUMBS, FLAG, E_ACUTE, "❤\ufe0f"])
@pytest.mark.parametrize("offset", range(12))
def test_truncate_never_splits_a_grapheme(cluster: str, offset: int) -> None:
    text = "x" * offset + cluster * 6
    limit = offset + 4
    out = truncate(text, limit)
    assert len(out) <= limit
    body = out.removesuffix("…")
    rest = body[offset:]
    # What is kept after the x's is a whole number of clusters.
    assert rest == cluster * (len(rest) // len(cluster)), (cluster, offset, out)


def test_truncate_does_not_orphan_a_combining_mark() -> None:
    out = truncate("caf" + E_ACUTE + "s", 5)
    assert not unicodedata.combining(out[-2])
    assert out == "caf…"


def test_plain_strips_control_characters_but_keeps_newlines() -> None:
    assert plain("a\x00b\x07c\r\nd\re\tf\u202eg\u2028h", 100) == "abc\nd\ne fg\nh"
    assert plain(None, 10) == ""
    assert plain("   ", 10) == ""
    assert plain("word " * 100, 50).endswith("…")
    assert len(plain("word " * 100, 50)) <= 50


def test_plain_keeps_emoji_joiners() -> None:
    assert plain(FAMILY, 100) == FAMILY


@pytest.mark.parametrize(
    ("rating", "expected"),
    [
        (1, "★☆☆☆☆ 1/5"),
        (2, "★★☆☆☆ 2/5"),
        (5, "★★★★★ 5/5"),
        (0, "☆☆☆☆☆ 0/5"),
        (9, "★★★★★ 5/5"),
    ],
)
def test_stars(rating: int, expected: str) -> None:
    assert stars(rating) == expected


def test_slack_date_token_with_utc_fallback() -> None:
    moment = datetime(2026, 11, 22, 14, 5, 9, tzinfo=UTC)
    assert slack_date(moment) == (
        f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}"
        "|Nov 22, 2026 14:05 UTC>"
    )


def test_slack_date_converts_other_timezones_and_naive_datetimes() -> None:
    paris = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    assert slack_date(paris, "{date}").endswith("^{date}|Mar 1, 2026 08:30 UTC>")
    naive = datetime(2026, 3, 1, 8, 30)
    assert slack_date(naive, "{date}") == slack_date(paris, "{date}")


def test_slack_date_with_link() -> None:
    moment = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    out = slack_date(moment, "{date}", link="https://example.com/r?a=1&b=2")
    assert out == (
        f"<!date^{int(moment.timestamp())}^{{date}}^https://example.com/r?a=1&amp;b=2"
        "|Jan 2, 2026 03:04 UTC>"
    )
    assert "^javascript" not in slack_date(moment, link="javascript:alert(1)")


def test_safe_url() -> None:
    assert safe_url("https://x.test/a?b=1") == "https://x.test/a?b=1"
    assert safe_url(" http://x.test/ ") == "http://x.test/"
    assert safe_url("https://x.test/a|b>c<d") == "https://x.test/a%7Cb%3Ec%3Cd"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("ftp://x.test/") is None
    assert safe_url("https://") is None
    assert safe_url("https://x.test/\nx") is None
    assert safe_url(None) is None
    assert safe_url("") is None
    assert safe_url("https://x.test/" + "a" * 3000) is None


def test_mrkdwn_link_escapes_ampersands() -> None:
    assert mrkdwn_link("https://x.test/?a=1&b=2", "Read <more>") == (
        "<https://x.test/?a=1&amp;b=2|Read &lt;more&gt;>"
    )
