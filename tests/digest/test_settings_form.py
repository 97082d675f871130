"""``/reviews digest settings``: the schedule modal opened, searched and submitted over real HTTP.

The command route and the opener belong to ``handlers/digests.py``; these tests open the modal by calling
:func:`open_digest_settings` with the running service's deps and its fake Slack client, then
talk to the app as Slack does (signed block_suggestion and view_submission requests).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from blocks.limits import assert_message_within_limits, assert_view_within_limits
from sqlalchemy import select

from bot.blocks.ids import (
    ACTION_DIGEST_DAY,
    ACTION_DIGEST_HOUR,
    ACTION_DIGEST_TIMEZONE,
    BLOCK_DIGEST_DAY_PREFIX,
    BLOCK_DIGEST_HOUR_PREFIX,
    BLOCK_DIGEST_SUBSCRIPTION_PREFIX,
    BLOCK_DIGEST_TIMEZONE_PREFIX,
    CALLBACK_DIGEST_SETTINGS,
    CALLBACK_DIGEST_SETTINGS_NOTICE,
)
from bot.deps import Signals
from bot.digest.settings_form import NO_SUBSCRIPTIONS
from bot.errors import UserError
from bot.services.actor import Actor
from bot.services.directory import Directory
from bot.slack_reads import SlackReader
from handlers.digests import open_digest_settings
from harness import SIGNING_SECRET, Service, running_service
from sandbox.signing import (
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    block_suggestion_payload,
    interaction_body,
    selected_value,
    signed_headers,
    view_submission_payload,
)
from storage.models import Subscription
from storage.repositories.subscriptions import insert_subscription

JSON = dict[str, Any]


async def _interact(service: Service, payload: JSON) -> JSON | None:
    """Send an interactivity payload; the ack's JSON body, or None for an empty ack."""
    body = interaction_body(payload)
    async with service.http.post(
        f"{service.base_url}/slack/events",
        data=body.encode(),
        headers=signed_headers(body, SIGNING_SECRET),
    ) as response:
        raw = await response.read()
        assert response.status == 200, raw
    return json.loads(raw) if raw else None


async def _subscribe(service: Service, text: str) -> None:
    response, _ = await service.slash(f"subscribe {text}")
    assert response.status == 200
    await service.settle()


async def _rows(service: Service) -> dict[int, Subscription]:
    async with service.deps.sessions() as session:
        found = await session.scalars(select(Subscription).order_by(Subscription.id))
        return {row.id: row for row in found}


async def _add_row(service: Service, *, team_id: str, channel_id: str) -> int:
    async with service.deps.sessions() as session, session.begin():
        row = await insert_subscription(
            session,
            team_id=team_id,
            channel_id=channel_id,
            connection_id=None,
            filter_text="all",
            filter_json={},
            mentions=[],
            alert_threshold=2,
            created_by=USER_ID,
            digest_timezone="UTC",
            now=datetime.now(UTC),
        )
        return row.id


async def _open(service: Service, *, user_id: str = USER_ID, channel_id: str = CHANNEL_ID) -> JSON:
    client = service.deps.slack_client(TEAM_ID)
    actor = Actor(TEAM_ID, user_id, channel_id, SlackReader(client), Directory())
    await open_digest_settings(service.deps, actor, client, service.slack.issue_trigger_id())
    [view] = [
        v for v in service.slack.views.values() if v["callback_id"] == CALLBACK_DIGEST_SETTINGS
    ]
    return view


def _block(view: JSON, block_id: str) -> JSON:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def _schedule(sid: int, day: str, hour: str, zone: str) -> JSON:
    """The submitted state of one subscription's three inputs."""
    return {
        f"{BLOCK_DIGEST_DAY_PREFIX}{sid}": {f"{ACTION_DIGEST_DAY}:{sid}": selected_value(day, day)},
        f"{BLOCK_DIGEST_HOUR_PREFIX}{sid}": {
            f"{ACTION_DIGEST_HOUR}:{sid}": selected_value(hour, f"{hour}:00")
        },
        f"{BLOCK_DIGEST_TIMEZONE_PREFIX}{sid}": {
            f"{ACTION_DIGEST_TIMEZONE}:{sid}": selected_value(zone, zone, "external_select")
        },
    }


