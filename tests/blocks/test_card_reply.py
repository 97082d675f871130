"""The card says whether the review was answered, offers *Reply on …*, and has two styles."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from providers.test_cloutly_parse import doc_review

from bot.blocks.card import (
    ACTION_MARK_HANDLED,
    ACTION_REPLY_REVIEW,
    ACTION_REQUEST_REVIEW,
    ACTION_VIEW_REVIEW,
    build_handled_card,
    build_review_card,
)
from bot.providers.cloutly import review_from_api as cloutly_review
from bot.providers.gumado.parse import review_from_webhook

from .limits import assert_message_within_limits
from .test_card import HOSTILE, assert_harmless, block, buttons, has_block, make_review

BIDI = "\u202eevil\u202c \u2066x\u2069"
EMOJI = "👨\u200d👩\u200d👧\u200d👦👍🏽🇫🇷"


def gumado_webhook(**changes: Any) -> dict[str, Any]:
    """A Gumado ``review-created`` webhook body (the document's fields)."""
    body: dict[str, Any] = {
        "webhook_event": "review-created",
        "id": 4711,
        "organization_id": 12,
        "location_id": None,
        "source_name": "google",
        "author": "Sarah Johnson",
        "rating": 2,
        "message": "Waited 40 minutes.",
        "url": "https://maps.google.test/review/4711",
        "published_on": "2026-11-22T14:05:00Z",
        "updated_at": "2026-11-22T14:05:00Z",
        "created_at": "2026-11-22T14:05:00Z",
        "replied": False,
        "reply_message": None,
        "reply_url": None,
    }
    body.update(changes)
    return body


def card(review: Any, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("organization_name", "Acme Dental")
    kwargs.setdefault("location_name", None)
    allowed = ("<https://app.gumado.test/", *kwargs.pop("allowed", ()))
    payload = build_review_card(review, **kwargs)
    assert_message_within_limits(payload)
    assert_harmless(payload, allowed=allowed)
    return payload


def texts(payload: dict[str, Any], block_id: str) -> list[str]:
    return [e["text"] for e in block(payload, block_id)["elements"] if e["type"] != "image"]


# --- answered or not, on both platforms' shapes ------------------------------------------


def test_gumado_unanswered_review_offers_reply_on_its_source() -> None:
    review = review_from_webhook(gumado_webhook())
    payload = card(review, delivery_id=3)
    assert texts(payload, "card_reply_state") == ["💬 Not answered yet"]
    by_id = buttons(payload)
    assert list(by_id) == [
        ACTION_VIEW_REVIEW,
        ACTION_REPLY_REVIEW,
        ACTION_REQUEST_REVIEW,
        ACTION_MARK_HANDLED,
    ]
    assert by_id[ACTION_REPLY_REVIEW]["text"]["text"] == "Reply on Google"
    # No reply_url yet: the review itself is where the answer is written.
    assert by_id[ACTION_REPLY_REVIEW]["url"] == "https://maps.google.test/review/4711"


def test_gumado_reply_url_is_the_reply_button_when_given() -> None:
    review = replace(
        review_from_webhook(gumado_webhook()), reply_url="https://app.gumado.test/reply/4711"
    )
    assert buttons(card(review))[ACTION_REPLY_REVIEW]["url"] == "https://app.gumado.test/reply/4711"
    unsafe = replace(review, reply_url="javascript:alert(1)", url="ftp://x.test/1")
    assert ACTION_REPLY_REVIEW not in buttons(card(unsafe))


def test_gumado_answered_review_shows_the_answer_once_and_no_reply_button() -> None:
    review = review_from_webhook(
        gumado_webhook(
            replied=True,
            reply_message="Sorry, Sarah!",
            reply_published_on="2026-11-23T09:00:00Z",
            reply_url="https://app.gumado.test/reply/4711",
        )
    )
    payload = card(review)
    label = texts(payload, "card_reply_label")
    assert label[0] == "✅ Answered on Google"
    assert label[1].startswith("<!date^") and label[1].endswith(
        " · <https://app.gumado.test/reply/4711|View reply>"
    )
    assert block(payload, "card_reply")["text"]["text"] == "Sorry, Sarah!"
    assert not has_block(payload, "card_reply_state")
    assert ACTION_REPLY_REVIEW not in buttons(payload)
    # Nothing else says "replied" a second time.
    assert json.dumps(payload, ensure_ascii=False).count("Answered") == 1
    assert "Replied" not in json.dumps(payload, ensure_ascii=False)


def test_gumado_replied_without_text() -> None:
    review = review_from_webhook(gumado_webhook(replied=True, reply_url=None))
    payload = card(review)
    assert texts(payload, "card_reply_state") == ["✅ Answered on Google"]
    assert ACTION_REPLY_REVIEW not in buttons(payload)


def test_cloutly_responded_and_new_reviews() -> None:
    answered = cloutly_review(doc_review(reviewUrl="https://trustpilot.test/r/1"))
    payload = card(answered)
    assert texts(payload, "card_reply_label") == ["✅ Answered on Trustpilot", "Feb 4, 2021"]
    assert ACTION_REPLY_REVIEW not in buttons(payload)

    new = cloutly_review(
        doc_review(status="New", response=None, reviewUrl="https://trustpilot.test/r/1")
    )
    payload = card(new)
    assert texts(payload, "card_reply_state") == ["💬 Not answered yet"]
    reply = buttons(payload)[ACTION_REPLY_REVIEW]
    assert (reply["text"]["text"], reply["url"]) == (
        "Reply on Trustpilot",
        "https://trustpilot.test/r/1",
    )
    # Cloutly's reviewUrl may be empty: then there is nowhere to send the reader.
    assert ACTION_REPLY_REVIEW not in buttons(card(cloutly_review(doc_review(status="New"))))


# --- overdue ------------------------------------------------------------------------------


def test_overdue_shows_only_while_unanswered_and_not_handled() -> None:
    unanswered = make_review(reply=None, replied=False, reply_at=None)
    payload = card(unanswered, overdue=True, delivery_id=9)
    state = block(payload, "card_reply_state")["elements"]
    assert state[0] == {"type": "mrkdwn", "text": "⏰ *Overdue*", "verbatim": True}
    assert state[1]["text"] == "Not answered on Google yet"
    assert payload["text"].startswith("⏰ Overdue: ★★☆☆☆")
    answered = card(make_review(), overdue=True)
    assert "Overdue" not in json.dumps(answered, ensure_ascii=False)
    handled = card(unanswered, overdue=True, handled_by="U0FRONT", allowed=("<@U0FRONT>",))
    assert "Overdue" not in json.dumps(handled, ensure_ascii=False)
    assert texts(handled, "card_reply_state") == ["💬 Not answered yet"]
    compact = card(unanswered, overdue=True, style="compact")
    assert "⏰ Overdue" in block(compact, "card_compact")["text"]["text"]


def test_defaults_are_todays_full_card() -> None:
    review = make_review()
    plain_args = {"organization_name": "Acme", "location_name": "Downtown", "delivery_id": 4}
    assert build_review_card(review, **plain_args) == build_review_card(
        review, **plain_args, style="full", overdue=False, home_language=None
    )


# --- language -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "home", "shown"),
    [
        ("es", None, "🌐 Spanish"),
        ("en", None, None),
        ("es", "es", None),
        ("en", "de", "🌐 English"),
        ("es", "es-ES", None),
        (None, "de", None),
        ("xx", None, "🌐 xx"),
    ],
)
def test_language_is_named_only_when_not_the_subscribers(
    language: str | None, home: str | None, shown: str | None
) -> None:
    review = make_review(language=language)
    full = card(review, home_language=home)
    author = texts(full, "card_author")
    compact_line = block(card(review, home_language=home, style="compact"), "card_compact")
    if shown is None:
        assert not any("🌐" in text for text in author)
        assert "🌐" not in compact_line["text"]["text"]
    else:
        assert author[-1] == shown
        assert shown in compact_line["text"]["text"]


# --- compact ------------------------------------------------------------------------------


def test_compact_card_is_two_lines_and_the_buttons() -> None:
    review = make_review(
        text="Waited 40 minutes past my appointment.\nSecond line.", reply=None, reply_at=None
    )
    payload = card(review, style="compact", delivery_id=5, mentions=["U0FRONT"], allowed=("<@",))
    ids = [b["block_id"] for b in payload["blocks"]]
    assert ids == ["card_mentions", "card_compact", "card_actions"]
    text = block(payload, "card_compact")["text"]
    assert text["type"] == "plain_text"
    assert text["text"] == (
        "★★☆☆☆ 2/5 · Sarah Johnson · Google · Acme Dental › Location #3 · 💬 Not answered\n"
        "Waited 40 minutes past my appointment."
    )
    assert list(buttons(payload)) == [ACTION_VIEW_REVIEW, ACTION_REPLY_REVIEW, ACTION_MARK_HANDLED]
    assert payload["metadata"]["event_payload"]["delivery_id"] == 5
    assert payload["text"].startswith("<@U0FRONT> ★★☆☆☆ 2/5 Google review")

    handled = build_handled_card(
        review,
        handled_by="U0FRONT",
        organization_name="Acme Dental",
        location_name=None,
        style="compact",
    )
    assert [b["block_id"] for b in handled["blocks"]] == [
        "card_compact",
        "card_handled",
        "card_actions",
    ]
    assert (
        "✅ Answered" in block(card(make_review(), style="compact"), "card_compact")["text"]["text"]
    )
    no_text = card(make_review(title=None, text=None), style="compact")
    assert block(no_text, "card_compact")["text"]["text"].endswith("\nNo written review.")


@pytest.mark.parametrize("style", ["full", "compact"])
def test_hostile_text_stays_within_limits_and_harmless(style: str) -> None:
    huge = (HOSTILE + " " + BIDI + " " + EMOJI + " ") * 400
    review = make_review(
        text=huge,
        title=huge,
        author=huge,
        source=HOSTILE,
        reply=huge,
        reply_url="https://g.test/r?<!channel>|x",
        language="es",
        rating=1,
    )
    payload = card(
        review,
        style=style,
        overdue=True,
        organization_name=huge,
        location_name=huge,
        mentions=["U0FRONT", "<!channel>", "@here"],
        delivery_id=1,
        allowed=(
            "<@U0FRONT>",
            "<https://gumado.test/reviews/4711|Read the full review>",
            "<https://g.test/r?%3C!channel%3E%7Cx|View reply>",
        ),
    )
    dumped = json.dumps(payload, ensure_ascii=False)
    assert "\u202e" not in dumped and "\u2066" not in dumped
    assert "<!channel>" not in payload["text"] and "@here" not in payload["text"]
    for button in buttons(payload).values():
        assert len(button["text"]["text"]) <= 75
    if style == "compact":
        line = block(payload, "card_compact")["text"]["text"]
        assert line.count("\n") == 1 and len(line) <= 3000
