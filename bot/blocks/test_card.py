"""``/reviews test``: the sample card, marked as a test, and the routing it would get.

Two messages: the card in the channel (what cards look like here, with no buttons to act on
and nobody mentioned) and, for the person who asked, which subscriptions would match and whom
they would mention, as plain names that ping no one.
"""

from __future__ import annotations

from typing import Any

from bot.blocks.card import BLOCK_ACTIONS, build_review_card
from bot.blocks.limits import SECTION_TEXT_BUDGET
from bot.blocks.text import mrkdwn
from bot.results import RoutingCheck, RoutingMatch
from bot.text import escape_mrkdwn, truncate

__all__ = ["TEST_MARK", "build_test_card", "build_test_routing"]

TEST_MARK = "🧪 Test card — nobody was notified"
BLOCK_TEST_MARK = "test_mark"
BLOCK_TEST_ROUTING = "test_routing"
SHOWN_MATCHES = 15
DESCRIPTION_LIMIT = 300
PINGS_LIMIT = 400


def build_test_card(check: RoutingCheck) -> dict[str, Any]:
    """The sample card for the channel: the real card's blocks under a test mark, no buttons.

    It looks as the first subscription that would post it as a card asks (style, language).
    """
    first = next((m for m in check.matches if not m.rolled_up), None)
    card = build_review_card(
        check.review,
        organization_name=check.organization_name,
        location_name=check.location_name,
        mentions=(),
        style="compact" if first is not None and first.compact else "full",
        home_language=first.language if first is not None else None,
    )
    where = (
        "a recent review of this channel's organizations"
        if check.real
        else "a made-up review (no review is stored yet)"
    )
    mark = {
        "type": "context",
        "block_id": BLOCK_TEST_MARK,
        "elements": [mrkdwn(f"*{TEST_MARK}.* This is how cards look here, shown with {where}.")],
    }
    blocks = [mark, *(b for b in card["blocks"] if b.get("block_id") != BLOCK_ACTIONS)]
    return {
        "text": f"{TEST_MARK}. {card['text']}",
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _pings(names: list[str]) -> str:
    return truncate(", ".join(escape_mrkdwn(n) for n in names), PINGS_LIMIT)


def _match_line(match: RoutingMatch) -> str:
    line = f"• *#{match.subscription_id}* {truncate(match.description, DESCRIPTION_LIMIT)}"
    if match.rolled_up:
        line += " — _into its roll-up, not a card of its own_"
    elif match.pings:
        line += f" — would mention {_pings(list(match.pings))}"
    return line


def _routing_text(check: RoutingCheck) -> str:
    rated = f"{check.review.rating}★" if check.review.rating is not None else "unrated"
    if not check.subscriptions:
        return (
            f"*{TEST_MARK}.* This channel has no subscriptions, so no review would be posted "
            "here. Subscribe with `/reviews subscribe` (a form) or `/reviews subscribe all`."
        )
    if not check.matches:
        count = check.subscriptions
        which = (
            "does not match the channel's subscription"
            if count == 1
            else f"matches none of the channel's {count} subscriptions"
        )
        return (
            f"*{TEST_MARK}.* This {rated} review would not be posted here: it {which}. "
            "`/reviews subscriptions` lists them; `/reviews test rating:1` tries another rating."
        )
    everyone = list(dict.fromkeys(p for m in check.matches if not m.rolled_up for p in m.pings))
    if everyone:
        last = f"The card would mention {_pings(everyone)} (not pinged now)."
    else:
        last = "The card would mention nobody."
    lines = [f"*{TEST_MARK}.* This {rated} review would be posted here, matching:"]
    room = SECTION_TEXT_BUDGET - len(lines[0]) - len(last) - 40  # 40: the "…and N more" line
    for shown, match in enumerate(check.matches):
        line = _match_line(match)
        if shown == SHOWN_MATCHES or len(line) + 1 > room:
            lines.append(f"…and {len(check.matches) - shown} more.")
            break
        lines.append(line)
        room -= len(line) + 1
    lines.append(last)
    return "\n".join(lines)


def build_test_routing(check: RoutingCheck) -> dict[str, Any]:
    """What the person who asked reads: which subscriptions match, whom they would mention."""
    text = _routing_text(check)
    return {
        "text": text,
        "blocks": [{"type": "section", "block_id": BLOCK_TEST_ROUTING, "text": mrkdwn(text)}],
    }
