"""``/reviews subscribe`` alone: the modal opens at once, is filled, validated and submitted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from blocks.limits import assert_view_within_limits
from surface_helpers import all_text, connection_id, interact, run_slash, subscriptions_of

from bot.blocks.ids import (
    ACTION_SUB_ALERT,
    ACTION_SUB_GROUPS,
    ACTION_SUB_LOCATION,
    ACTION_SUB_ORG,
    ACTION_SUB_RATING,
    ACTION_SUB_SOURCES,
    ACTION_SUB_USERS,
    BLOCK_SUB_ALERT,
    BLOCK_SUB_GROUPS,
    BLOCK_SUB_LOCATION,
    BLOCK_SUB_ORG,
    BLOCK_SUB_RATING,
    BLOCK_SUB_SOURCES,
    BLOCK_SUB_USERS,
    CALLBACK_SUBSCRIBE,
    CALLBACK_SUBSCRIBE_NOTICE,
)
from bot.filters import Filter
from harness import Service, running_service
from sandbox.gumado_models import SourceRecord
from sandbox.signing import selected_value, text_value, view_submission_payload
from storage.repositories import upsert_locations

JSON = dict[str, Any]


def _view(service: Service, callback_id: str) -> JSON:
    found = [v for v in service.slack.views.values() if v["callback_id"] == callback_id]
    assert found, (
        f"no view {callback_id} among {[v['callback_id'] for v in service.slack.views.values()]}"
    )
    return found[-1]


def _block(view: JSON, block_id: str) -> JSON:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def _values(**overrides: JSON) -> JSON:
    values: JSON = {
        BLOCK_SUB_RATING: {ACTION_SUB_RATING: selected_value("1-5", "Any rating")},
        BLOCK_SUB_ALERT: {ACTION_SUB_ALERT: selected_value("2", "2★ or less")},
    }
    values.update(overrides)
    return values


async def _add_locations(service: Service) -> None:
    gumado = await connection_id(service, "gumado")

    class Loc:
        def __init__(self, id: str, organization_id: str, name: str) -> None:
            self.id, self.organization_id, self.name = id, organization_id, name

    async with service.deps.sessions() as session, session.begin():
        await upsert_locations(
            session,
            connection_id=gumado,
            locations=[Loc("11", "1", "Downtown"), Loc("21", "2", "Harbor Front")],
            now=datetime.now(UTC),
        )


async def test_modal_opens_filled_and_its_submission_creates_the_subscription(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await _add_locations(service)
        # The review sites come from the platforms (Gumado GET /sources, Cloutly's businesses),
        # so a site only this account has is offered too.
        gumado_sources = service.sandboxes.gumado.sources
        gumado_sources.append(SourceRecord(99, "Kununu", "kununu", "https://kununu.com"))
        ack, posts = await run_slash(service, "subscribe")
        assert ack is None and posts == []
        [opened] = service.slack.calls_to("views.open")
        assert opened.args["view"]["callback_id"] == CALLBACK_SUBSCRIBE_NOTICE  # loading first
        view = _view(service, CALLBACK_SUBSCRIBE)
        assert_view_within_limits(view)

        org_menu = _block(view, BLOCK_SUB_ORG)["element"]
        assert org_menu["type"] == "static_select"
        groups = {g["label"]["text"]: g["options"] for g in org_menu["option_groups"]}
        assert sorted(groups) == ["cloutly", "gumado"]  # two connections: grouped
        assert "Acme Dental Clinic" in [o["text"]["text"] for o in groups["gumado"]]
        gumado = await connection_id(service, "gumado")
        acme = next(o for o in groups["gumado"] if o["text"]["text"] == "Acme Dental Clinic")
        assert acme["value"] == f"{gumado}:1"
        location_menu = _block(view, BLOCK_SUB_LOCATION)["element"]
        downtown = next(o for o in location_menu["options"] if o["text"]["text"] == "Downtown")
        sources = [o["value"] for o in _block(view, BLOCK_SUB_SOURCES)["element"]["options"]]
        assert "Google" in sources and "Yelp" in sources and "Kununu" in sources
        cloutly_sites = {
            site.casefold().replace(" ", "")
            for business in service.sandboxes.cloutly.businesses
            for site in business.get("sources") or ()
        }
        listed = {s.name.casefold().replace(" ", "") for s in gumado_sources if s.available}
        shown = {name.casefold().replace(" ", "") for name in sources}
        assert shown == listed | cloutly_sites

        values = _values(
            **{
                BLOCK_SUB_ORG: {
                    ACTION_SUB_ORG: selected_value(acme["value"], "Acme Dental Clinic")
                },
                BLOCK_SUB_LOCATION: {
                    ACTION_SUB_LOCATION: selected_value(downtown["value"], "Downtown")
                },
                BLOCK_SUB_SOURCES: {
                    ACTION_SUB_SOURCES: {
                        "type": "multi_static_select",
                        "selected_options": [
                            {"text": {"type": "plain_text", "text": "Google"}, "value": "Google"}
                        ],
                    }
                },
                BLOCK_SUB_RATING: {ACTION_SUB_RATING: selected_value("1-3", "3★ or less")},
                BLOCK_SUB_USERS: {
                    ACTION_SUB_USERS: {"type": "multi_users_select", "selected_users": ["U0FRONT"]}
                },
                BLOCK_SUB_GROUPS: {ACTION_SUB_GROUPS: text_value("@frontdesk, @oncall-manager")},
                BLOCK_SUB_ALERT: {ACTION_SUB_ALERT: selected_value("3", "3★ or less")},
            }
        )
        assert await interact(service, view_submission_payload(view, values)) is None  # closes
        await service.settle()

        [row] = await subscriptions_of(service)
        assert row.connection_id == gumado
        chosen = Filter.from_json(row.filter)
        assert (chosen.organization, chosen.location, chosen.connection) == ("1", "11", "gumado")
        assert (chosen.rating_min, chosen.rating_max) == (1, 3)
        assert chosen.sources == frozenset({"google"})
        assert row.mentions == ["U0FRONT", "S0FRONTDESK", "S0ONCALL"]
        assert row.alert_threshold == 3
        assert row.created_by == "U0ADMIN"
        # The confirmation goes through the command's response_url, visible in the channel,
        # with names rather than ids.
        [announcement] = [
            m for m in service.slack.messages("C0REVIEWS") if "subscribed" in m["text"]
        ]
        assert "Acme Dental Clinic › Downtown" in announcement["text"]
        assert "@frontdesk" in announcement["text"]

        # Listed with names too.
        _, posts = await run_slash(service, "subscriptions")
        assert "Acme Dental Clinic › Downtown" in all_text(posts)


async def test_modal_validation_errors_are_inline(database_url: str) -> None:
    async with running_service(database_url) as service:
        await _add_locations(service)
        await run_slash(service, "subscribe")
        view = _view(service, CALLBACK_SUBSCRIBE)
        gumado = await connection_id(service, "gumado")

        bad_group = _values(
            **{BLOCK_SUB_GROUPS: {ACTION_SUB_GROUPS: text_value("@frontdesk @here")}}
        )
        ack = await interact(service, view_submission_payload(view, bad_group))
        assert ack is not None and ack["response_action"] == "errors"
        assert list(ack["errors"]) == [BLOCK_SUB_GROUPS]
        assert "@here" in ack["errors"][BLOCK_SUB_GROUPS]

        unknown = _values(**{BLOCK_SUB_GROUPS: {ACTION_SUB_GROUPS: text_value("@nobody-here")}})
        ack = await interact(service, view_submission_payload(view, unknown))
        assert ack is not None and ack["response_action"] == "errors"
        assert "@nobody-here" in ack["errors"][BLOCK_SUB_GROUPS]

        mismatch = _values(
            **{
                BLOCK_SUB_ORG: {
                    ACTION_SUB_ORG: selected_value(f"{gumado}:1", "Acme Dental Clinic")
                },
                BLOCK_SUB_LOCATION: {
                    ACTION_SUB_LOCATION: selected_value(f"{gumado}:2:21", "Harbor Front")
                },
            }
        )
        ack = await interact(service, view_submission_payload(view, mismatch))
        assert ack is not None and list(ack["errors"]) == [BLOCK_SUB_LOCATION]
        assert "another organization" in ack["errors"][BLOCK_SUB_LOCATION]

        await service.settle()
        assert await subscriptions_of(service) == []


async def test_modal_refuses_non_admins_and_unusable_channels(database_url: str) -> None:
    async with running_service(database_url) as service:
        await run_slash(service, "subscribe", user_id="U0GUEST")
        notice = _view(service, CALLBACK_SUBSCRIBE_NOTICE)
        assert "Only workspace admins and owners" in all_text(notice["blocks"])
        assert all(v["callback_id"] != CALLBACK_SUBSCRIBE for v in service.slack.views.values())

        await run_slash(service, "subscribe", channel_id="C0LEADERS")
        notice = _view(service, CALLBACK_SUBSCRIBE_NOTICE)
        assert "/invite @Reviews" in all_text(notice["blocks"])

        # A trigger id that has expired: the user hears about it privately.
        expired = service.slack.issue_trigger_id(issued_at=0)
        _, posts = await run_slash(service, "subscribe", trigger_id=expired)
        assert "expired_trigger_id" in all_text(posts)
        assert "/reviews subscribe all" in all_text(posts)


async def test_submission_without_a_channel_asks_to_start_again(database_url: str) -> None:
    async with running_service(database_url) as service:
        await run_slash(service, "subscribe")
        view = {**_view(service, CALLBACK_SUBSCRIBE), "private_metadata": "{}"}
        ack = await interact(service, view_submission_payload(view, _values()))
        assert ack is not None and ack["response_action"] == "update"
        assert "Run `/reviews subscribe`" in all_text(ack["view"]["blocks"])
