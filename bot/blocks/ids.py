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
    "CALLBACK_INVITE_PLACEHOLDER",
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

# Until the invite issue lands, *Request a review…* and the global shortcut open this modal.
CALLBACK_INVITE_PLACEHOLDER = "invite_placeholder"
