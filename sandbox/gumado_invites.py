"""The Gumado sandbox's ``POST /request-reviews/campaigns/{campaign}/invite`` rules.

Validation follows the document's request-body table and its 422 example; acceptance follows
"Important Behavior Notes": duplicates within the campaign's window (default 14 days) are
accepted and marked ignored, unsubscribed contacts are accepted and not sent, returning
customers outside the window are invited again, and sends respect the campaign's UTC window.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from sandbox.gumado_data import make_uuid
from sandbox.gumado_models import CampaignRecord, InviteRecord, SandboxInvalid, parse_int

# The document's "Validation Error Response" example, word for word.
EMAIL_OR_PHONE_REQUIRED: Final = "The email field is required when phone is not present."
_EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
# "Phone in E.164 format (e.g. +14275238194)": a plus, a non-zero digit, at most 15 digits.
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_NAME_MAX = 255
_FIELDS: Final = ("email", "phone", "first_name", "last_name", "send_after_hours")


def _blank_to_none(value: object) -> object:
    # Laravel's ConvertEmptyStringsToNull: "" counts as not present.
    return None if isinstance(value, str) and not value.strip() else value


def validate_invite(body: Mapping[str, Any]) -> dict[str, Any]:
    """Check an invite body; return the clean fields or raise :class:`SandboxInvalid`."""
    email = _blank_to_none(body.get("email"))
    phone = _blank_to_none(body.get("phone"))
    errors: dict[str, list[str]] = {}
    if email is None and phone is None:
        raise SandboxInvalid({"email": [EMAIL_OR_PHONE_REQUIRED]}, EMAIL_OR_PHONE_REQUIRED)
    if email is not None:
        if not isinstance(email, str):
            errors["email"] = ["The email field must be a string."]
        elif len(email) > _NAME_MAX:
            errors["email"] = ["The email field must not be greater than 255 characters."]
        elif not _EMAIL.match(email.strip()) or ".." in email:
            errors["email"] = ["The email field must be a valid email address."]
    if phone is not None:
        if not isinstance(phone, str):
            errors["phone"] = ["The phone field must be a string."]
        elif not _E164.match(phone.strip()):
            errors["phone"] = [
                "The phone field must be a valid phone number in E.164 format (e.g. +14275238194)."
            ]
    for key, label in (("first_name", "first name"), ("last_name", "last name")):
        value = _blank_to_none(body.get(key))
        if value is None:
            continue
        if not isinstance(value, str):
            errors[key] = [f"The {label} field must be a string."]
        elif len(value) > _NAME_MAX:
            errors[key] = [f"The {label} field must not be greater than 255 characters."]
    hours = _hours(body.get("send_after_hours"), errors)
    if errors:
        raise SandboxInvalid(errors)
    return {
        "email": email.strip() if isinstance(email, str) else None,
        "phone": phone.strip() if isinstance(phone, str) else None,
        "first_name": _blank_to_none(body.get("first_name")),
        "last_name": _blank_to_none(body.get("last_name")),
        "send_after_hours": hours,
    }


def _hours(value: object, errors: dict[str, list[str]]) -> int | None:
    """``send_after_hours``: null (campaign default) or an integer ≥ 0."""
    if value is None:
        return None
    if isinstance(value, str) and parse_int(value) is not None:
        value = parse_int(value)  # Laravel's integer rule accepts "2"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        errors["send_after_hours"] = ["The send after hours field must be an integer."]
        return None
    if value < 0:
        errors["send_after_hours"] = ["The send after hours field must be at least 0."]
        return None
    return value


def scheduled_time(campaign: CampaignRecord, now: datetime, hours: int | None) -> datetime:
    """When the invite goes out: after the delay, moved into the campaign's UTC send window."""
    delay = campaign.default_delay_hours if hours is None else hours
    moment = now + timedelta(hours=delay)
    if campaign.send_window is None:
        return moment
    start, end = campaign.send_window
    if moment.hour < start:
        return moment.replace(hour=start, minute=0, second=0, microsecond=0)
    if moment.hour >= end:
        next_day = moment + timedelta(days=1)
        return next_day.replace(hour=start, minute=0, second=0, microsecond=0)
    return moment


def accept_invite(
    campaign: CampaignRecord,
    body: Mapping[str, Any],
    earlier: list[InviteRecord],
    unsubscribed: set[str],
    now: datetime,
    rng: random.Random,
) -> InviteRecord:
    """Validate ``body`` and decide the invite's fate (queued, ignored, unsubscribed)."""
    fields = validate_invite(body)
    email = fields["email"].casefold() if fields["email"] else None
    phone = fields["phone"]
    contacts = {c for c in (email, phone) if c}
    window_start = now - timedelta(days=campaign.dedup_days)

    def same_contact(invite: InviteRecord) -> bool:
        known = {c for c in ((invite.email or "").casefold(), invite.phone or "") if c}
        return bool(known & contacts)

    if contacts & {c.casefold() for c in unsubscribed}:
        status = "unsubscribed"
    elif any(
        invite.campaign_id == campaign.id
        and invite.status == "queued"
        and invite.received_at > window_start
        and same_contact(invite)
        for invite in earlier
    ):
        status = "ignored"
    else:
        status = "queued"
    return InviteRecord(
        id=make_uuid(rng),
        campaign_id=campaign.id,
        status=status,
        received_at=now,
        email=fields["email"],
        phone=phone,
        first_name=fields["first_name"],
        last_name=fields["last_name"],
        send_after_hours=fields["send_after_hours"],
        scheduled_for=scheduled_time(campaign, now, fields["send_after_hours"])
        if status == "queued"
        else None,
        fields_sent=tuple(key for key in _FIELDS if key in body),
    )
