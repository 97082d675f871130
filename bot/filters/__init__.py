"""Subscription and list filter grammar: ``parse(text) -> Filter`` and ``Filter.matches(review)``.

``org:"Acme Dental" location:3 rating:<=3 source:Google,Yelp mention:@frontdesk alert:<=2``,
and the words of C9: ``text:`` ``language:`` ``replied:`` ``respond:`` ``rollup:`` ``every:``
``style:`` ``backfill:``.
The pieces: ``syntax.py`` (words, quotes, Slack's escapes, the error a user sees),
``model.py`` (the :class:`Filter` and its matching, storage and text forms) and ``parser.py``
(the keys and their values).
"""

from bot.filters.model import (
    DEFAULT_ALERT_THRESHOLD,
    MAX_BACKFILL,
    Backfill,
    Filter,
    Mention,
    Style,
)
from bot.filters.parser import LIST_KEYS, SUBSCRIBE_KEYS, parse
from bot.filters.syntax import FilterSyntaxError

__all__ = [
    "DEFAULT_ALERT_THRESHOLD",
    "LIST_KEYS",
    "MAX_BACKFILL",
    "SUBSCRIBE_KEYS",
    "Backfill",
    "Filter",
    "FilterSyntaxError",
    "Mention",
    "Style",
    "parse",
]
