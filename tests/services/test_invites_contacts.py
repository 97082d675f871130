"""The invite form's contact checks (before any platform call), masking and phone regions."""

from __future__ import annotations

import phonenumbers
import pytest

from bot.services.contacts import (
    ContactFields,
    mask_email,
    mask_phone,
    region_from_locale,
    validate_contact,
)


def _check(region: str = "US", *, cloutly: bool = False, **fields: str | None):  # type: ignore[no-untyped-def]
    return validate_contact(
        ContactFields(**fields), default_region=region, first_name_required=cloutly
    )


def test_a_valid_contact_is_normalized() -> None:
    contact, errors = _check(
        email=" Sarah.Johnson@Example.COM ",
        phone="(415) 555-0123",
        first_name=" Sarah ",
        last_name="Johnson",
        send_after_hours="2",
    )
    assert errors == {}
    assert contact is not None
    assert contact.email == "Sarah.Johnson@example.com"
    assert contact.phone == "+14155550123"
    assert (contact.first_name, contact.last_name, contact.send_after_hours) == (
        "Sarah",
        "Johnson",
        2,
    )


def test_email_or_phone_is_required_and_both_fields_say_so() -> None:
    contact, errors = _check(first_name="Sam")
    assert contact is None
    assert set(errors) == {"email", "phone"}
    assert "email address or a phone number" in errors["email"]


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("sarah", "@-sign"),
        ("sarah@localhost", "after the @-sign"),
        ("sarah@@example.com", "valid email"),
        ("sa rah@example.com", "invalid characters"),
        ("a" * 250 + "@example.com", "at most 255"),
    ],
)
def test_bad_emails_get_a_reason(email: str, reason: str) -> None:
    contact, errors = _check(email=email)
    assert contact is None and set(errors) == {"email"}
    assert reason in errors["email"]
    assert email not in errors["email"]  # never echo the address back


def test_phone_without_country_code_uses_the_region() -> None:
    uk, errors = _check("GB", phone="020 7946 0958")
    assert errors == {} and uk is not None and uk.phone == "+442079460958"
    ca, errors = _check("CA", phone="(604) 555-0123")
    assert errors == {} and ca is not None and ca.phone == "+16045550123"
    us, errors = _check("US", phone="020 7946 0958")
    assert us is None and errors["phone"] == (
        "Too long for a number in US (+1): 11 digits after +1, at most 10. "
        "Write a foreign number with its country code, e.g. +44 20 7946 0958."
    )


def test_phone_with_country_code_ignores_the_region() -> None:
    contact, errors = _check("US", phone="+44 20 7946 0958")
    assert errors == {} and contact is not None and contact.phone == "+442079460958"


@pytest.mark.parametrize("region", ["US", "GB"])
def test_a_possible_number_is_enough(region: str) -> None:
    # Gumado's document: "Phone in E.164 format (e.g. +14275238194)". 427 is no US area code
    # yet, so phonenumbers calls the number invalid; it has a US length, so it is possible.
    contact, errors = _check(region, phone="+14275238194")
    assert errors == {} and contact is not None and contact.phone == "+14275238194"


def test_every_countrys_example_numbers_are_accepted() -> None:
    kinds = (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE)
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in kinds:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            typed = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            contact, errors = _check("US", phone=typed)
            assert errors == {} and contact is not None and contact.phone == e164, (region, kind)


@pytest.mark.parametrize(
    ("region", "phone", "message"),
    [
        # Cloutly's document example "+4412321321321": no UK number has 11 digits after +44.
        (
            "US",
            "+4412321321321",
            "Too long for a number in GB (+44): 11 digits after +44, at most 10.",
        ),
        ("US", "+1 415 555", "Too short for a number in US (+1): 6 digits after +1, at least 10."),
        ("CA", "604 555 012", "Too short for a number in CA (+1): 9 digits after +1, at least 10."),
        ("US", "555-0123", "That's only the local part of a number in US (+1): add its area code."),
        # A US length, but no US number starts 004: an international prefix US phones don't use.
        ("US", "0044 20 7946", "That isn't a phone number in US (+1): check the digits."),
        (
            "US",
            "+800 1234 567",
            "Too short for a number under +800: 7 digits after +800, at least 8.",
        ),
        ("US", "+61 4 1234 567890", "Numbers in AU (+61) have 5, 6, 7, 8, 9, 10 or 12 digits"),
    ],
)
def test_an_impossible_length_names_the_numbers_country(
    region: str, phone: str, message: str
) -> None:
    contact, errors = _check(region, phone=phone)
    assert contact is None and errors["phone"].startswith(message)
    assert len(errors["phone"]) <= 150  # what the modal shows inline without cutting
    digits = "".join(c for c in phone if c.isdigit())
    assert digits[-7:] not in errors["phone"]  # the number is never echoed back


@pytest.mark.parametrize(
    ("phone", "example"),
    [
        ("call me", "+1 415 555 0123"),
        ("+999 1234", "+1 415 555 0123"),
        ("12", "+44 20 7946 0958"),  # typed without "+": maybe another country's number
    ],
)
def test_bad_phones_are_refused(phone: str, example: str) -> None:
    contact, errors = _check(phone=phone)
    assert contact is None and set(errors) == {"phone"}
    assert example in errors["phone"]


def test_names_are_at_most_255_characters() -> None:
    contact, errors = _check(email="a@example.com", first_name="x" * 256, last_name="y" * 300)
    assert contact is None
    assert "at most 255" in errors["first_name"] and "256" in errors["first_name"]
    assert "at most 255" in errors["last_name"]


@pytest.mark.parametrize("hours", ["-1", "721", "1.5", "two", "99999999"])
def test_hours_are_a_whole_number_from_0_to_720(hours: str) -> None:
    contact, errors = _check(email="a@example.com", send_after_hours=hours)
    assert contact is None and "0 to 720" in errors["send_after_hours"]


@pytest.mark.parametrize(("hours", "expected"), [("0", 0), ("720", 720), ("", None), (None, None)])
def test_hours_bounds_and_empty_means_the_campaign_default(
    hours: str | None, expected: int | None
) -> None:
    contact, errors = _check(email="a@example.com", send_after_hours=hours)
    assert errors == {} and contact is not None and contact.send_after_hours == expected


def test_cloutly_needs_a_first_name() -> None:
    contact, errors = _check(email="a@example.com", cloutly=True)
    assert contact is None and errors == {"first_name": "Cloutly needs the customer's first name."}
    contact, errors = _check(email="a@example.com", first_name="Al", cloutly=True)
    assert errors == {}


def test_masks_keep_contacts_recognisable_not_readable() -> None:
    assert mask_email("sarah.johnson@example.com") == "s•••@e•••.com"
    assert mask_phone("+14155550123") == "+1 ••••••••23"
    assert mask_phone("+442079460958") == "+44 ••••••••58"
    contact, _ = _check(email="sarah@example.com", phone="+14155550123")
    assert contact is not None
    shown = contact.masked()
    assert "sarah" not in shown and "555" not in shown and shown.count("•") >= 6


@pytest.mark.parametrize(
    ("locale", "region"),
    [
        ("en-US", "US"),
        ("en-GB", "GB"),
        ("pt_BR", "BR"),
        ("fr", None),
        (None, None),
        ("en-ZZ", None),
    ],
)
def test_region_from_the_slack_locale(locale: str | None, region: str | None) -> None:
    assert region_from_locale(locale) == region
