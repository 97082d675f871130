"""The subscribe modal over HTTP with the words of issue 15, and its backfill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from blocks.limits import assert_view_within_limits
from surface_helpers import all_text, connection_id, interact, run_slash, subscriptions_of

from bot.blocks.card import EVENT_TYPE_REVIEW_CARD
from bot.blocks.ids import (
    ACTION_SUB_BACKFILL,
    ACTION_SUB_EVERY,
    ACTION_SUB_LANGUAGE,
    ACTION_SUB_ORG,
    ACTION_SUB_RESPOND,
    ACTION_SUB_RESPOND_TEXT,
    ACTION_SUB_ROLLUP,
    ACTION_SUB_STYLE,
    ACTION_SUB_TEXT,
    BLOCK_SUB_BACKFILL,
    BLOCK_SUB_EVERY,
    BLOCK_SUB_LANGUAGE,
    BLOCK_SUB_ORG,
    BLOCK_SUB_RESPOND,
    BLOCK_SUB_RESPOND_TEXT,
    BLOCK_SUB_ROLLUP,
    BLOCK_SUB_STYLE,
    BLOCK_SUB_TEXT,
    CALLBACK_SUBSCRIBE,
)
from bot.filters import Filter
from harness import Service, running_service, wait_for
from sandbox.signing import selected_value, text_value, view_submission_payload

JSON = dict[str, Any]


def _view(service: Service) -> JSON:
    found = [v for v in service.slack.views.values() if v["callback_id"] == CALLBACK_SUBSCRIBE]
    assert found
    return found[-1]


def _cards(service: Service) -> list[JSON]:
    return [
        m
        for m in service.slack.messages("C0REVIEWS")
        if (m.get("metadata") or {}).get("event_type") == EVENT_TYPE_REVIEW_CARD
    ]


def _choices(backfill: str = "2", **overrides: JSON) -> JSON:
    values: JSON = {
        BLOCK_SUB_TEXT: {ACTION_SUB_TEXT: text_value("Zeppelin")},
        BLOCK_SUB_LANGUAGE: {
            ACTION_SUB_LANGUAGE: {
                "type": "multi_static_select",
                "selected_options": [
                    {"text": {"type": "plain_text", "text": "Spanish (es)"}, "value": "es"}
                ],
            }
        },
        BLOCK_SUB_RESPOND: {ACTION_SUB_RESPOND: selected_value("240", "Within 4 hours")},
        BLOCK_SUB_ROLLUP: {ACTION_SUB_ROLLUP: selected_value("5-5", "5★ reviews only")},
        BLOCK_SUB_EVERY: {ACTION_SUB_EVERY: selected_value("15", "Every 15 minutes")},
        BLOCK_SUB_STYLE: {
            ACTION_SUB_STYLE: selected_value("compact", "Compact", kind="radio_buttons")
        },
        BLOCK_SUB_BACKFILL: {ACTION_SUB_BACKFILL: text_value(backfill, kind="number_input")},
    }
    values.update(overrides)
    return values


async def test_the_form_subscribes_with_every_new_choice_and_backfills(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        gumado = service.sandboxes.gumado
        now = datetime.now(UTC)
        texts = [
            "El zeppelin del aparcamiento es un desastre, nadie contesta al teléfono.",
            "Muy mala experiencia con el zeppelin, esperamos una hora en la recepción.",
            "Terrible zeppelin service, we waited an hour at the front desk.",  # English
            "Otra vez el zeppelin: la sala de espera estaba llena y hacía mucho calor.",
        ]
        added = [
            gumado.add_review(
                rating=2, message=text, published_on=now - timedelta(days=len(texts) - n)
            )
            for n, text in enumerate(texts)
        ]
        _, response_url = await service.slash("subscribe")
        await service.settle()
        view = _view(service)
        assert_view_within_limits(view)
        gumado_id = await connection_id(service, "gumado")
        values = _choices(
            **{BLOCK_SUB_ORG: {ACTION_SUB_ORG: selected_value(f"{gumado_id}:1", "Acme")}}
        )
        assert await interact(service, view_submission_payload(view, values)) is None
        await service.settle(timeout=20)

        [row] = await subscriptions_of(service)
        chosen = Filter.from_json(row.filter)
        assert chosen.text == ("Zeppelin",)
        assert chosen.languages == frozenset({"es"})
        assert chosen.respond_minutes == 240
        assert (chosen.rollup, chosen.rollup_every_minutes) == ((5, 5), 15)
        assert chosen.style == "compact"
        assert chosen.backfill is None and "backfill" not in row.filter_text
        assert row.language == "en"  # the stand-in's users.info locale, en-US

        # The two newest Spanish ones, oldest first; the English one never.
        await wait_for(lambda: len(_cards(service)) >= 2, timeout=20, what="2 cards")
        await service.settle(timeout=20)
        ids = [str(m["metadata"]["event_payload"]["review_id"]) for m in _cards(service)]
        assert ids == [str(added[1]["id"]), str(added[3]["id"])]
        # Told privately through the command's response_url, after the announcement.
        told = all_text(service.slack.responses(response_url))
        assert "subscribed <#C0REVIEWS>" in told
        assert "Posting the 2 most recent matching reviews here, oldest first." in told


async def test_form_errors_come_back_inline_over_http(database_url: str) -> None:
    async with running_service(database_url) as service:
        await run_slash(service, "subscribe")
        view = _view(service)
        values = _choices(
            backfill="500",
            **{BLOCK_SUB_RESPOND_TEXT: {ACTION_SUB_RESPOND_TEXT: text_value("soon")}},
        )
        ack = await interact(service, view_submission_payload(view, values))
        assert ack is not None and ack["response_action"] == "errors"
        assert list(ack["errors"]) == [BLOCK_SUB_RESPOND_TEXT, BLOCK_SUB_BACKFILL]
        assert "soon" in ack["errors"][BLOCK_SUB_RESPOND_TEXT]
        await service.settle()
        assert await subscriptions_of(service) == []
        assert "0 to 50" in ack["errors"][BLOCK_SUB_BACKFILL]
