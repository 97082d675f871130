"""Logs never carry tokens, secrets, emails or phone numbers — ours or a library's."""

from __future__ import annotations

import logging

import pytest

from bot.log import REDACTED, Redactor, configure_logging


def test_redactor_patterns_and_known_secrets() -> None:
    r = Redactor(["my-signing-secret"])
    text = r(
        "token xoxb-123-456-abc app xapp-1-A-2 Authorization: Bearer gum-tok.123 "
        "x-api-key: cl0utly sarah.j@example.com +14155550123 my-signing-secret id 12345"
    )
    for leaked in ["xoxb-123", "xapp-1", "gum-tok", "cl0utly", "sarah.j@", "+1415", "my-signing"]:
        assert leaked not in text
    assert "id 12345" in text
    assert text.count(REDACTED) == 7


def test_configured_logging_scrubs_library_records_and_tracebacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", secrets=["very-secret-value"])
    logging.getLogger("some.library").warning("calling with %s", "very-secret-value")
    try:
        raise RuntimeError("failed for bob@example.com with xoxb-9-9-9")
    except RuntimeError:
        logging.getLogger("other").exception("boom")
    err = capsys.readouterr().err
    assert "very-secret-value" not in err
    assert "bob@example.com" not in err
    assert "xoxb-9-9-9" not in err
    assert "RuntimeError" in err
    assert err.count(REDACTED) >= 3
