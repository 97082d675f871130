"""The review card: every field, hostile text, limits, the handled variant and update notes."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.blocks.card import (
    ACTION_MARK_HANDLED,
    ACTION_REQUEST_REVIEW,
    ACTION_VIEW_REVIEW,
    BLOCK_MORE,
    BLOCK_TEXT,
    build_handled_card,
    build_review_card,
    mention_mrkdwn,
)
from bot.blocks.card_update import build_update_note
from bot.domain import Review

from .limits import assert_message_within_limits, assert_view_within_limits, iter_text_objects

PUBLISHED = datetime(2026, 11, 22, 14, 5, tzinfo=UTC)
HOSTILE = (
    "<!channel> <!here> <!everyone> <@U123> <!subteam^S999> *bold* _it_ ~gone~ `code` "
    "<https://evil.test|click me> & done @here"
)
# A Slack entity or link that would ping or link: "<" followed by "!", "@", "#" or a URL.
LIVE_ENTITY = re.compile(r"<(?:!|@|#|https?:)")


def make_review(**overrides: Any) -> Review:
    values: dict[str, Any] = {
        "platform": "gumado",
        "id": "4711",
        "rating": 2,
        "source": "Google",
        "published_at": PUBLISHED,
        "organization_id": "12",
        "location_id": "3",
        "author": "Sarah Johnson",
        "avatar_url": "https://cdn.test/avatar.png",
        "title": "Long wait",
        "text": "Waited 40 minutes past my appointment time.",
        "url": "https://gumado.test/reviews/4711",
        "source_logo_url": "https://cdn.test/google.png",
        "reply": "Sorry, Sarah. We have changed our scheduling.",
        "reply_at": datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return Review(**values)


def card(review: Review | None = None, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("organization_name", "Acme Dental")
    kwargs.setdefault("location_name", "Downtown")
    payload = build_review_card(review or make_review(), **kwargs)
    assert_message_within_limits(payload)
    return payload


def block(payload: dict[str, Any], block_id: str) -> dict[str, Any]:
    matches = [b for b in payload["blocks"] if b.get("block_id") == block_id]
    assert len(matches) == 1, f"no single block {block_id!r}"
    return matches[0]


def has_block(payload: dict[str, Any], block_id: str) -> bool:
    return any(b.get("block_id") == block_id for b in payload["blocks"])


def buttons(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    actions = block(payload, "card_actions")
    return {element["action_id"]: element for element in actions["elements"]}


def all_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


def mrkdwn_texts(payload: dict[str, Any]) -> list[str]:
    texts = [obj["text"] for obj in iter_text_objects(payload["blocks"]) if obj["type"] == "mrkdwn"]
    return [*texts, payload["text"]]


def assert_harmless(payload: dict[str, Any], allowed: tuple[str, ...] = ()) -> None:
    """No live entity in any mrkdwn text or the fallback except our own date tokens/mentions."""
    for text in mrkdwn_texts(payload):
        for match in LIVE_ENTITY.finditer(text):
            rest = text[match.start() :]
            assert rest.startswith(("<!date^", *allowed)), (
                f"live entity in {text[:200]!r}: {rest[:40]!r}"
            )
    for obj in iter_text_objects(payload["blocks"]):
        if obj["type"] == "mrkdwn":
            assert obj.get("verbatim") is True, obj


# --- every field --------------------------------------------------------------------------


def test_full_card_shows_every_field() -> None:
    payload = card(delivery_id=77)
    summary = block(payload, "card_summary")
    assert summary["text"] == {"type": "mrkdwn", "text": "*★★☆☆☆ 2/5*", "verbatim": True}
    assert [f["text"] for f in summary["fields"]] == ["Google review", "Acme Dental › Downtown"]
    assert all(f["type"] == "plain_text" for f in summary["fields"])
    assert summary["accessory"] == {
        "type": "image",
        "image_url": "https://cdn.test/google.png",
        "alt_text": "Google logo",
    }

    author = block(payload, "card_author")["elements"]
    assert author[0] == {
        "type": "image",
        "image_url": "https://cdn.test/avatar.png",
        "alt_text": "Sarah Johnson",
    }
    assert author[1] == {"type": "plain_text", "text": "Sarah Johnson", "emoji": True}
    ts = int(PUBLISHED.timestamp())
    assert author[2]["text"] == (
        f"<!date^{ts}^{{date_short_pretty}} at {{time}}|Nov 22, 2026 14:05 UTC>"
    )

    assert block(payload, "card_title")["type"] == "header"
    assert block(payload, "card_title")["text"]["text"] == "Long wait"
    assert block(payload, BLOCK_TEXT)["text"] == {
        "type": "plain_text",
        "text": "Waited 40 minutes past my appointment time.",
        "emoji": True,
    }
    assert not has_block(payload, BLOCK_MORE)

    label = block(payload, "card_reply_label")["elements"]
    assert label[0] == {"type": "plain_text", "text": "✅ Answered on Google", "emoji": True}
    assert label[1]["text"].startswith("<!date^")
    assert block(payload, "card_reply")["text"]["text"] == (
        "Sorry, Sarah. We have changed our scheduling."
    )

    by_id = buttons(payload)
    # Answered: no "Reply on Google" button.
    assert list(by_id) == [ACTION_VIEW_REVIEW, ACTION_REQUEST_REVIEW, ACTION_MARK_HANDLED]
    assert by_id[ACTION_VIEW_REVIEW]["url"] == "https://gumado.test/reviews/4711"
    assert by_id[ACTION_VIEW_REVIEW]["text"]["text"] == "View review"
    assert json.loads(by_id[ACTION_REQUEST_REVIEW]["value"]) == {
        "platform": "gumado",
        "organization_id": "12",
    }
    assert by_id[ACTION_REQUEST_REVIEW]["text"]["text"] == "Request a review…"
    assert by_id[ACTION_MARK_HANDLED]["value"] == "77"

    assert payload["metadata"] == {
        "event_type": "review_card",
        "event_payload": {"delivery_id": 77, "review_id": "4711", "platform": "gumado"},
    }
    assert payload["unfurl_links"] is False
    assert payload["unfurl_media"] is False
    assert payload["text"] == (
        "★★☆☆☆ 2/5 Google review of Acme Dental › Downtown by Sarah Johnson: "
        "“Waited 40 minutes past my appointment time.”"
    )
    assert_harmless(payload)


def test_block_order() -> None:
    ids = [b["block_id"] for b in card(mentions=["U1ABC"])["blocks"]]
    assert ids == [
        "card_mentions",
        "card_summary",
        "card_author",
        "card_title",
        "card_text",
        "card_reply_label",
        "card_reply",
        "card_actions",
    ]


def test_low_rating_with_mentions_notifies_in_text_and_shows_a_section() -> None:
    review = make_review(rating=1)
    payload = card(review, mentions=["U0FRONT", "S0DESK", "W0ENT", "not-an-id", "<!channel>"])
    assert payload["text"].startswith("<@U0FRONT> <!subteam^S0DESK> <@W0ENT> ★☆☆☆☆ 1/5 ")
    mentions = block(payload, "card_mentions")["text"]
    assert mentions["type"] == "mrkdwn"
    assert mentions["text"] == "🔔 <@U0FRONT> <!subteam^S0DESK> <@W0ENT>"
    assert "<!channel>" not in all_text(payload)
    assert_harmless(payload, allowed=("<@U0FRONT>", "<!subteam^S0DESK>", "<@W0ENT>"))


def test_mention_mrkdwn() -> None:
    assert mention_mrkdwn("U123ABC") == "<@U123ABC>"
    assert mention_mrkdwn("S123ABC") == "<!subteam^S123ABC>"
    assert mention_mrkdwn("C123ABC") is None
    assert mention_mrkdwn("U123|x") is None
    assert mention_mrkdwn("@frontdesk") is None


def test_no_metadata_without_delivery_id_and_review_id_on_the_button() -> None:
    payload = card()
    assert "metadata" not in payload
    assert buttons(payload)[ACTION_MARK_HANDLED]["value"] == "4711"


def test_names_fall_back_to_ids() -> None:
    payload = card(organization_name=None, location_name=None)
    fields = block(payload, "card_summary")["fields"]
    assert fields[1]["text"] == "Organization #12 › Location #3"
    assert " of Organization #12 › Location #3 by " in payload["text"]

    only_org = card(make_review(location_id=None), location_name=None)
    assert block(only_org, "card_summary")["fields"][1]["text"] == "Acme Dental"


def test_missing_optional_fields() -> None:
    review = Review(
        platform="cloutly",
        id="a1b2",
        rating=5,
        source="Facebook",
        published_at=PUBLISHED,
    )
    payload = card(review, organization_name=None, location_name=None)
    ids = [b["block_id"] for b in payload["blocks"]]
    assert ids == [
        "card_summary",
        "card_author",
        "card_no_text",
        "card_reply_state",
        "card_actions",
    ]
    assert block(payload, "card_reply_state")["elements"] == [
        {"type": "plain_text", "text": "💬 Not answered yet", "emoji": True}
    ]
    assert block(payload, "card_no_text")["elements"][0]["text"] == (
        "No written review: only the rating."
    )
    summary = block(payload, "card_summary")
    assert "accessory" not in summary
    assert [f["text"] for f in summary["fields"]] == ["Facebook review"]
    author = block(payload, "card_author")["elements"]
    assert [e["type"] for e in author] == ["plain_text", "mrkdwn"]
    assert author[0]["text"] == "Anonymous"
    assert list(buttons(payload)) == [ACTION_REQUEST_REVIEW, ACTION_MARK_HANDLED]
    assert json.loads(buttons(payload)[ACTION_REQUEST_REVIEW]["value"]) == {
        "platform": "cloutly",
        "organization_id": None,
    }
    assert payload["text"] == "★★★★★ 5/5 Facebook review"


def test_empty_strings_are_treated_as_missing() -> None:
    review = make_review(
        author="  ", title="", text="\x00", reply=" ", url="", avatar_url="", source_logo_url=""
    )
    payload = card(review)
    ids = [b["block_id"] for b in payload["blocks"]]
    assert ids == [
        "card_summary",
        "card_author",
        "card_no_text",
        "card_reply_state",
        "card_actions",
    ]


def test_review_link_is_used_when_the_review_has_no_url() -> None:
    payload = card(make_review(url=None), review_link="https://app.gumado.test/r/4711")
    assert buttons(payload)[ACTION_VIEW_REVIEW]["url"] == "https://app.gumado.test/r/4711"


def test_unsafe_urls_are_dropped() -> None:
    review = make_review(
        url="javascript:alert(1)",
        avatar_url="data:image/png;base64,xx",
        source_logo_url="file:///etc/passwd",
    )
    payload = card(review)
    assert ACTION_VIEW_REVIEW not in buttons(payload)
    assert "accessory" not in block(payload, "card_summary")
    assert block(payload, "card_author")["elements"][0]["type"] == "plain_text"


def test_a_date_only_reply_is_a_plain_date_not_a_date_token() -> None:
    # Cloutly "date": "2021-02-04": a token would render midnight UTC, Feb 3 in New York.
    payload = card(make_review(reply_at=None, reply_on=date(2021, 2, 4)))
    label = block(payload, "card_reply_label")["elements"]
    assert [e["text"] for e in label] == ["✅ Answered on Google", "Feb 4, 2021"]


def test_review_state_line() -> None:
    review = make_review(
        rating=4,
        original_rating=2,
        edited_at=datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
        hidden=True,
        archived=True,
        verified=True,
        replied=True,
        reply_url="https://gumado.test/reviews/4711#reply",
    )
    payload = card(review)
    ids = [b["block_id"] for b in payload["blocks"]]
    assert ids.index("card_state") == ids.index("card_author") + 1
    state = block(payload, "card_state")["elements"]
    assert len(state) == 1 and state[0]["type"] == "mrkdwn"
    assert state[0]["text"] == (
        "🙈 Hidden on your widget · 🗄️ Archived · ✏️ Edited by the reviewer "
        "<!date^1795507200^{date_short_pretty}|Nov 24, 2026 08:00 UTC>: was 2★ · ✓ Verified"
    )
    # The reply text is on the card, so its link goes on the reply's label.
    label = block(payload, "card_reply_label")["elements"][1]["text"]
    assert label.endswith(" · <https://gumado.test/reviews/4711#reply|View reply>")


def test_replied_without_a_reply_text_and_nothing_else_to_say() -> None:
    replied = card(
        make_review(reply=None, reply_at=None, replied=True, reply_url="https://g.test/r?a=1&b=2")
    )
    line = [e["text"] for e in block(replied, "card_reply_state")["elements"]]
    assert line == ["✅ Answered on Google", "<https://g.test/r?a=1&amp;b=2|View reply>"]
    assert not has_block(replied, "card_reply_label")
    assert not has_block(replied, "card_state")
    plain_card = card(make_review(hidden=False, verified=False, archived=False, replied=False))
    assert not has_block(plain_card, "card_state")
    hostile = card(make_review(source=HOSTILE, reply=None, replied=True))
    state = block(hostile, "card_reply_state")["elements"]
    assert state[0]["type"] == "plain_text"
    assert all("<!date^" in e["text"] for e in state if e["type"] == "mrkdwn")
    assert_harmless(hostile)
    # review_updated_on stamped at publication and an unchanged rating: not an edit.
    same = card(make_review(edited_at=PUBLISHED, original_rating=2))
    assert not has_block(same, "card_state")


def test_a_review_without_rating_author_or_text() -> None:
    review = make_review(
        rating=None, author=None, title=None, text=None, reply=None, avatar_url=None
    )
    payload = card(review)
    assert block(payload, "card_summary")["text"]["text"] == "*No rating*"
    assert block(payload, "card_author")["elements"][0]["text"] == "Anonymous"
    missing = block(payload, "card_no_text")["elements"][0]
    assert missing == {
        "type": "plain_text",
        "text": "No rating and no written review.",
        "emoji": True,
    }
    assert payload["text"] == "Unrated Google review of Acme Dental › Downtown"
    stars_only = card(make_review(title=None, text=None))
    assert block(stars_only, "card_no_text")["elements"][0]["text"] == (
        "No written review: only the rating."
    )
    titled = card(make_review(text=None))
    assert not has_block(titled, "card_no_text")


def test_reply_without_date() -> None:
    payload = card(make_review(reply_at=None))
    label = block(payload, "card_reply_label")["elements"]
    assert label == [{"type": "plain_text", "text": "✅ Answered on Google", "emoji": True}]


# --- hostile and huge text ----------------------------------------------------------------


def test_hostile_long_review_makes_one_valid_harmless_card() -> None:
    text = HOSTILE + " " + ("lorem ipsum " * 900)[:10_000]
    review = make_review(
        text=text,
        title=HOSTILE,
        author="<!channel> *Eve*",
        reply=HOSTILE * 3,
        source="<!here> google",
    )
    payload = card(review, organization_name="<@U999> Org", location_name="<!everyone>")
    own_link = "<https://gumado.test/reviews/4711|Read the full review>"
    assert_harmless(payload, allowed=(own_link,))
    assert not any("<https://evil" in text for text in mrkdwn_texts(payload))
    assert len(payload["text"]) <= 3000

    body = block(payload, BLOCK_TEXT)["text"]
    assert body["type"] == "plain_text"
    assert body["text"].startswith("<!channel> <!here>")  # shown literally, not parsed
    assert body["text"].endswith("…")
    assert len(body["text"]) <= 3000
    more = block(payload, BLOCK_MORE)["elements"][0]
    assert more["text"] == "… <https://gumado.test/reviews/4711|Read the full review>"

    for block_id in ("card_title", "card_reply"):
        assert block(payload, block_id)["text"]["type"] == "plain_text"
    assert block(payload, "card_title")["text"]["text"].startswith("<!channel>")
    assert block(payload, "card_author")["elements"][1]["text"] == "<!channel> *Eve*"
    assert "&lt;!channel&gt; *Eve*" in payload["text"]
    assert "&lt;!here&gt; google" in payload["text"]


def test_fallback_defuses_broadcast_words() -> None:
    payload = card(make_review(text="Hey @here and @channel, read this"))
    assert "@here" not in payload["text"] and "@channel" not in payload["text"]
    assert "@\u200bhere and @\u200bchannel" in payload["text"]


def test_every_untrusted_field_is_plain_text_whatever_its_content() -> None:
    marker = "<!channel>XYZ"
    review = make_review(text=marker, title=marker, author=marker, reply=marker, source=marker)
    payload = card(review, organization_name=marker, location_name=marker)
    for obj in iter_text_objects(payload["blocks"]):
        if "XYZ" in obj["text"]:
            assert obj["type"] == "plain_text", obj
    alt_texts = [b["accessory"]["alt_text"] for b in payload["blocks"] if "accessory" in b]
    assert alt_texts == ["<!channel>XYZ logo"]  # alt_text is never parsed as mrkdwn


def test_long_text_without_url_says_where_the_rest_is() -> None:
    payload = card(make_review(url=None, text="word " * 2000))
    more = block(payload, BLOCK_MORE)["elements"][0]
    assert more == {"type": "plain_text", "text": "… The full review is on Google.", "emoji": True}


def test_text_full_of_json_escapes_still_fits_the_aggregate_limit() -> None:
    # Quotes and backslashes double in JSON; the card shrinks its text to stay below ~12k.
    review = make_review(text='"\\' * 5000, reply='"\\' * 5000, title='"' * 500)
    payload = card(review)
    assert len(json.dumps(payload["blocks"], ensure_ascii=False)) <= 12_000
    assert block(payload, BLOCK_TEXT)["text"]["text"].endswith("…")


@pytest.mark.parametrize("emoji", ["👨\u200d👩\u200d👧\u200d👦", "👍🏽", "🇫🇷", "e\u0301"])
def test_emoji_at_the_cut_point_is_not_split(emoji: str) -> None:
    for pad in range(len(emoji) + 1):
        text = "x" * (2790 + pad) + emoji * 20
        payload = card(make_review(text=text))
        body = block(payload, BLOCK_TEXT)["text"]["text"].removesuffix("…")
        tail = body.lstrip("x")
        assert tail == emoji * (len(tail) // len(emoji)), (emoji, pad, tail[-8:])


def test_fallback_excerpt_is_short_and_single_line() -> None:
    payload = card(make_review(text="Line one\n\nline two " + "x " * 200))
    assert "\n" not in payload["text"]
    excerpt = payload["text"].split(": “", 1)[1]
    assert len(excerpt) <= 122
    assert excerpt.endswith("…”")


def test_fallback_uses_title_when_there_is_no_text() -> None:
    payload = card(make_review(text=None))
    assert payload["text"].endswith(": “Long wait”")


# --- handled variant ----------------------------------------------------------------------


def test_handled_card_replaces_the_button_with_a_context_line() -> None:
    payload = build_handled_card(
        make_review(),
        handled_by="U0MANAGER",
        organization_name="Acme Dental",
        location_name="Downtown",
        delivery_id=5,
    )
    assert_message_within_limits(payload)
    assert ACTION_MARK_HANDLED not in buttons(payload)
    assert list(buttons(payload)) == [ACTION_VIEW_REVIEW, ACTION_REQUEST_REVIEW]
    handled = block(payload, "card_handled")["elements"][0]
    assert handled == {"type": "mrkdwn", "text": "✅ Handled by <@U0MANAGER>", "verbatim": True}
    assert payload["metadata"]["event_payload"]["delivery_id"] == 5
    assert payload == card(handled_by="U0MANAGER", delivery_id=5)


def test_handled_by_something_that_is_not_a_user_id_is_plain_text() -> None:
    payload = card(handled_by="<!channel>")
    handled = block(payload, "card_handled")["elements"][0]
    assert handled["type"] == "plain_text"
    assert handled["text"] == "✅ Handled by <!channel>"
    assert_harmless(payload)


# --- update notes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "note"),
    [
        ({"reply": None}, {"reply": "Thanks, Sarah!"}, "Reply published"),
        ({}, {"reply": "New answer."}, "Reply edited"),
        ({}, {"reply": None}, "Reply removed"),
        ({"rating": 2}, {"rating": 4}, "Rating 2★ → 4★"),
        ({}, {"text": "Changed my mind."}, "Review text edited"),
        ({}, {"title": "Better now"}, "Title edited"),
        (
            {"rating": 2, "reply": None},
            {"rating": 4, "text": "Fixed!", "reply": "Glad to hear."},
            "Reply published · Rating 2★ → 4★ · Review text edited",
        ),
        ({}, {}, None),
        ({}, {"updated_at": PUBLISHED, "avatar_url": "https://cdn.test/b.png"}, None),
        ({"text": "same  words"}, {"text": "same words\n"}, None),
        ({"reply": ""}, {"reply": None}, None),
        ({"rating": 3}, {"rating": None}, "Rating 3★ → no rating"),
        ({"hidden": False}, {"hidden": True}, "Hidden on your widget"),
        ({"hidden": True}, {"hidden": False}, "Shown on your widget"),
        ({"archived": False}, {"archived": True}, "Archived"),
        ({"reply": None, "replied": False}, {"reply": None, "replied": True}, "Replied"),
        # A state first learned (a row stored before the platform said) is no change to note.
        ({"hidden": None}, {"hidden": True}, None),
        ({"reply": None, "replied": None}, {"reply": None, "replied": True}, None),
        ({"verified": None}, {"verified": True}, None),
    ],
)
def test_build_update_note(before: dict[str, Any], after: dict[str, Any], note: str | None) -> None:
    old = make_review(**before)
    assert build_update_note(old, replace(old, **after)) == note


# --- the limit checker itself -------------------------------------------------------------


def test_limits_checker_rejects_what_slack_rejects() -> None:
    good = card()
    bad_cases: list[dict[str, Any]] = []

    too_long = json.loads(json.dumps(good))
    too_long["blocks"][0]["text"]["text"] = "x" * 3001
    bad_cases.append(too_long)

    empty_plain = json.loads(json.dumps(good))
    block_ = next(b for b in empty_plain["blocks"] if b["block_id"] == BLOCK_TEXT)
    block_["text"]["text"] = ""
    bad_cases.append(empty_plain)

    duplicate = json.loads(json.dumps(good))
    duplicate["blocks"].append(duplicate["blocks"][-1])
    bad_cases.append(duplicate)

    many = {"text": "x", "blocks": [{"type": "divider"}] * 51}
    bad_cases.append(many)

    button = json.loads(json.dumps(good))
    button["blocks"][-1]["elements"][0]["text"]["text"] = "b" * 76
    bad_cases.append(button)

    aggregate = {
        "text": "x",
        "blocks": [
            {"type": "section", "text": {"type": "plain_text", "text": "y" * 2999}}
            for _ in range(5)
        ],
    }
    bad_cases.append(aggregate)

    for bad in bad_cases:
        with pytest.raises(AssertionError):
            assert_message_within_limits(bad)


def test_view_limits_checker() -> None:
    view: dict[str, Any] = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Request a review"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "block_id": "email",
                "label": {"type": "plain_text", "text": "Email"},
                "element": {"type": "plain_text_input", "action_id": "email"},
            }
        ],
    }
    assert_view_within_limits(view)
    for key, value in [
        ("title", {"type": "plain_text", "text": "x" * 25}),
        ("private_metadata", "m" * 3001),
        ("blocks", [{"type": "divider"}] * 101),
    ]:
        with pytest.raises(AssertionError):
            assert_view_within_limits({**view, key: value})
    without_submit = {k: v for k, v in view.items() if k != "submit"}
    with pytest.raises(AssertionError):
        assert_view_within_limits(without_submit)
