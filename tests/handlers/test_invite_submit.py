"""Submitting the invite modal through real HTTP: checks, one send, records, confirmations."""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

from browse_invite_helpers import block, dumps, invite_rows, last_view
from surface_helpers import all_text, connection_id, interact, post_slack, run_slash

from bot.blocks.ids import (
    ACTION_INVITE_CAMPAIGN,
    ACTION_INVITE_CAMPAIGN_ID,
    ACTION_INVITE_EMAIL,
    ACTION_INVITE_FIRST_NAME,
    ACTION_INVITE_HOURS,
    ACTION_INVITE_LAST_NAME,
    ACTION_INVITE_ORG,
    ACTION_INVITE_PHONE,
    BLOCK_INVITE_CAMPAIGN,
    BLOCK_INVITE_CAMPAIGN_ID,
    BLOCK_INVITE_EMAIL,
    BLOCK_INVITE_FIRST_NAME,
    BLOCK_INVITE_HOURS,
    BLOCK_INVITE_LAST_NAME,
    BLOCK_INVITE_ORG,
    BLOCK_INVITE_PHONE,
    CALLBACK_INVITE,
    CALLBACK_INVITE_NOTICE,
)
from handlers.ids import SHORTCUT_REQUEST_REVIEW
from harness import Service, running_service
from sandbox.runner import start_sandboxes
from sandbox.signing import (
    interaction_body,
    selected_value,
    shortcut_payload,
    text_value,
    view_submission_payload,
)

JSON = dict[str, Any]
FOLLOW_UP = "Post-Visit Follow Up"


def _campaign(service: Service, name: str = FOLLOW_UP) -> str:
    return next(c.id for c in service.sandboxes.gumado.campaigns.values() if c.name == name)


async def _open(service: Service, *, user_id: str = "U0ADMIN") -> JSON:
    ack, posts = await run_slash(service, "invite", user_id=user_id)
    assert ack is None and posts == []
    return last_view(service, CALLBACK_INVITE)


async def _gumado_values(service: Service, **fields: str | None) -> JSON:
    gumado = await connection_id(service, "gumado")
    typed = {
        "email": "sarah.johnson@example.com",
        "phone": "(415) 555-0123",
        "first_name": "Sarah",
        "last_name": "Johnson",
        "hours": "2",
        **fields,
    }
    values: JSON = {
        BLOCK_INVITE_ORG: {ACTION_INVITE_ORG: selected_value(f"{gumado}:1", "Acme Dental Clinic")},
        BLOCK_INVITE_CAMPAIGN: {
            ACTION_INVITE_CAMPAIGN: selected_value(
                typed.pop("campaign", None) or _campaign(service), FOLLOW_UP, "external_select"
            )
        },
    }
    inputs = [
        ("email", BLOCK_INVITE_EMAIL, ACTION_INVITE_EMAIL, "email_text_input"),
        ("phone", BLOCK_INVITE_PHONE, ACTION_INVITE_PHONE, "plain_text_input"),
        ("first_name", BLOCK_INVITE_FIRST_NAME, ACTION_INVITE_FIRST_NAME, "plain_text_input"),
        ("last_name", BLOCK_INVITE_LAST_NAME, ACTION_INVITE_LAST_NAME, "plain_text_input"),
        ("hours", BLOCK_INVITE_HOURS, ACTION_INVITE_HOURS, "number_input"),
    ]
    for name, block_id, action_id, kind in inputs:
        values[block_id] = {action_id: text_value(typed.get(name), kind)}
    return values


async def _submit(
    service: Service, view: JSON, values: JSON, *, user_id: str = "U0ADMIN"
) -> JSON | None:
    return await interact(service, view_submission_payload(view, values, user_id=user_id))


async def _submit_slowly(service: Service, view: JSON, values: JSON) -> JSON | None:
    """Submit when the platform is slow: the ack waits for it, but never past Slack's 3 s."""
    started = time.monotonic()
    response = await service.interact(view_submission_payload(view, values))
    assert response.status == 200 and time.monotonic() - started < 2.5
    return cast(JSON, await response.json())


