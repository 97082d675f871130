"""Which language a review is written in, told offline from its text.

py3langid (a packaged naive-Bayes model, no network) restricted to the languages reviews
commonly come in, so a two-word review is not taken for a close neighbour (Galician for
Spanish). A text too short or too mixed to tell gets None: it matches no ``language:`` filter
and the card shows no language.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from bot.domain import LANGUAGES

__all__ = ["detect_language", "warm_up"]

# Below this (normalized) probability the text is too short or too mixed to name a language.
MIN_CONFIDENCE = 0.3
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
MIN_LETTERS = 4


@cache
def _identifier() -> Any:
    # Loading the model takes about half a second: once, on first use.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([code for code in LANGUAGES if code in identifier.nb_classes])
    return identifier


def warm_up() -> None:
    """Load the model now (it takes about half a second), so no review waits for it."""
    _identifier()


def detect_language(*texts: str | None) -> str | None:
    """The ISO 639-1 code of the language ``texts`` (title, body) are written in, or None."""
    text = "\n".join(t for t in texts if t)
    if len(_LETTERS.findall(text)) < MIN_LETTERS:
        return None
    code, probability = _identifier().classify(text[:2000])
    return str(code) if probability >= MIN_CONFIDENCE else None
