"""What the platforms say about a review beyond its words reaches the card, over real HTTP.

Gumado's review webhook carries ``hidden``, ``verified``, ``original_rating``,
``review_updated_on``, ``replied`` and ``reply_url``; Cloutly's reviews carry ``isArchived`` and
``status`` and, "Most fields a nullable", may lack a rating, an author or a text. A reply date
without a time (Cloutly's ``"date": "2021-02-04"``) is a day, whoever reads it where.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from admin_helpers import all_text, slash
from pipeline_helpers import (
    InboundEvent,
    MovableClock,
    Review,
    block_texts,
    cards,
    cards_of,
    connection,
    count,
    post_webhook,
    rows,
    subscribe,
    wait_cards,
)

from bot.pipeline.assembly import PIPELINE_KEY
from harness import Service, running_service

JSON = dict[str, Any]
_DATE_TOKEN = re.compile(r"<!date\^(\d+)\^[^|>]*(?:\|[^>]*)?>")


def read_in(text: str, zone: str) -> str:
    """``text`` as a reader in ``zone`` sees it: Slack renders date tokens in their timezone."""

    def day(match: re.Match[str]) -> str:
        moment = datetime.fromtimestamp(int(match[1]), ZoneInfo(zone))
        return f"{moment:%b} {moment.day}, {moment.year}"

    return _DATE_TOKEN.sub(day, text)


def block(message: JSON, block_id: str) -> JSON:
    return next(b for b in message["blocks"] if b.get("block_id") == block_id)


async def _poll(service: Service) -> None:
    await service.app[PIPELINE_KEY].poller.poll_now()
    await service.settle()


async def test_a_hidden_edited_gumado_review_says_so_and_its_changes_are_noted(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        created = gumado.add_review(rating=2, message="Slow service", hidden=True, verified=True)
        (card,) = await wait_cards(service, 1)
        state = block_texts(card)
        # Hidden on the business's widget, yet a review someone wrote: shown, and labelled.
        assert "🙈 Hidden on your widget" in state and "✓ Verified" in state

        gumado.update_review(created["id"], rating=4, hidden=False)
        await gumado.wait_for_deliveries()
        await service.settle()
        (edited,) = cards_of(service, created["id"])
        assert edited["ts"] == card["ts"]
        assert "✏️ Edited by the reviewer" in block_texts(edited)
        assert ": was 2★" in block_texts(edited) and "Hidden" not in block_texts(edited)
        (note,) = service.slack.thread("C0REVIEWS", card["ts"])
        assert "Rating 2★ → 4★" in note["text"] and "Shown on your widget" in note["text"]

        gumado.update_review(created["id"], hidden=True)
        gumado.update_review(created["id"], reply_message="Sorry, fixed!")
        await gumado.wait_for_deliveries()
        await service.settle()
        (answered,) = cards_of(service, created["id"])
        notes = [n["text"] for n in service.slack.thread("C0REVIEWS", card["ts"])]
        assert any("Hidden on your widget" in n for n in notes[1:]), notes
        assert any("Reply published" in n for n in notes[1:]), notes
        label = block(answered, "card_reply_label")["elements"]
        assert label[0]["text"] == "✅ Answered on Google"
        assert f"<{created['url']}|View reply>" in label[1]["text"]


async def test_a_poll_which_does_not_carry_the_review_state_keeps_it(database_url: str) -> None:
    clock = MovableClock()
    async with running_service(database_url, clock=clock) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        created = gumado.add_review(rating=2, message="Slow", hidden=True, verified=True)
        (card,) = await wait_cards(service, 1)
        assert "Hidden on your widget" in block_texts(card)
        # Webhooks stop; a day later the poller reads GET /reviews, whose items (the
        # document's "Example Response") say nothing of hidden, verified or edits.
        gumado.webhooks.subscriptions.clear()
        clock.advance(hours=25)
        await _poll(service)
        (row,) = await rows(service, Review, Review.platform_id == str(created["id"]))
        assert (row.hidden, row.verified, row.source_logo_url is not None) == (True, True, True)
        (after,) = cards_of(service, created["id"])
        assert "🙈 Hidden on your widget" in block_texts(after) and "✓ Verified" in block_texts(
            after
        )
        assert service.slack.thread("C0REVIEWS", card["ts"]) == []  # nothing changed to note


async def test_a_review_without_stars_gets_a_card_but_no_low_rating_alert(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS", mentions=["S0ONCALL"], alert_threshold=5)
        await subscribe(service, "C0LOW", "rating:<=2")
        record = service.sandboxes.gumado.reviews[max(service.sandboxes.gumado.reviews)]
        payload = {**record.webhook("review-created"), "id": 99001, "rating": None}
        payload.update(
            message=None, title=None, published_on=datetime.now().astimezone().isoformat()
        )
        assert (await post_webhook(service, payload))[0] == 200
        (card,) = await wait_cards(service, 1)
        assert block(card, "card_summary")["text"]["text"] == "*No rating*"
        assert "No rating and no written review." in block_texts(card)
        assert card["text"].startswith("Unrated ")
        assert "S0ONCALL" not in str(card)  # no stars, nothing low to alert about
        assert cards(service, "C0LOW") == []  # a rating filter does not take it
        assert await count(service, InboundEvent, InboundEvent.status == "failed") == 0


async def test_a_cloutly_review_of_null_fields_archived_and_responded_gets_a_sensible_card(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await service.settle()  # the start-up poll is the baseline
        await subscribe(service, "C0REVIEWS")
        await subscribe(service, "C0LOW", "rating:<=2")
        cloutly = service.sandboxes.cloutly
        bare = cloutly.add_review(
            rating=None,
            authorName=None,
            name=None,
            text=None,
            source="google",
            isArchived=True,
            status="Responded",  # answered on Google; Cloutly passes no response on
        )
        await _poll(service)
        (card,) = await wait_cards(service, 1)
        assert card["metadata"]["event_payload"]["review_id"] == bare["id"]
        shown = block_texts(card)
        assert "*No rating*" in shown and "Anonymous" in shown
        assert "No rating and no written review." in shown
        assert "🗄️ Archived" in shown and "✅ Answered on Google" in shown
        assert cards(service, "C0LOW") == []


async def test_a_date_only_reply_reads_as_that_date_in_every_timezone(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        # The document's example: "response": {"date": "2021-02-04", ...}.
        answered = service.sandboxes.cloutly.add_review(
            rating=5,
            text="Fantastic.",
            response={"name": "My Business", "date": "2021-02-04", "comment": "Thanks Tim!"},
        )
        await _poll(service)
        await wait_cards(service, 1)
        (replied,) = cards_of(service, answered["id"])
        label = block(replied, "card_reply_label")["elements"]
        assert label[0]["text"] == "✅ Answered on Google"
        # The reply's day is Feb 4 in New York and in Tokyo, not the evening of Feb 3.
        for zone in ("America/New_York", "America/Los_Angeles", "Asia/Tokyo", "UTC"):
            assert read_in(label[1]["text"], zone) == "Feb 4, 2021", zone


async def test_reviews_a_poll_cannot_read_are_skipped_counted_and_shown_in_status(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        cloutly = service.sandboxes.cloutly
        cloutly.add_review(rating="lots", text="Unreadable stars")
        good = cloutly.add_review(rating=4, text="Readable")
        gumado = service.sandboxes.gumado
        newest = gumado.reviews[max(gumado.reviews)].api()
        broken = {**newest, "id": 99002, "source": None}
        body = {"data": [broken, newest], "meta": {"current_page": 1, "last_page": 1}}
        gumado.inject_fault(status=200, body=json.dumps(body), path="/api/v1/reviews")
        await _poll(service)
        await wait_cards(service, 1)
        assert [c["metadata"]["event_payload"]["review_id"] for c in cards(service)] == [good["id"]]
        for name in ("cloutly", "gumado"):
            polled = await connection(service, name)
            # Not a failed poll: healthy, and the one review it could not read is counted.
            assert polled.healthy and polled.last_error is None, name
            assert polled.last_poll_skipped == 1, name
        _, url = await slash(service, "status")
        [status] = service.slack.responses(url)
        shown = all_text(status)
        assert shown.count("The last poll skipped 1 review it could not read") == 2
        async with service.http.get(f"{service.base_url}/metrics") as response:
            metrics = await response.text()
        assert 'reviewbot_reviews_skipped_total{platform="cloutly"} 1.0' in metrics
        assert 'reviewbot_reviews_skipped_total{platform="gumado"} 1.0' in metrics
