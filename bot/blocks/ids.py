"""Every action_id, callback_id and block_id the app's surfaces use, in one place.

Pure builders in ``bot/blocks`` need them and ``bot`` may not import ``handlers``, so they
live here; ``handlers/ids.py`` re-exports them for the listeners and the manifest test.
"""

from __future__ import annotations

# The review card's ids are defined beside its builder (another module owns it); re-exported.
from bot.blocks.card import (
    ACTION_MARK_HANDLED,
    ACTION_REQUEST_REVIEW,
    ACTION_VIEW_REVIEW,
    BLOCK_ACTIONS,
    BLOCK_AUTHOR,
    BLOCK_HANDLED,
    BLOCK_MENTIONS,
    BLOCK_MORE,
    BLOCK_REPLY,
    BLOCK_REPLY_LABEL,
    BLOCK_SUMMARY,
    BLOCK_TEXT,
    BLOCK_TITLE,
)

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
    "ACTION_MARK_HANDLED",
    "ACTION_REMOVE_SUBSCRIPTION",
    "ACTION_REQUEST_REVIEW",
    "ACTION_SUB_ALERT",
    "ACTION_SUB_GROUPS",
    "ACTION_SUB_LOCATION",
    "ACTION_SUB_LOCATION_TEXT",
    "ACTION_SUB_ORG",
    "ACTION_SUB_ORG_TEXT",
    "ACTION_SUB_RATING",
    "ACTION_SUB_SOURCES",
    "ACTION_SUB_USERS",
    "ACTION_VIEW_REVIEW",
    "BLOCK_ACTIONS",
    "BLOCK_AUTHOR",
    "BLOCK_HANDLED",
    "BLOCK_HELP",
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
    "BLOCK_MENTIONS",
    "BLOCK_MORE",
    "BLOCK_REPLY",
    "BLOCK_REPLY_LABEL",
    "BLOCK_STATUS_CONNECTIONS",
    "BLOCK_STATUS_FAILED",
    "BLOCK_STATUS_HEADER",
    "BLOCK_STATUS_SUBSCRIPTIONS",
    "BLOCK_SUBSCRIPTION_PREFIX",
    "BLOCK_SUB_ALERT",
    "BLOCK_SUB_GROUPS",
    "BLOCK_SUB_INTRO",
    "BLOCK_SUB_LOCATION",
    "BLOCK_SUB_ORG",
    "BLOCK_SUB_RATING",
    "BLOCK_SUB_SOURCES",
    "BLOCK_SUB_USERS",
    "BLOCK_SUMMARY",
    "BLOCK_TEXT",
    "BLOCK_TITLE",
    "CALLBACK_INVITE",
    "CALLBACK_INVITE_NOTICE",
    "CALLBACK_SUBSCRIBE",
    "CALLBACK_SUBSCRIBE_NOTICE",
]

# /reviews subscribe modal
CALLBACK_SUBSCRIBE = "subscribe_modal"
CALLBACK_SUBSCRIBE_NOTICE = "subscribe_notice"
"""The same modal showing only a message (loading, refusal, channel problem): no submit."""
BLOCK_SUB_INTRO = "subscribe_intro"
BLOCK_SUB_ORG = "subscribe_org"
ACTION_SUB_ORG = "subscribe_org_select"
ACTION_SUB_ORG_TEXT = "subscribe_org_text"
BLOCK_SUB_LOCATION = "subscribe_location"
ACTION_SUB_LOCATION = "subscribe_location_select"
ACTION_SUB_LOCATION_TEXT = "subscribe_location_text"
BLOCK_SUB_SOURCES = "subscribe_sources"
ACTION_SUB_SOURCES = "subscribe_sources_select"
BLOCK_SUB_RATING = "subscribe_rating"
ACTION_SUB_RATING = "subscribe_rating_select"
BLOCK_SUB_USERS = "subscribe_mention_users"
ACTION_SUB_USERS = "subscribe_mention_users_select"
BLOCK_SUB_GROUPS = "subscribe_mention_groups"
ACTION_SUB_GROUPS = "subscribe_mention_groups_text"
BLOCK_SUB_ALERT = "subscribe_alert"
ACTION_SUB_ALERT = "subscribe_alert_select"

# /reviews subscriptions: one Remove button per subscription. action_ids must be unique within
# a message, so each button's id is ACTION_REMOVE_SUBSCRIPTION + ":" + the subscription id.
ACTION_REMOVE_SUBSCRIPTION = "subscription_remove"
BLOCK_SUBSCRIPTION_PREFIX = "subscription_"

# /reviews help and /reviews status
BLOCK_HELP = "help_commands"
BLOCK_STATUS_HEADER = "status_header"
BLOCK_STATUS_CONNECTIONS = "status_connections"
BLOCK_STATUS_SUBSCRIPTIONS = "status_subscriptions"
BLOCK_STATUS_FAILED = "status_failed"

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