@pytest.fixture
def rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[Signals]:
    """Every ``schedules_changed`` signal (the real one still runs); tests clear it before the form.

    The scheduler consumes its signal at once, so the call itself is what is observed.
    """
    calls: list[Signals] = []
    real = Signals.schedules_changed

    def spy(signals: Signals) -> None:
        calls.append(signals)
        real(signals)

    monkeypatch.setattr(Signals, "schedules_changed", spy)
    return calls


async def test_the_form_lists_each_subscription_with_its_schedule(database_url: str) -> None:
    async with running_service(database_url) as service:
        await _subscribe(service, "all")
        await _subscribe(service, "rating:<=2")
        first, second = list(await _rows(service))
        async with service.deps.sessions() as session, session.begin():
            row = await session.get(Subscription, second)
            assert row is not None
            row.digest_enabled, row.digest_day, row.digest_hour = False, 4, 17
            row.digest_timezone = "Europe/Berlin"

        view = await _open(service)
        assert_view_within_limits(view)
        assert json.loads(view["private_metadata"]) == {"channel_id": CHANNEL_ID}
        for sid in (first, second):
            section = _block(view, f"{BLOCK_DIGEST_SUBSCRIPTION_PREFIX}{sid}")["text"]["text"]
            assert section.startswith(f"*#{sid}* ")
        day = _block(view, f"{BLOCK_DIGEST_DAY_PREFIX}{first}")["element"]
        assert [o["text"]["text"] for o in day["options"]] == [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
            "Off (no digests)",
        ]
        assert day["initial_option"]["value"] == "0"  # the default: Monday 09:00
        hour = _block(view, f"{BLOCK_DIGEST_HOUR_PREFIX}{first}")["element"]
        assert len(hour["options"]) == 24 and hour["options"][23]["text"]["text"] == "23:00"
        assert hour["initial_option"]["value"] == "9"
        zone = _block(view, f"{BLOCK_DIGEST_TIMEZONE_PREFIX}{first}")["element"]
        assert zone["type"] == "external_select"
        # The subscribing admin's own timezone (the stand-in's U0ADMIN lives in New York).
        assert zone["initial_option"]["value"] == "America/New_York"

        off = _block(view, f"{BLOCK_DIGEST_DAY_PREFIX}{second}")["element"]["initial_option"]
        assert off["value"] == "off"
        later = _block(view, f"{BLOCK_DIGEST_HOUR_PREFIX}{second}")["element"]["initial_option"]
        assert later["text"]["text"] == "17:00"
        berlin = _block(view, f"{BLOCK_DIGEST_TIMEZONE_PREFIX}{second}")["element"]
        assert berlin["initial_option"]["value"] == "Europe/Berlin"


async def test_descriptions_match_the_subscriptions_listing(database_url: str) -> None:
    async with running_service(database_url) as service:
        await _subscribe(service, 'org:"Acme Dental Clinic" rating:<=3')
        [sid] = list(await _rows(service))
        _, url = await service.slash("subscriptions")
        await service.settle()
        listed = json.dumps(service.slack.responses(url))
        view = await _open(service)
        section = _block(view, f"{BLOCK_DIGEST_SUBSCRIPTION_PREFIX}{sid}")["text"]["text"]
        description = section.removeprefix(f"*#{sid}* ")
        assert "Acme Dental Clinic" in description
        assert json.dumps(description)[1:-1] in listed


async def test_only_admins_may_open_it(database_url: str) -> None:
    async with running_service(database_url) as service:
        await _subscribe(service, "all")
        with pytest.raises(UserError) as refused:
            await _open(service, user_id="U0GUEST")
        assert "Only workspace admins and owners" in refused.value.user_message()
        assert "digest schedules" in refused.value.user_message()
        assert service.slack.calls_to("views.open") == []


async def test_a_channel_without_subscriptions_is_told_to_subscribe(database_url: str) -> None:
    async with running_service(database_url) as service:
        await _add_row(service, team_id=TEAM_ID, channel_id="C0OTHER")
        with pytest.raises(UserError) as refused:
            await _open(service)
        assert refused.value.user_message() == NO_SUBSCRIPTIONS
        assert "/reviews subscribe first" in NO_SUBSCRIPTIONS
        assert service.slack.calls_to("views.open") == []


