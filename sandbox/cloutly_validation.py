"""Request validation of the Cloutly sandbox, worded like Cloutly's NestJS class-validator."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["invite_errors", "opt_float", "opt_int"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def opt_int(value: Any) -> int | None:
    """An optional integer of a control-route body; TypeError for anything else."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("status and count must be integers")
    return value


def opt_float(value: Any) -> float | None:
    """An optional number of a control-route body; TypeError for anything else."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("delay must be a number")
    return float(value)


def invite_errors(body: dict[str, Any]) -> list[str]:
    """class-validator style messages for a ``POST /send-review-invite`` body."""
    errors: list[str] = []

    def text(name: str, value: Any, *, required: bool) -> None:
        if value is None or value == "":
            if required:
                errors.append(f"{name} should not be empty")
        elif not isinstance(value, str):
            errors.append(f"{name} must be a string")
        elif required and not value.strip():
            errors.append(f"{name} should not be empty")

    text("firstName", body.get("firstName"), required=True)
    text("lastName", body.get("lastName"), required=False)
    text("source", body.get("source"), required=False)
    text("sourceContactId", body.get("sourceContactId"), required=False)
    for name in ("businessId", "campaignId"):
        value = body.get(name)
        text(name, value, required=True)
        if isinstance(value, str) and value.strip() and not _UUID.match(value):
            errors.append(f"{name} must be a UUID")
    channel = body.get("channel")
    if channel is None:
        errors.append("channel should not be empty")
    elif not isinstance(channel, dict):
        errors.append("channel must be an object")
    else:
        email, phone = channel.get("email"), channel.get("phoneNumber")
        # The document: "You can provide email and/or phoneNumber … you need to provide at least one."
        if not email and not phone:
            errors.append("channel must contain email or phoneNumber")
        if email and (not isinstance(email, str) or not _EMAIL.match(email)):
            errors.append("channel.email must be an email")
        if phone and (not isinstance(phone, str) or not _E164.match(phone)):
            errors.append("channel.phoneNumber must be a valid phone number in E.164 format")
    return errors
