"""The invite modal: organization, campaign, the customer's contact, and when to send.

Gumado's campaign is an ``external_select`` answered from its campaign list as the person
types; Cloutly has no campaign list, so its campaign id is typed. Changing the organization
(``dispatch_action``) redraws the campaign field for that organization's platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    BLOCK_INVITE_INTRO,
    BLOCK_INVITE_LAST_NAME,
    BLOCK_INVITE_NOTE,
    BLOCK_INVITE_ORG,
    BLOCK_INVITE_PHONE,
    CALLBACK_INVITE,
    CALLBACK_INVITE_NOTICE,
)
from bot.blocks.limits import (
    INPUT_VALUE,
    OPTION_TEXT,
    OPTION_VALUE,
    OPTIONS,
    SECTION_TEXT_BUDGET,
    VIEW_TITLE,
)
from bot.blocks.text import mrkdwn, plain_text
from bot.domain import InviteFormInfo
from bot.results import InviteFormView, InviteValues
from bot.text import plain, truncate

__all__ = [
    "FIELD_BLOCKS",
    "TITLE",
    "build_invite_modal",
    "build_invite_notice",
    "campaign_option",
    "invite_block_errors",
    "read_invite_values",
]

TITLE = "Request a review"
FIELD_BLOCKS: dict[str, str] = {
    "organization": BLOCK_INVITE_ORG,
    "campaign": BLOCK_INVITE_CAMPAIGN,
    "campaign_id": BLOCK_INVITE_CAMPAIGN_ID,
    "email": BLOCK_INVITE_EMAIL,
    "phone": BLOCK_INVITE_PHONE,
    "first_name": BLOCK_INVITE_FIRST_NAME,
    "last_name": BLOCK_INVITE_LAST_NAME,
    "send_after_hours": BLOCK_INVITE_HOURS,
}
"""The form's fields (the keys of the services' inline errors) → the modal's input block ids."""


def invite_block_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Inline errors by form field (``bot.services.invites``) → by input block (``response_action``)."""
    return {FIELD_BLOCKS[name]: text for name, text in errors.items()}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain_text(plain(text, OPTION_TEXT) or value[:OPTION_TEXT]), "value": value}


def campaign_option(campaign_id: str, name: str) -> dict[str, Any]:
    """The option of one campaign (its id is the value)."""
    return _option(name, campaign_id[:OPTION_VALUE])


def _org_element(view: InviteFormView) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": ACTION_INVITE_ORG,
        "placeholder": plain_text("Choose the organization"),
    }
    labels = list(dict.fromkeys(org.connection_label for org in view.organizations))
    if len(labels) > 1:
        element["option_groups"] = [
            {
                "label": plain_text(plain(label, OPTION_TEXT) or "Connection"),
                "options": [
                    _option(org.name, org.value)
                    for org in view.organizations
                    if org.connection_label == label
                ][:OPTIONS],
            }
            for label in labels[:OPTIONS]
        ]
    else:
        element["options"] = [_option(org.name, org.value) for org in view.organizations][:OPTIONS]
    if view.selected is not None:
        element["initial_option"] = _option(view.selected.name, view.selected.value)
    return element


def _text_input(
    block_id: str,
    action_id: str,
    label: str,
    value: str | None,
    *,
    optional: bool = True,
    hint: str | None = None,
    kind: str = "plain_text_input",
    placeholder: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": kind, "action_id": action_id}
    if kind == "plain_text_input":
        element["max_length"] = 255
    if value:
        element["initial_value"] = value[:INPUT_VALUE]
    if placeholder:
        element["placeholder"] = plain_text(placeholder)
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": plain_text(label),
        "element": element,
    }
    if hint:
        block["hint"] = plain_text(hint)
    return block


def _campaign_block(view: InviteFormView, form: InviteFormInfo) -> dict[str, Any]:
    values = view.values
    if not form.campaign_search:
        return _text_input(
            BLOCK_INVITE_CAMPAIGN_ID,
            ACTION_INVITE_CAMPAIGN_ID,
            form.campaign_label,
            values.campaign_id,
            optional=False,
            hint=form.campaign_hint,
            placeholder=form.campaign_placeholder,
        )
    element: dict[str, Any] = {
        "type": "external_select",
        "action_id": ACTION_INVITE_CAMPAIGN,
        "placeholder": plain_text("Type to search campaigns"),
        "min_query_length": 0,
    }
    if values.campaign_id:
        element["initial_option"] = campaign_option(
            values.campaign_id, values.campaign_label or values.campaign_id
        )
    return {
        "type": "input",
        "block_id": BLOCK_INVITE_CAMPAIGN,
        "label": plain_text(form.campaign_label),
        "hint": plain_text(form.campaign_hint),
        "element": element,
    }


def _head_blocks(view: InviteFormView, form: InviteFormInfo) -> list[dict[str, Any]]:
    """How the invite is sent, and why the last try failed or what is still loading."""
    how = form.how_it_is_sent
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": BLOCK_INVITE_INTRO, "text": mrkdwn(how, verbatim=True)}
    ]
    if view.problem:
        text = truncate(f"⚠️ {view.problem}", SECTION_TEXT_BUDGET)
        blocks.append({"type": "section", "text": mrkdwn(text, verbatim=True)})
    if view.note:
        note = truncate(view.note, SECTION_TEXT_BUDGET)
        blocks.append(
            {
                "type": "context",
                "block_id": BLOCK_INVITE_NOTE,
                "elements": [mrkdwn(note, verbatim=True)],
            }
        )
    return blocks


def _contact_blocks(view: InviteFormView, form: InviteFormInfo) -> list[dict[str, Any]]:
    """The customer: email, phone, first and last name."""
    values = view.values
    return [
        _text_input(
            BLOCK_INVITE_EMAIL,
            ACTION_INVITE_EMAIL,
            "Customer's email",
            values.email,
            kind="email_text_input",
            hint="An email address, a phone number, or both.",
        ),
        _text_input(
            BLOCK_INVITE_PHONE,
            ACTION_INVITE_PHONE,
            "Customer's mobile phone",
            values.phone,
            hint=f"For SMS or WhatsApp. Without a country code (+44 …) it is read as a "
            f"{view.region} number.",
        ),
        _text_input(
            BLOCK_INVITE_FIRST_NAME,
            ACTION_INVITE_FIRST_NAME,
            "Customer's first name",
            values.first_name,
            optional=not form.first_name_required,
        ),
        _text_input(
            BLOCK_INVITE_LAST_NAME,
            ACTION_INVITE_LAST_NAME,
            "Customer's last name",
            values.last_name,
        ),
    ]


def _hours_block(send_after_hours: str | None) -> dict[str, Any]:
    """The per-invite delay, for platforms that take one."""
    hours: dict[str, Any] = {
        "type": "number_input",
        "action_id": ACTION_INVITE_HOURS,
        "is_decimal_allowed": False,
        "min_value": "0",
        "max_value": "720",
    }
    if send_after_hours:
        hours["initial_value"] = send_after_hours[:10]
    return {
        "type": "input",
        "block_id": BLOCK_INVITE_HOURS,
        "optional": True,
        "label": plain_text("Send after (hours)"),
        "hint": plain_text(
            "Empty: the campaign's own delay. 0: as soon as the campaign's sending hours allow."
        ),
        "element": hours,
    }


def build_invite_modal(view: InviteFormView) -> dict[str, Any]:
    """The invite form (views.open / views.update / response_action update)."""
    shown = view.selected or (view.organizations[0] if view.organizations else None)
    if shown is None:
        raise ValueError("the invite form needs an organization to invite to")
    form = shown.form
    blocks = _head_blocks(view, form)
    blocks.append(
        {
            "type": "input",
            "block_id": BLOCK_INVITE_ORG,
            "dispatch_action": True,
            "label": plain_text(form.organization_label),
            "element": _org_element(view),
        }
    )
    blocks.append(_campaign_block(view, form))
    blocks += _contact_blocks(view, form)
    if form.send_after_hours:
        blocks.append(_hours_block(view.values.send_after_hours))
    return {
        "type": "modal",
        "callback_id": CALLBACK_INVITE,
        "title": plain_text(TITLE),
        "submit": plain_text("Send invite"),
        "close": plain_text("Cancel"),
        "private_metadata": view.private_metadata,
        "blocks": blocks,
    }


def build_invite_notice(
    text: str, *, private_metadata: str = "", title: str = TITLE, done: bool = False
) -> dict[str, Any]:
    """The modal showing only a message (loading, refusal, sending, sent); no inputs."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_INVITE_NOTICE,
        "title": plain_text(truncate(title, VIEW_TITLE)),
        "close": plain_text("Done" if done else "Close"),
        "private_metadata": private_metadata,
        "blocks": [
            {"type": "section", "text": mrkdwn(truncate(text, SECTION_TEXT_BUDGET), verbatim=True)}
        ],
    }


