"""The invite form's contact fields: validated before any platform call, and masked for people.

Email syntax is checked with email-validator (no DNS look-up: the modal must answer within
Slack's 3 s), phones are parsed to E.164 with phonenumbers, using the country of the user's
Slack locale (or ``DEFAULT_PHONE_REGION``) for numbers typed without a ``+`` country code, and
accepted when their length is possible in the number's country (an error names that country).
Nothing here logs a contact; errors quote no value back except its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

__all__ = [
    "MAX_HOURS",
    "MAX_NAME",
    "Contact",
    "ContactFields",
    "mask_email",
    "mask_phone",
    "region_from_locale",
    "validate_contact",
]

MAX_NAME = 255
"""Gumado: first/last name "max 255 characters"; the email column is as long."""
MAX_HOURS = 720
"""30 days: a longer delay is almost surely a typo (hours for days)."""
_WHOLE_NUMBER = re.compile(r"^\d{1,6}$")


@dataclass(frozen=True, slots=True)
class ContactFields:
    """The contact fields as typed (None or "" when left empty)."""

    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    send_after_hours: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """A valid contact: normalized email, E.164 phone, trimmed names, hours or None (default)."""

    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    send_after_hours: int | None

    def masked(self) -> str:
        """Who is invited, as people may see it: ``s•••@e•••.com · +1 •••••••23``."""
        parts = [mask_email(self.email) if self.email else None]
        parts.append(mask_phone(self.phone) if self.phone else None)
        return " · ".join(part for part in parts if part)


def _blank(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def _email(value: str) -> tuple[str | None, str | None]:
    if len(value) > MAX_NAME:
        return None, f"An email address has at most {MAX_NAME} characters."
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return None, f"That isn't a valid email address. {exc}"[:150]
    return checked.normalized, None


def _phone(value: str, region: str) -> tuple[str | None, str | None]:
    example = "+1 415 555 0123" if region == "US" else "+44 20 7946 0958"
    try:
        number = phonenumbers.parse(value, region, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        return (
            None,
            f"I can't read that as a phone number. Write it with its country code, e.g. {example}.",
        )
    problem = _phone_problem(number, region)
    if problem is None:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None
    if number.country_code_source == phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY:
        other = "+1 415 555 0123" if number.country_code != 1 else "+44 20 7946 0958"
        problem += f" Write a foreign number with its country code, e.g. {other}."
    return None, problem


def _phone_problem(number: phonenumbers.PhoneNumber, region: str) -> str | None:
    """Why ``number`` can't be one of its country's, naming the country (not the number).

    A length the country uses and the shape of its numbering plan are enough; full validity also
    wants the number's block assigned in phonenumbers' tables, which refuses Gumado's own
    example ("Phone in E.164 format (e.g. +14275238194)": 427 is no US area code yet).
    """
    code = number.country_code or 0  # parse() always sets it
    # phonenumbers checks lengths against the calling code's main region ("US" for +1, "GB"
    # for +44, "001" for +800); the message names the user's own region when it shares the code.
    main = phonenumbers.region_code_for_country_code(code)
    where = region if phonenumbers.country_code_for_region(region) == code else main
    place = f"in {where} (+{code})" if where.isalpha() else f"under +{code}"
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(
        main
    ) or phonenumbers.PhoneMetadata.metadata_for_nongeo_region(code)
    plan = metadata.general_desc if metadata is not None else None
    digits = phonenumbers.national_significant_number(number)
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE:
        # The plan's overall pattern ("[2-9]\d{9}" for +1) still refuses "0044 20 7946 0958"
        # read as a US number (+1 004 420 7946), which has a US length.
        if plan is None or re.fullmatch(plan.national_number_pattern or ".*", digits):
            return None
        return f"That isn't a phone number {place}: check the digits."
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return f"That's only the local part of a number {place}: add its area code."
    lengths = plan.possible_length if plan is not None else ()
    if not lengths:
        return f"That isn't a phone number {place}."
    count = f"{len(digits)} digits after +{code}"
    if reason == phonenumbers.ValidationResult.TOO_LONG:
        return f"Too long for a number {place}: {count}, at most {lengths[-1]}."
    if reason == phonenumbers.ValidationResult.TOO_SHORT:
        return f"Too short for a number {place}: {count}, at least {lengths[0]}."
    allowed = ", ".join(str(n) for n in lengths[:-1]) + f" or {lengths[-1]}"
    return f"Numbers {place} have {allowed} digits after +{code}, not {len(digits)}."


def _name(value: str | None, label: str) -> tuple[str | None, str | None]:
    text = _blank(value)
    if text is not None and len(text) > MAX_NAME:
        return None, f"A {label} has at most {MAX_NAME} characters (this one has {len(text)})."
    return text, None


def _hours(value: str | None) -> tuple[int | None, str | None]:
    text = _blank(value)
    if text is None:
        return None, None
    if not _WHOLE_NUMBER.match(text) or int(text) > MAX_HOURS:
        return None, (
            f"A whole number of hours from 0 to {MAX_HOURS}, or leave it empty for the "
            "campaign's own delay."
        )
    return int(text), None


def validate_contact(
    fields: ContactFields, *, default_region: str, first_name_required: bool = False
) -> tuple[Contact | None, dict[str, str]]:
    """(the contact, {}) when every field is valid, else (None, {field: message})."""
    errors: dict[str, str] = {}
    email_text, phone_text = _blank(fields.email), _blank(fields.phone)
    if email_text is None and phone_text is None:
        need = "Give an email address or a phone number (or both)."
        errors["email"] = need
        errors["phone"] = need
    email = phone = None
    if email_text is not None:
        email, problem = _email(email_text)
        if problem:
            errors["email"] = problem
    if phone_text is not None:
        phone, problem = _phone(phone_text, default_region)
        if problem:
            errors["phone"] = problem
    first_name, problem = _name(fields.first_name, "first name")
    if problem:
        errors["first_name"] = problem
    elif first_name is None and first_name_required:
        errors["first_name"] = "Cloutly needs the customer's first name."
    last_name, problem = _name(fields.last_name, "last name")
    if problem:
        errors["last_name"] = problem
    hours, problem = _hours(fields.send_after_hours)
    if problem:
        errors["send_after_hours"] = problem
    if errors:
        return None, errors
    return Contact(email, phone, first_name, last_name, hours), {}


def mask_email(email: str) -> str:
    """``sarah.j@example.com`` → ``s•••@e•••.com``: recognisable, not readable."""
    local, _, domain = email.rpartition("@")
    name, dot, tld = domain.rpartition(".")
    shown_domain = f"{name[:1]}•••{dot}{tld}" if dot else f"{domain[:1]}•••"
    return f"{local[:1]}•••@{shown_domain}"


def mask_phone(phone: str) -> str:
    """``+14155550123`` → ``+1 •••••••23``: the country code and the last two digits."""
    try:
        number = phonenumbers.parse(phone, None)
        country = f"+{number.country_code} "
        national = str(number.national_number)
    except phonenumbers.NumberParseException:
        country, national = "", re.sub(r"\D", "", phone)
    hidden = max(len(national) - 2, 3)
    return f"{country}{'•' * hidden}{national[-2:]}"


def region_from_locale(locale: str | None) -> str | None:
    """The country of a Slack locale (``en-US`` → ``US``), or None when it names none."""
    if not locale:
        return None
    _, _, country = locale.replace("_", "-").partition("-")
    region = country.strip().upper()[:2]
    return region if region in phonenumbers.SUPPORTED_REGIONS else None
