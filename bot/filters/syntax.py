"""The filter text as words: Slack's escapes decoded, quotes honoured, and quoting back.

Slack sends slash-command text with ``&``, ``<`` and ``>`` escaped, and with ``should_escape``
turns ``@name`` into ``<@U…|name>`` / ``<!subteam^S…|@handle>``; the tokenizer keeps such an
entity whole, and :func:`quote` writes a value so that the tokenizer reads it back unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import UserError
from bot.text import escape_mrkdwn

__all__ = ["MAX_WORD_ECHO", "FilterSyntaxError", "Token", "clean", "quote", "tokenize"]

MAX_WORD_ECHO = 40

_DOUBLE_QUOTES = '"“”„'
_SINGLE_QUOTES = "'‘’"
_SLACK_ENTITY = re.compile(r"<(?:[@#!]|https?://)[^<>]*>")
_HTML_ENTITY = re.compile(r"&(amp|lt|gt);")
_HTML_DECODED = {"amp": "&", "lt": "<", "gt": ">"}
_NEEDS_QUOTES = re.compile(r"[\s\"“”„'‘’:,<>]")
_MISREAD_ENTITY = re.compile(r"&(?=(?:amp|lt|gt);)")


class FilterSyntaxError(UserError):
    """A filter the user typed could not be understood; ``user_message()`` says which and why."""

    def __init__(self, word: str, reason: str, example: str) -> None:
        super().__init__(f"{word!r}: {reason}" if word else reason)
        self.word = word
        self.reason = reason
        self.example = example

    def user_message(self) -> str:
        """A mrkdwn sentence naming the offending word, the reason and an example."""
        example = f"Example: `{escape_mrkdwn(clean(self.example, limit=200))}`"
        reason = escape_mrkdwn(self.reason)
        if not self.word:
            return f"{reason}. {example}"
        return f"I didn't understand `{escape_mrkdwn(clean(self.word))}`: {reason}. {example}"


def clean(text: str, *, limit: int = MAX_WORD_ECHO) -> str:
    """Shorten user input for a code span, dropping backticks that would end it early."""
    text = " ".join(text.replace("`", "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(value: str, *, allow: str = "") -> str:
    """Quote a value so that the tokenizer reads it back unchanged."""
    value = _MISREAD_ENTITY.sub("&amp;", value)
    needs = {m.group() for m in _NEEDS_QUOTES.finditer(value)} - set(allow)
    if not needs:
        return value
    if not any(q in value for q in _DOUBLE_QUOTES):
        return f'"{value}"'
    return f"'{value}'"


@dataclass(frozen=True, slots=True)
class Token:
    word: str
    """The token as the user typed it (Slack's ``&lt;`` entities decoded)."""
    text: str
    """The token with quotes removed."""
    quoted: bool


def _decode(text: str) -> str:
    return _HTML_ENTITY.sub(lambda m: _HTML_DECODED[m.group(1)], text)


def _single_quote_closes(text: str, j: int) -> bool:
    # An apostrophe inside a name (O'Brien) is not a closing quote: only one before a separator.
    return j + 1 == len(text) or text[j + 1].isspace() or text[j + 1] == ","


def tokenize(text: str, example: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        parts: list[str] = []
        run_start = i
        quoted = False
        while i < n and not text[i].isspace():
            ch = text[i]
            opens_single = ch in _SINGLE_QUOTES and (i == start or text[i - 1] in ":,")
            if ch in _DOUBLE_QUOTES or opens_single:
                parts.append(_decode(text[run_start:i]))
                end = -1
                for j in range(i + 1, n):
                    if ch in _DOUBLE_QUOTES and text[j] in _DOUBLE_QUOTES:
                        end = j
                        break
                    if opens_single and text[j] in _SINGLE_QUOTES and _single_quote_closes(text, j):
                        end = j
                        break
                if end < 0:
                    word = _decode(text[start:].split(maxsplit=1)[0])
                    raise FilterSyntaxError(
                        word,
                        f"the quote {ch} is never closed; put the name between two quotes",
                        example,
                    )
                parts.append(_decode(text[i + 1 : end]))
                quoted = True
                i = run_start = end + 1
                continue
            if ch == "<":
                match = _SLACK_ENTITY.match(text, i)
                if match:
                    parts.append(_decode(text[run_start:i]))
                    parts.append(match.group())
                    i = run_start = match.end()
                    continue
            i += 1
        parts.append(_decode(text[run_start:i]))
        tokens.append(Token(word=_decode(text[start:i]), text="".join(parts), quoted=quoted))
    return tokens