def _state(values: Mapping[str, Any], block_id: str, action_id: str) -> Mapping[str, Any]:
    block = values.get(block_id)
    item = block.get(action_id) if isinstance(block, Mapping) else None
    return item if isinstance(item, Mapping) else {}


def _text(values: Mapping[str, Any], block_id: str, action_id: str) -> str | None:
    value = _state(values, block_id, action_id).get("value")
    return value if isinstance(value, str) and value.strip() else None


def _selected(values: Mapping[str, Any], block_id: str, action_id: str) -> tuple[str, str] | None:
    option = _state(values, block_id, action_id).get("selected_option")
    if not isinstance(option, Mapping) or not isinstance(option.get("value"), str):
        return None
    text = option.get("text")
    label = text.get("text") if isinstance(text, Mapping) else None
    return str(option["value"]), str(label) if isinstance(label, str) else str(option["value"])


def read_invite_values(values: Mapping[str, Any]) -> InviteValues:
    """The form's ``view.state.values`` as InviteValues (missing or empty fields are None)."""
    org = _selected(values, BLOCK_INVITE_ORG, ACTION_INVITE_ORG)
    campaign = _selected(values, BLOCK_INVITE_CAMPAIGN, ACTION_INVITE_CAMPAIGN)
    typed = _text(values, BLOCK_INVITE_CAMPAIGN_ID, ACTION_INVITE_CAMPAIGN_ID)
    return InviteValues(
        organization=org[0] if org else None,
        campaign_id=campaign[0] if campaign else (typed.strip() if typed else None),
        campaign_label=campaign[1] if campaign else None,
        email=_text(values, BLOCK_INVITE_EMAIL, ACTION_INVITE_EMAIL),
        phone=_text(values, BLOCK_INVITE_PHONE, ACTION_INVITE_PHONE),
        first_name=_text(values, BLOCK_INVITE_FIRST_NAME, ACTION_INVITE_FIRST_NAME),
        last_name=_text(values, BLOCK_INVITE_LAST_NAME, ACTION_INVITE_LAST_NAME),
        send_after_hours=_text(values, BLOCK_INVITE_HOURS, ACTION_INVITE_HOURS),
    )