async def test_a_valid_submission_sends_one_invite_and_confirms_privately(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        view = await _open(service)
        ack = await _submit(service, view, await _gumado_values(service))
        assert ack is None, "an empty ack closes the modal"
        await service.settle()
        [sent] = service.sandboxes.gumado.invites[-1:]
        assert (sent.email, sent.phone, sent.first_name, sent.send_after_hours) == (
            "sarah.johnson@example.com",
            "+14155550123",
            "Sarah",
            2,
        )
        [confirmation] = service.slack.ephemeral("C0REVIEWS", "U0ADMIN")
        text = all_text(confirmation)
        assert "Review invite sent" in text and "s•••@e•••.com" in text and "+1 ••••••••23" in text
        assert FOLLOW_UP in text and sent.id in text and "in 2 hours" in text
        assert "sarah" not in text.lower().replace("sarah johnson", "")
        [row] = await invite_rows(service)
        assert (row.status, row.platform_invite_id, row.user_id) == ("sent", sent.id, "U0ADMIN")
        assert row.campaign_id == _campaign(service) and row.organization_platform_id == "1"
        stored = dumps([row]).lower()
        for secret in ("sarah", "johnson", "example.com", "4155550123", "555-0123"):
            assert secret not in stored, f"{secret} stored in clear"
        assert row.contact_hash.startswith("e:") and ";p:" in row.contact_hash


async def test_a_double_submission_sends_one_invite(database_url: str) -> None:
    async with running_service(database_url) as service:
        view = await _open(service)
        body = interaction_body(view_submission_payload(view, await _gumado_values(service)))
        before = len(service.sandboxes.gumado.invites)
        answers = await asyncio.gather(*(post_slack(service, body) for _ in range(3)))
        assert all(status == 200 for status, _ in answers)
        await service.settle()
        again = await _submit(service, view, await _gumado_values(service))  # a late retry
        assert again is None
        await service.settle()
        assert len(service.sandboxes.gumado.invites) == before + 1
        assert len(await invite_rows(service)) == 1
        assert len(service.slack.ephemeral("C0REVIEWS", "U0ADMIN")) == 1


async def test_every_check_answers_on_its_field_before_any_platform_call(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        view = await _open(service)
        cases: list[tuple[dict[str, str | None], dict[str, str]]] = [
            (
                {"email": None, "phone": None},
                {BLOCK_INVITE_EMAIL: "email address or a phone", BLOCK_INVITE_PHONE: "or a phone"},
            ),
            ({"email": "sarah@"}, {BLOCK_INVITE_EMAIL: "isn't a valid email address"}),
            ({"phone": "12345"}, {BLOCK_INVITE_PHONE: "Too short for a number in US (+1)"}),
            ({"phone": "call me"}, {BLOCK_INVITE_PHONE: "can't read that as a phone"}),
            ({"first_name": "x" * 256}, {BLOCK_INVITE_FIRST_NAME: "at most 255"}),
            ({"last_name": "y" * 300}, {BLOCK_INVITE_LAST_NAME: "at most 255"}),
            ({"hours": "721"}, {BLOCK_INVITE_HOURS: "0 to 720"}),
            ({"hours": "-1"}, {BLOCK_INVITE_HOURS: "0 to 720"}),
            ({"campaign": "none"}, {BLOCK_INVITE_CAMPAIGN: "Pick one of the organization's"}),
        ]
        for fields, expected in cases:
            ack = await _submit(service, view, await _gumado_values(service, **fields))
            assert ack is not None and ack["response_action"] == "errors", fields
            assert set(ack["errors"]) == set(expected), (fields, ack["errors"])
            for block_id, words in expected.items():
                assert words in ack["errors"][block_id], (fields, ack["errors"])
        no_org = await _gumado_values(service)
        del no_org[BLOCK_INVITE_ORG]
        ack = await _submit(service, view, no_org)
        assert ack is not None and BLOCK_INVITE_ORG in ack["errors"]
        await service.settle()
        assert not any("invite" in path for _, path, _ in service.sandboxes.gumado.requests)
        assert await invite_rows(service) == []


async def test_the_gumado_documents_phone_example_is_sent(database_url: str) -> None:
    # "Phone in E.164 format (e.g. +14275238194)": 427 is no US area code yet, so a check of
    # full validity refuses the document's own example; possibility accepts it.
    async with running_service(database_url) as service:
        view = await _open(service)
        values = await _gumado_values(service, phone="+14275238194")
        assert await _submit(service, view, values) is None
        await service.settle()
        [sent] = service.sandboxes.gumado.invites[-1:]
        assert sent.phone == "+14275238194"


async def test_a_phone_of_impossible_length_is_refused_naming_its_country(
    database_url: str,
) -> None:
    cases = {
        # Cloutly's document example: 11 digits after +44, and UK numbers have at most 10.
        "+4412321321321": "Too long for a number in GB (+44): 11 digits after +44, at most 10.",
        "+44 207": "Too short for a number in GB (+44): 3 digits after +44, at least 7.",
        "(415) 555-012": "Too short for a number in US (+1): 9 digits after +1, at least 10.",
        "555-0123": "That's only the local part of a number in US (+1): add its area code.",
    }
    async with running_service(database_url) as service:
        view = await _open(service)
        for phone, message in cases.items():
            ack = await _submit(service, view, await _gumado_values(service, phone=phone))
            assert ack is not None and ack["response_action"] == "errors", phone
            assert set(ack["errors"]) == {BLOCK_INVITE_PHONE}
            assert ack["errors"][BLOCK_INVITE_PHONE].startswith(message), ack["errors"]
            digits = "".join(c for c in phone if c.isdigit())
            assert digits[-6:] not in ack["errors"][BLOCK_INVITE_PHONE]
        await service.settle()
        assert not any("invite" in path for _, path, _ in service.sandboxes.gumado.requests)


async def test_platform_field_errors_land_on_the_fields(database_url: str) -> None:
    async with running_service(database_url) as service:
        view = await _open(service)
        # A valid address with an internationalized domain, which Gumado's validator refuses.
        ack = await _submit(service, view, await _gumado_values(service, email="anna@bücher.de"))
        assert ack is not None and ack["response_action"] == "errors"
        assert ack["errors"] == {
            BLOCK_INVITE_EMAIL: "The email field must be a valid email address."
        }
        service.sandboxes.gumado.inject_fault(
            status=422,
            path="/api/v1/request-reviews/campaigns/",
            content_type="application/json",
            body='{"message":"Invalid.","errors":{"first_name":["The first name is blocked."],'
            '"phone":["The phone field is not a mobile number."]}}',
        )
        ack = await _submit(service, view, await _gumado_values(service, first_name="Sara"))
        assert ack is not None and ack["errors"] == {
            BLOCK_INVITE_FIRST_NAME: "The first name is blocked.",
            BLOCK_INVITE_PHONE: "The phone field is not a mobile number.",
        }
        rows = await invite_rows(service)
        assert {r.status for r in rows} == {"rejected"}
        # Corrected and sent again: the same modal now goes through.
        ack = await _submit(service, view, await _gumado_values(service))
        assert ack is None
        await service.settle()
        assert [r.status for r in await invite_rows(service)].count("sent") == 1


async def test_a_token_without_request_create_says_which_scope(database_url: str) -> None:
    boxes = await start_sandboxes()
    token = boxes.gumado.add_token(
        "no_create", {"reviews:read", "organizations:read", "request:read"}
    )
    try:
        async with running_service(
            database_url, sandboxes=boxes, env={"GUMADO_API_TOKEN": token}
        ) as service:
            view = await _open(service)
            ack = await _submit(service, view, await _gumado_values(service))
            assert ack is not None and ack["response_action"] == "update"
            text = all_text(ack["view"]["blocks"])
            assert "request:create" in text and "Settings → API & Webhooks" in text
            # The form comes back with what was typed.
            email = block(ack["view"], BLOCK_INVITE_EMAIL)["element"]["initial_value"]
            assert email == "sarah.johnson@example.com"
            assert [r.status for r in await invite_rows(service)] == ["failed"]
    finally:
        await boxes.stop()


async def test_rate_limited_and_slow_sends(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        view = await _open(service)
        service.sandboxes.gumado.inject_fault(
            status=429, retry_after=30, path="/api/v1/request-reviews/campaigns/"
        )
        ack = await _submit(service, view, await _gumado_values(service))
        assert ack is not None and ack["response_action"] == "update"
        assert "Gumado is rate-limiting us; try again in 30 s" in all_text(ack["view"]["blocks"])

    async with running_service(database_url) as service:
        await service.settle()
        view = await _open(service)
        service.sandboxes.gumado.inject_fault(delay=3, path="/api/v1/request-reviews/campaigns/")
        values = await _gumado_values(service, email="late@example.com")
        ack = await _submit_slowly(service, view, values)
        assert ack is not None and ack["response_action"] == "update"
        assert "Sending the invite" in all_text(ack["view"]["blocks"])
        await service.settle(timeout=15)
        done = service.slack.views[view["id"]]
        assert done["callback_id"] == CALLBACK_INVITE_NOTICE
        assert "Review invite sent" in all_text(done["blocks"])
        assert len(service.slack.ephemeral("C0REVIEWS", "U0ADMIN")) == 1

        # Closed while sending: the modal is gone, the confirmation still arrives.
        view = await _open(service)
        service.sandboxes.gumado.inject_fault(delay=3, path="/api/v1/request-reviews/campaigns/")
        service.slack.fail_next("views.update", error="not_found")
        values = await _gumado_values(service, email="later@example.com")
        ack = await _submit_slowly(service, view, values)
        assert ack is not None and ack["response_action"] == "update"
        await service.settle(timeout=15)
        assert len(service.slack.ephemeral("C0REVIEWS", "U0ADMIN")) == 2


async def test_a_repeat_within_14_days_is_explained(database_url: str) -> None:
    async with running_service(database_url) as service:
        first = await _open(service)
        assert await _submit(service, first, await _gumado_values(service)) is None
        await service.settle()
        second = await _open(service, user_id="U0MANAGER")
        values = await _gumado_values(service, phone=None, email="SARAH.JOHNSON@example.com")
        assert await _submit(service, second, values, user_id="U0MANAGER") is None
        await service.settle()
        [note] = service.slack.ephemeral("C0REVIEWS", "U0MANAGER")
        assert "<@U0ADMIN> already invited this contact" in all_text(note)
        assert [i.status for i in service.sandboxes.gumado.invites[-2:]] == ["queued", "ignored"]


async def test_the_global_shortcut_confirms_by_direct_message(database_url: str) -> None:
    async with running_service(database_url) as service:
        await interact(service, shortcut_payload(SHORTCUT_REQUEST_REVIEW))
        await service.settle()
        view = last_view(service, CALLBACK_INVITE)
        assert await _submit(service, view, await _gumado_values(service)) is None
        await service.settle()
        [opened] = service.slack.calls_to("conversations.open")
        assert opened.args["users"] == "U0ADMIN"
        dm = service.slack.messages(_dm(service))
        assert "Review invite sent" in all_text(dm)


def _dm(service: Service) -> str:
    return next(c.id for c in service.slack.state.channels.values() if c.im_user == "U0ADMIN")


async def test_cloutly_invites_end_to_end(database_url: str) -> None:
    async with running_service(database_url) as service:
        cloutly = await connection_id(service, "cloutly")
        sandbox = service.sandboxes.cloutly
        business = sandbox.businesses[0]
        campaign_id, campaign_name = sandbox.campaigns[business["id"]][0]
        view = await _open(service)
        metadata = view["private_metadata"].replace('"pl":"gumado"', '"pl":"cloutly"')
        view = {**view, "private_metadata": metadata}

        def values(campaign: str, first_name: str | None = "Tim") -> JSON:
            return {
                BLOCK_INVITE_ORG: {
                    ACTION_INVITE_ORG: selected_value(
                        f"{cloutly}:{business['id']}", business["name"]
                    )
                },
                BLOCK_INVITE_CAMPAIGN_ID: {ACTION_INVITE_CAMPAIGN_ID: text_value(campaign)},
                BLOCK_INVITE_EMAIL: {ACTION_INVITE_EMAIL: text_value("tim@example.com")},
                BLOCK_INVITE_FIRST_NAME: {ACTION_INVITE_FIRST_NAME: text_value(first_name)},
            }

        ack = await _submit(service, view, values(campaign_id, first_name=None))
        assert ack is not None and "Cloutly needs" in ack["errors"][BLOCK_INVITE_FIRST_NAME]
        ack = await _submit(service, view, values("not-a-uuid"))  # Cloutly answers 400
        assert ack is not None and ack["errors"] == {
            BLOCK_INVITE_CAMPAIGN_ID: "campaignId must be a UUID"
        }
        unknown = "00000000-0000-4000-8000-000000000000"
        ack = await _submit(service, view, values(unknown))  # Cloutly answers 404
        assert (
            ack is not None
            and "doesn't know this business or campaign" in ack["errors"][BLOCK_INVITE_CAMPAIGN_ID]
        )
        ack = await _submit(service, view, values(campaign_id))
        assert ack is None
        await service.settle()
        [invite] = sandbox.invites
        assert invite["campaignId"] == campaign_id
        assert (
            invite["contact"]["email"] == "tim@example.com"
            and invite["contact"]["source"] == "slack"
        )
        [confirmation] = service.slack.ephemeral("C0REVIEWS", "U0ADMIN")
        text = all_text(confirmation)
        assert "Cloutly contact id" in text and "SMS invites left this period" in text
        assert campaign_id in text or campaign_name in text
        statuses = sorted(r.status for r in await invite_rows(service))
        assert statuses == ["rejected", "rejected", "sent"]