async def test_an_expired_trigger_id_is_a_user_facing_error(database_url: str) -> None:
    async with running_service(database_url) as service:
        await _subscribe(service, "all")
        with pytest.raises(UserError) as failed:
            client = service.deps.slack_client(TEAM_ID)
            actor = Actor(TEAM_ID, USER_ID, CHANNEL_ID, SlackReader(client), Directory())
            trigger_id = service.slack.issue_trigger_id(issued_at=0)
            await open_digest_settings(service.deps, actor, client, trigger_id)
        assert "expired_trigger_id" in failed.value.user_message()
        assert "/reviews digest settings" in failed.value.user_message()


async def test_the_timezone_typeahead_searches_iana_zones(database_url: str) -> None:
    async with running_service(database_url) as service:
        await _subscribe(service, "all")
        [sid] = list(await _rows(service))
        view = await _open(service)

        async def search(typed: str) -> list[str]:
            payload = block_suggestion_payload(
                f"{ACTION_DIGEST_TIMEZONE}:{sid}",
                typed,
                block_id=f"{BLOCK_DIGEST_TIMEZONE_PREFIX}{sid}",
                view=view,
            )
            answer = await _interact(service, payload)
            assert answer is not None
            for option in answer["options"]:
                assert option["text"]["text"] == option["value"]
            assert len(answer["options"]) <= 100
            return [option["value"] for option in answer["options"]]

        assert (await search("berlin"))[0] == "Europe/Berlin"
        assert (await search("new york"))[0] == "America/New_York"
        assert (await search("Europe/London"))[0] == "Europe/London"
        europe = await search("europe")
        assert len(europe) > 30 and all("Europe" in name for name in europe)
        assert len(await search("a")) == 100  # capped at Slack's limit
        assert await search("Olympus Mons") == []


async def test_a_valid_submission_saves_rebuilds_and_confirms(
    database_url: str, rebuilds: list[Signals]
) -> None:
    async with running_service(database_url) as service:
        await _subscribe(service, "all")
        await _subscribe(service, "rating:<=2")
        first, second = list(await _rows(service))
        view = await _open(service)
        rebuilds.clear()  # the subscribe commands' own signals
        values = {
            **_schedule(first, "2", "7", "Asia/Tokyo"),
            **_schedule(second, "off", "9", "America/New_York"),
        }
        assert await _interact(service, view_submission_payload(view, values)) is None
        await service.settle()

        rows = await _rows(service)
        tokyo, off = rows[first], rows[second]
        assert (tokyo.digest_enabled, tokyo.digest_day, tokyo.digest_hour) == (True, 2, 7)
        assert tokyo.digest_timezone == "Asia/Tokyo"
        # "Off" turns digests off and keeps the day for when they are turned on again.
        assert (off.digest_enabled, off.digest_day, off.digest_hour) == (False, 0, 9)
        assert rebuilds == [service.deps.signals]

        [confirmation] = service.slack.ephemeral(CHANNEL_ID, USER_ID)[-1:]
        assert_message_within_limits(confirmation)
        text = confirmation["text"]
        assert f"Digests for *#{first}* All reviews: Wednesdays at 07:00 (Asia/Tokyo)" in text
        assert f"Digests for *#{second}* 1–2★ reviews: off" in text
        assert text.rstrip().endswith(": off")
        assert not [m for m in service.slack.messages(CHANNEL_ID) if "Digest" in m["text"]]


async def test_an_unknown_timezone_is_an_error_on_its_field(
    database_url: str, rebuilds: list[Signals]
) -> None:
    async with running_service(database_url) as service:
        await _subscribe(service, "all")
        [sid] = list(await _rows(service))
        view = await _open(service)
        rebuilds.clear()  # the subscribe commands' own signals
        values = _schedule(sid, "1", "8", "Mars/Olympus_Mons")
        ack = await _interact(service, view_submission_payload(view, values))
        assert ack is not None and ack["response_action"] == "errors"
        assert list(ack["errors"]) == [f"{BLOCK_DIGEST_TIMEZONE_PREFIX}{sid}"]
        assert (
            "Mars/Olympus_Mons is not a timezone"
            in ack["errors"][f"{BLOCK_DIGEST_TIMEZONE_PREFIX}{sid}"]
        )

        bad_hour = _schedule(sid, "1", "24", "UTC")
        ack = await _interact(service, view_submission_payload(view, bad_hour))
        assert ack is not None and list(ack["errors"]) == [f"{BLOCK_DIGEST_HOUR_PREFIX}{sid}"]

        await service.settle()
        row = (await _rows(service))[sid]
        assert (row.digest_day, row.digest_hour, row.digest_timezone) == (0, 9, "America/New_York")
        assert rebuilds == []


