"""The ids of ``/reviews list`` and the invite modal (to be folded into ``bot/blocks/ids.py``).

Kept apart while another change owns ``ids.py``; every value is unique across the app.
"""

from __future__ import annotations

__all__ = [
    "ACTION_INVITE_CAMPAIGN",
    "ACTION_INVITE_CAMPAIGN_ID",
    "ACTION_INVITE_EMAIL",
    "ACTION_INVITE_FIRST_NAME",
    "ACTION_INVITE_HOURS",
    "ACTION_INVITE_LAST_NAME",
    "ACTION_INVITE_ORG",
    "ACTION_INVITE_PHONE",
    "ACTION_LIST_NEXT",
    "ACTION_LIST_PREV",
    "BLOCK_INVITE_CAMPAIGN",
    "BLOCK_INVITE_CAMPAIGN_ID",
    "BLOCK_INVITE_EMAIL",
    "BLOCK_INVITE_FIRST_NAME",
    "BLOCK_INVITE_HOURS",
    "BLOCK_INVITE_INTRO",
    "BLOCK_INVITE_LAST_NAME",
    "BLOCK_INVITE_NOTE",
    "BLOCK_INVITE_ORG",
    "BLOCK_INVITE_PHONE",
    "BLOCK_LIST_HEADER",
    "BLOCK_LIST_NAV",
    "BLOCK_LIST_REVIEW_PREFIX",
    "CALLBACK_INVITE",
    "CALLBACK_INVITE_NOTICE",
]

# /reviews list: *‹ Prev* / *Next ›* carry the whole listing state in their value.
ACTION_LIST_PREV = "list_page_prev"
ACTION_LIST_NEXT = "list_page_next"
BLOCK_LIST_HEADER = "list_header"
BLOCK_LIST_NAV = "list_nav"
BLOCK_LIST_REVIEW_PREFIX = "list_review_"
"""One section per review: the prefix plus its position on the page (block ids are unique)."""

# The invite modal (/reviews invite, the card's *Request a review…*, the global shortcut).
CALLBACK_INVITE = "invite_modal"
CALLBACK_INVITE_NOTICE = "invite_notice"
"""The same modal showing only a message (loading, refusal, sending, sent): no inputs."""
BLOCK_INVITE_INTRO = "invite_intro"
BLOCK_INVITE_NOTE = "invite_note"
BLOCK_INVITE_ORG = "invite_org"
ACTION_INVITE_ORG = "invite_org_select"
BLOCK_INVITE_CAMPAIGN = "invite_campaign"
ACTION_INVITE_CAMPAIGN = "invite_campaign_select"
"""Gumado: an external_select answered by ``@app.options`` from the campaign list."""
BLOCK_INVITE_CAMPAIGN_ID = "invite_campaign_id"
ACTION_INVITE_CAMPAIGN_ID = "invite_campaign_id_text"
"""Cloutly has no campaign list: the campaign id is typed (from the campaign page's URL)."""
BLOCK_INVITE_EMAIL = "invite_email"
ACTION_INVITE_EMAIL = "invite_email_input"
BLOCK_INVITE_PHONE = "invite_phone"
ACTION_INVITE_PHONE = "invite_phone_input"
BLOCK_INVITE_FIRST_NAME = "invite_first_name"
ACTION_INVITE_FIRST_NAME = "invite_first_name_input"
BLOCK_INVITE_LAST_NAME = "invite_last_name"
ACTION_INVITE_LAST_NAME = "invite_last_name_input"
BLOCK_INVITE_HOURS = "invite_hours"
ACTION_INVITE_HOURS = "invite_hours_input"
