"""The invite modal and confirmation: within Slack's limits, per platform, read back exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.blocks.ids import (
    ACTION_INVITE_CAMPAIGN,
    ACTION_INVITE_CAMPAIGN_ID,
    ACTION_INVITE_EMAIL,
    ACTION_INVITE_HOURS,
    ACTION_INVITE_ORG,
    ACTION_INVITE_PHONE,
    BLOCK_INVITE_CAMPAIGN,
    BLOCK_INVITE_CAMPAIGN_ID,
    BLOCK_INVITE_EMAIL,
    BLOCK_INVITE_FIRST_NAME,
    BLOCK_INVITE_HOURS,
    BLOCK_INVITE_ORG,
    BLOCK_INVITE_PHONE,
    CALLBACK_INVITE,
    CALLBACK_INVITE_NOTICE,
)
from bot.blocks.invite_messages import build_invite_confirmation
from bot.blocks.invite_modal import (
    FIELD_BLOCKS,
    build_invite_modal,
    build_invite_notice,
    invite_block_errors,
    read_invite_values,
)
from bot.blocks.preview import render_message, render_view
from bot.providers.cloutly.adapter import INFO as CLOUTLY_INFO
from bot.providers.gumado.adapter import INFO as GUMADO_INFO
from bot.results import InviteFormView, InviteReceipt, InviteValues, OrgChoice
from bot.services.invites import FORM_FIELDS

from .limits import assert_message_within_limits, assert_view_within_limits

JSON = dict[str, Any]
GUMADO_FORM, CLOUTLY_FORM = GUMADO_INFO.invite, CLOUTLY_INFO.invite
GUMADO = [
    OrgChoice(1, "Gumado (gumado)", "gumado", str(i), f"Org {i} " + "x" * 80, GUMADO_FORM)
    for i in range(150)
]
CLOUTLY = [OrgChoice(2, "Cloutly (cloutly)", "cloutly", "b-1", "Main Street Bakery", CLOUTLY_FORM)]


def _block(view: JSON, block_id: str) -> JSON:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_gumado_form_has_a_campaign_typeahead_and_hours() -> None:
    view = build_invite_modal(
        InviteFormView(GUMADO[:3], GUMADO[1], "{}", note="3 campaigns", region="GB")
    )
    assert_view_within_limits(view)
    assert view["callback_id"] == CALLBACK_INVITE
    campaign = _block(view, BLOCK_INVITE_CAMPAIGN)["element"]
    assert campaign["type"] == "external_select" and campaign["min_query_length"] == 0
    assert campaign["action_id"] == ACTION_INVITE_CAMPAIGN
    org = _block(view, BLOCK_INVITE_ORG)
    assert org["dispatch_action"] is True
    assert org["element"]["initial_option"]["value"] == "1:1"
    assert _block(view, BLOCK_INVITE_HOURS)["element"]["type"] == "number_input"
    assert "GB number" in _block(view, BLOCK_INVITE_PHONE)["hint"]["text"]
    shown = render_view(view)
    assert "Request a review" in shown and "[ Send invite ]" in shown and "3 campaigns" in shown


def test_cloutly_form_types_the_campaign_id_and_needs_a_first_name() -> None:
    view = build_invite_modal(InviteFormView(CLOUTLY, CLOUTLY[0], "{}"))
    assert_view_within_limits(view)
    campaign = _block(view, BLOCK_INVITE_CAMPAIGN_ID)
    assert campaign["element"]["action_id"] == ACTION_INVITE_CAMPAIGN_ID
    assert campaign["optional"] is False and "address" in campaign["hint"]["text"]
    assert _block(view, BLOCK_INVITE_FIRST_NAME)["optional"] is False
    assert all(b.get("block_id") != BLOCK_INVITE_HOURS for b in view["blocks"])


def test_many_organizations_of_two_connections_are_grouped_within_limits() -> None:
    view = build_invite_modal(InviteFormView(GUMADO + CLOUTLY, None, "{}"))
    assert_view_within_limits(view)
    element = _block(view, BLOCK_INVITE_ORG)["element"]
    assert [g["label"]["text"] for g in element["option_groups"]] == [
        "Gumado (gumado)",
        "Cloutly (cloutly)",
    ]
    assert len(element["option_groups"][0]["options"]) == 100


def test_kept_values_and_a_problem_are_shown_again() -> None:
    values = InviteValues(
        organization="1:2",
        campaign_id="a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        campaign_label="Post-Visit Follow Up",
        email="sarah@example.com",
        send_after_hours="2",
    )
    view = build_invite_modal(
        InviteFormView(GUMADO[:3], GUMADO[2], "{}", values=values, problem="Gumado is slow.")
    )
    assert_view_within_limits(view)
    campaign = _block(view, BLOCK_INVITE_CAMPAIGN)["element"]["initial_option"]
    assert campaign["text"]["text"] == "Post-Visit Follow Up"
    assert _block(view, BLOCK_INVITE_EMAIL)["element"]["initial_value"] == "sarah@example.com"
    assert "⚠️ Gumado is slow." in render_view(view)


def test_state_values_are_read_back() -> None:
    state = {
        BLOCK_INVITE_ORG: {
            ACTION_INVITE_ORG: {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "Acme"}, "value": "1:2"},
            }
        },
        BLOCK_INVITE_CAMPAIGN: {
            ACTION_INVITE_CAMPAIGN: {
                "type": "external_select",
                "selected_option": {"text": {"type": "plain_text", "text": "Follow"}, "value": "u"},
            }
        },
        BLOCK_INVITE_EMAIL: {ACTION_INVITE_EMAIL: {"type": "email_text_input", "value": "a@b.co"}},
        BLOCK_INVITE_PHONE: {ACTION_INVITE_PHONE: {"type": "plain_text_input", "value": "  "}},
        BLOCK_INVITE_HOURS: {ACTION_INVITE_HOURS: {"type": "number_input", "value": "3"}},
    }
    values = read_invite_values(state)
    assert values == InviteValues(
        organization="1:2",
        campaign_id="u",
        campaign_label="Follow",
        email="a@b.co",
        send_after_hours="3",
    )
    assert read_invite_values({}) == InviteValues()


def test_every_field_maps_to_an_input_block() -> None:
    ids = {
        b.get("block_id")
        for b in build_invite_modal(InviteFormView(GUMADO[:1], GUMADO[0], "{}"))["blocks"]
    }
    ids |= {
        b.get("block_id")
        for b in build_invite_modal(InviteFormView(CLOUTLY, CLOUTLY[0], "{}"))["blocks"]
    }
    assert set(FIELD_BLOCKS.values()) <= ids


def test_every_field_a_service_reports_has_an_input_block() -> None:
    # The services key inline errors by form field; the handler maps them with FIELD_BLOCKS.
    assert set(FORM_FIELDS.values()) == set(FIELD_BLOCKS)
    errors = invite_block_errors({"campaign_id": "Paste it.", "organization": "Choose one."})
    assert errors == {BLOCK_INVITE_CAMPAIGN_ID: "Paste it.", BLOCK_INVITE_ORG: "Choose one."}


def test_a_notice_has_no_inputs() -> None:
    view = build_invite_notice("Loading…", title="A title much longer than twenty-four")
    assert_view_within_limits(view)
    assert view["callback_id"] == CALLBACK_INVITE_NOTICE and "submit" not in view


def _receipt(**extra: Any) -> InviteReceipt:
    values: dict[str, Any] = {
        "form": GUMADO_FORM,
        "platform_label": "Gumado",
        "organization_name": "Acme <!here> Dental",
        "campaign_label": "Post-Visit *Follow* Up",
        "contact": "s•••@e•••.com · +1 ••••••••23",
        "customer_name": "Sarah <@U1>",
        "invite_id": "c7d8e9f0-1234-5678-abcd-ef9876543210",
        "send_after_hours": 2,
        "accepted_at": datetime(2026, 11, 2, 10, tzinfo=UTC),
    }
    values.update(extra)
    return InviteReceipt(**values)


def test_confirmation_names_campaign_time_and_invite_id_without_contacts() -> None:
    message = build_invite_confirmation(_receipt())
    assert_message_within_limits(message)
    shown = render_message(message).replace("*", "")
    assert "Review invite sent to s•••@e•••.com" in shown
    assert "Post-Visit" in shown and "in 2 hours" in shown
    assert "c7d8e9f0-1234-5678-abcd-ef9876543210" in shown
    assert "unsubscribed" in shown
    assert "<!here>" not in str(message) and "<@U1>" not in str(message)


def test_confirmation_explains_a_repeat_within_the_campaigns_window() -> None:
    earlier = datetime(2026, 10, 30, tzinfo=UTC)
    message = build_invite_confirmation(_receipt(earlier_by="U0FRONT", earlier_at=earlier))
    assert_message_within_limits(message)
    shown = render_message(message, users={"U0FRONT": "fatima"})
    assert "@fatima already invited this contact" in shown
    # The window is the campaign's; 14 days is only Gumado's default.
    assert "the campaign's duplicate window (by default 14 days)" in shown
    assert "within 14 days" not in shown


def test_cloutly_confirmation_shows_contact_id_and_sms_left() -> None:
    receipt = _receipt(
        form=CLOUTLY_FORM, platform_label="Cloutly", invite_id="fbd481f1", sms_left=19
    )
    shown = render_message(build_invite_confirmation(receipt)).replace("*", "")
    assert "Cloutly contact id: `fbd481f1`" in shown
    assert "SMS invites left this period: 19" in shown and "unsubscribed" not in shown
