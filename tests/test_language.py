"""The review's language, told offline: common languages, short texts left unnamed."""

from __future__ import annotations

import pytest

from bot.domain import LANGUAGES, language_name
from bot.language import detect_language


@pytest.mark.parametrize(
    ("title", "text", "code"),
    [
        (None, "El aparcamiento es terrible y nadie contesta el teléfono.", "es"),
        ("Excelente atención", None, "es"),
        (None, "Très bien, merci. Le dentiste était formidable.", "fr"),
        (None, "Sehr gut, freundliches Personal und kurze Wartezeit.", "de"),
        ("Great service", "Dr. Smith was great and the parking was easy.", "en"),
        # Mixed: the language most of the text is in.
        ("Parking was hard", "El personal muy amable y atento, volveremos pronto sin duda.", "es"),
    ],
)
def test_names_the_language_of_title_and_text(
    title: str | None, text: str | None, code: str
) -> None:
    assert detect_language(title, text) == code


@pytest.mark.parametrize("text", [None, "", "ok", "👍👍👍", "5/5 !!!", "Bom"])
def test_too_little_to_tell_is_none(text: str | None) -> None:
    assert detect_language(text) is None


def test_every_language_it_names_has_a_name() -> None:
    assert language_name("es") == "Spanish" and language_name("ES") == "Spanish"
    assert language_name("xx") == "xx"
    assert detect_language("Det var en mycket bra tandläkare och trevlig personal.") in LANGUAGES
