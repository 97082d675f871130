"""Every action_id, callback_id and block_id the app's surfaces use, in one place.

Pure builders in ``bot/blocks`` need them and ``bot`` may not import ``handlers``, so they
live here; ``handlers/ids.py`` re-exports them for the listeners and the manifest test.
"""

from __future__ import annotations

# The review card's ids are defined beside its builder (another module owns it); re-exported.
from bot.blocks.card import (
    ACTION_MARK_HANDLED,
    ACTION_REPLY_REVIEW,
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
from bot.blocks.reminder import ACTION_REMINDER_REPLY

__all__ = [
    "ACTION_CONNECT_CREDENTIAL",
    "ACTION_CONNECT_NAME",
    "ACTION_CONNECT_PLATFORM",
    "ACTION_DIGEST_DAY",
    "ACTION_DIGEST_HOUR",
    "ACTION_DIGEST_TIMEZONE",
    "ACTION_DISCONNECT_CANCEL",
    "ACTION_DISCONNECT_CONFIRM",
    "ACTION_HOME_CHANNEL",
    "ACTION_HOME_CONNECT",
    "ACTION_HOME_DIGEST",
    "ACTION_HOME_INVITE",
    "ACTION_HOME_SUBSCRIBE",
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
    "ACTION_REMINDER_REPLY",
    "ACTION_REMOVE_SUBSCRIPTION",
    "ACTION_REPLY_REVIEW",
    "ACTION_REQUEST_REVIEW",
    "ACTION_STATUS_RETRY",
    "ACTION_SUB_ALERT",
    "ACTION_SUB_BACKFILL",
    "ACTION_SUB_EVERY",
    "ACTION_SUB_GROUPS",
    "ACTION_SUB_LANGUAGE",
    "ACTION_SUB_LOCATION",
    "ACTION_SUB_LOCATION_TEXT",
    "ACTION_SUB_ORG",
    "ACTION_SUB_ORG_TEXT",
    "ACTION_SUB_RATING",
    "ACTION_SUB_RESPOND",
    "ACTION_SUB_RESPOND_TEXT",
    "ACTION_SUB_ROLLUP",
    "ACTION_SUB_SOURCES",
    "ACTION_SUB_STYLE",
    "ACTION_SUB_TEXT",
    "ACTION_SUB_USERS",
    "ACTION_VIEW_REVIEW",
    "BLOCK_ACTIONS",
    "BLOCK_AUTHOR",
    "BLOCK_CONNECT_CREDENTIAL",
    "BLOCK_CONNECT_INTRO",
    "BLOCK_CONNECT_NAME",
    "BLOCK_CONNECT_PLATFORM",
    "BLOCK_CONNECT_PROBLEM",
    "BLOCK_DIGEST_DAY_PREFIX",
    "BLOCK_DIGEST_HOUR_PREFIX",
    "BLOCK_DIGEST_INTRO",
    "BLOCK_DIGEST_MORE",
    "BLOCK_DIGEST_SUBSCRIPTION_PREFIX",
    "BLOCK_DIGEST_TIMEZONE_PREFIX",
    "BLOCK_DISCONNECT",
    "BLOCK_HANDLED",
    "BLOCK_HELP",
    "BLOCK_HOME_ACTIONS",
    "BLOCK_HOME_ACTIVITY",
    "BLOCK_HOME_CHANNEL",
    "BLOCK_HOME_CONNECTIONS",
    "BLOCK_HOME_CONNECTION_PREFIX",
    "BLOCK_HOME_HEADER",
    "BLOCK_HOME_SUBSCRIPTIONS",
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
    "BLOCK_STATUS_FAILED_PREFIX",
    "BLOCK_STATUS_HEADER",
    "BLOCK_STATUS_SUBSCRIPTIONS",
    "BLOCK_SUBSCRIPTION_PREFIX",
    "BLOCK_SUB_ALERT",
    "BLOCK_SUB_BACKFILL",
    "BLOCK_SUB_EVERY",
    "BLOCK_SUB_GROUPS",
    "BLOCK_SUB_INTRO",
    "BLOCK_SUB_LANGUAGE",
    "BLOCK_SUB_LOCATION",
    "BLOCK_SUB_MORE",
    "BLOCK_SUB_ORG",
    "BLOCK_SUB_RATING",
    "BLOCK_SUB_RESPOND",
    "BLOCK_SUB_RESPOND_TEXT",
    "BLOCK_SUB_ROLLUP",
    "BLOCK_SUB_SOURCES",
    "BLOCK_SUB_STYLE",
    "BLOCK_SUB_TEXT",
    "BLOCK_SUB_USERS",
    "BLOCK_SUMMARY",
    "BLOCK_TEXT",
    "BLOCK_TITLE",
    "CALLBACK_CONNECT",
    "CALLBACK_CONNECT_NOTICE",
    "CALLBACK_DIGEST_SETTINGS",
    "CALLBACK_DIGEST_SETTINGS_NOTICE",
    "CALLBACK_HOME_CHANNEL",
    "CALLBACK_HOME_NOTICE",
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
BLOCK_SUB_MORE = "subscribe_more"
BLOCK_SUB_TEXT = "subscribe_text"
ACTION_SUB_TEXT = "subscribe_text_input"
BLOCK_SUB_LANGUAGE = "subscribe_language"
ACTION_SUB_LANGUAGE = "subscribe_language_select"
BLOCK_SUB_RESPOND = "subscribe_respond"
ACTION_SUB_RESPOND = "subscribe_respond_select"
BLOCK_SUB_RESPOND_TEXT = "subscribe_respond_other"
ACTION_SUB_RESPOND_TEXT = "subscribe_respond_text"
BLOCK_SUB_ROLLUP = "subscribe_rollup"
ACTION_SUB_ROLLUP = "subscribe_rollup_select"
BLOCK_SUB_EVERY = "subscribe_every"
ACTION_SUB_EVERY = "subscribe_every_select"
BLOCK_SUB_STYLE = "subscribe_style"
ACTION_SUB_STYLE = "subscribe_style_radio"
BLOCK_SUB_BACKFILL = "subscribe_backfill"
ACTION_SUB_BACKFILL = "subscribe_backfill_input"

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

# /reviews digest settings: day, hour and timezone per subscription of the channel. Block ids
# are the prefix plus the subscription id; action ids are the constant + ":" + the id (unique
# within the view; the timezone typeahead is matched by pattern).
CALLBACK_DIGEST_SETTINGS = "digest_settings_modal"
CALLBACK_DIGEST_SETTINGS_NOTICE = "digest_settings_notice"
"""The same modal showing only a message (the form lost its channel): no inputs."""
BLOCK_DIGEST_INTRO = "digest_settings_intro"
BLOCK_DIGEST_MORE = "digest_settings_more"
BLOCK_DIGEST_SUBSCRIPTION_PREFIX = "digest_settings_subscription_"
BLOCK_DIGEST_DAY_PREFIX = "digest_settings_day_"
BLOCK_DIGEST_HOUR_PREFIX = "digest_settings_hour_"
BLOCK_DIGEST_TIMEZONE_PREFIX = "digest_settings_timezone_"
ACTION_DIGEST_DAY = "digest_settings_select_day"
ACTION_DIGEST_HOUR = "digest_settings_select_hour"
ACTION_DIGEST_TIMEZONE = "digest_settings_select_timezone"
"""An external_select answered by ``@app.options`` from ``zoneinfo.available_timezones()``."""

# /reviews connect: the modal (platform, token, display name) and its notices.
CALLBACK_CONNECT = "connect_modal"
CALLBACK_CONNECT_NOTICE = "connect_notice"
"""The same modal showing only a message (loading, refusal, checking, connected): no inputs."""
BLOCK_CONNECT_INTRO = "connect_intro"
BLOCK_CONNECT_PROBLEM = "connect_problem"
BLOCK_CONNECT_PLATFORM = "connect_platform"
ACTION_CONNECT_PLATFORM = "connect_platform_select"
BLOCK_CONNECT_CREDENTIAL = "connect_credential"
ACTION_CONNECT_CREDENTIAL = "connect_credential_input"
BLOCK_CONNECT_NAME = "connect_name"
ACTION_CONNECT_NAME = "connect_name_input"

# /reviews disconnect <name>: the private confirmation; the buttons carry the connection id.
BLOCK_DISCONNECT = "disconnect_confirm"
ACTION_DISCONNECT_CONFIRM = "disconnect_confirm_button"
ACTION_DISCONNECT_CANCEL = "disconnect_cancel_button"

# /reviews status: one section per failed delivery; admins get a Retry button whose action id
# is ACTION_STATUS_RETRY + ":" + the delivery id (unique within the message).
BLOCK_STATUS_FAILED_PREFIX = "status_failed_"
ACTION_STATUS_RETRY = "status_retry_delivery"

# The App Home tab and the channel picker its Subscribe button opens.
BLOCK_HOME_HEADER = "home_header"
BLOCK_HOME_ACTIONS = "home_actions"
BLOCK_HOME_CONNECTIONS = "home_connections"
BLOCK_HOME_CONNECTION_PREFIX = "home_connection_"
BLOCK_HOME_SUBSCRIPTIONS = "home_subscriptions"
BLOCK_HOME_ACTIVITY = "home_activity"
ACTION_HOME_CONNECT = "home_connect"
ACTION_HOME_INVITE = "home_invite"
ACTION_HOME_SUBSCRIBE = "home_subscribe"
ACTION_HOME_DIGEST = "home_digest_settings"
CALLBACK_HOME_CHANNEL = "home_subscribe_channel"
CALLBACK_HOME_NOTICE = "home_notice"
BLOCK_HOME_CHANNEL = "home_channel"
ACTION_HOME_CHANNEL = "home_channel_select"