async def test_ids_of_other_channels_and_teams_are_left_alone(
    database_url: str, rebuilds: list[Signals]
) -> None:
    async with running_service(database_url) as service:
        await _subscribe(service, "all")
        [mine] = list(await _rows(service))
        elsewhere = await _add_row(service, team_id=TEAM_ID, channel_id="C0OTHER")
        other_team = await _add_row(service, team_id="T0OTHER", channel_id=CHANNEL_ID)
        view = await _open(service)
        rebuilds.clear()  # the subscribe commands' own signals
        # A forged submission: blocks for subscriptions the form never showed.
        values = {
            **_schedule(mine, "4", "18", "Europe/Paris"),
            **_schedule(elsewhere, "off", "3", "Asia/Tokyo"),
            **_schedule(other_team, "off", "3", "Asia/Tokyo"),
        }
        assert await _interact(service, view_submission_payload(view, values)) is None
        await service.settle()

        rows = await _rows(service)
        assert (rows[mine].digest_day, rows[mine].digest_timezone) == (4, "Europe/Paris")
        for sid in (elsewhere, other_team):
            untouched = rows[sid]
            assert untouched.digest_enabled is True
            assert (untouched.digest_hour, untouched.digest_timezone) == (9, "UTC")
        [confirmation] = service.slack.ephemeral(CHANNEL_ID, USER_ID)[-1:]
        assert "Fridays at 18:00 (Europe/Paris)" in confirmation["text"]
        assert f"#{elsewhere}, #{other_team}" in json.dumps(confirmation["blocks"])
        assert f"Digests for *#{elsewhere}*" not in confirmation["text"]
        assert len(rebuilds) == 1


async def test_a_non_admin_submission_changes_nothing(
    database_url: str, rebuilds: list[Signals]
) -> None:
    async with running_service(database_url) as service:
        await _subscribe(service, "all")
        [sid] = list(await _rows(service))
        view = await _open(service)
        rebuilds.clear()  # the subscribe commands' own signals
        values = _schedule(sid, "off", "9", "UTC")
        # A member of the channel hears it there; a guest outside it, in a DM.
        for user_id in ("U0FRONT", "U0GUEST"):
            payload = view_submission_payload(view, values, user_id=user_id)
            assert await _interact(service, payload) is None
            await service.settle()
        assert (await _rows(service))[sid].digest_enabled is True
        [refusal] = service.slack.ephemeral(CHANNEL_ID, "U0FRONT")
        assert "Only workspace admins and owners" in refusal["text"]
        posts = [call.args for call in service.slack.calls_to("chat.postMessage")]
        [dm] = [args for args in posts if str(args["channel"]).startswith("D")]
        assert "Only workspace admins and owners" in dm["text"]
        assert rebuilds == []


async def test_a_form_without_its_channel_asks_to_start_again(database_url: str) -> None:
    async with running_service(database_url) as service:
        await _subscribe(service, "all")
        [sid] = list(await _rows(service))
        view = {**(await _open(service)), "private_metadata": "{}"}
        ack = await _interact(
            service, view_submission_payload(view, _schedule(sid, "1", "9", "UTC"))
        )
        assert ack is not None and ack["response_action"] == "update"
        assert ack["view"]["callback_id"] == CALLBACK_DIGEST_SETTINGS_NOTICE
        assert_view_within_limits(ack["view"])
        assert (await _rows(service))[sid].digest_day == 0


async def test_the_slash_command_opens_the_form_or_says_why_not(database_url: str) -> None:
    async with running_service(database_url) as service:
        response, url = await service.slash("digest settings")
        assert response.status == 200
        await service.settle()
        assert NO_SUBSCRIPTIONS in json.dumps(service.slack.responses(url), ensure_ascii=False)

        await _subscribe(service, "all")
        response, _ = await service.slash("digest settings")
        assert response.status == 200
        await service.settle()
        [view] = [
            v for v in service.slack.views.values() if v["callback_id"] == CALLBACK_DIGEST_SETTINGS
        ]
        assert_view_within_limits(view)
