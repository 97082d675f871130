"""Who may change configuration: ADMIN_USER_IDS, or Slack admins and owners."""

from __future__ import annotations

from bot.config import Settings
from bot.errors import SlackRefused
from bot.services.actor import Actor

__all__ = ["is_config_admin", "refusal_text", "shows_admin_controls"]


async def is_config_admin(settings: Settings, actor: Actor) -> bool:
    """True for people in ADMIN_USER_IDS and Slack admins/owners (``users.info``, cached).

    A failed ``users.info`` raises (SlackRefused): the caller says Slack could not be asked,
    rather than refusing someone who may well be an admin.
    """
    if actor.user_id in settings.admin_user_ids:
        return True
    user = await actor.directory.user(actor.client, actor.team_id, actor.user_id)
    return user.is_workspace_admin and not user.deleted


def refusal_text(settings: Settings, what: str) -> str:
    """The sentence a non-admin gets: who may do ``what`` instead."""
    named = ", ".join(f"<@{user_id}>" for user_id in settings.admin_user_ids)
    listed = f" and the people this app lists as admins ({named})" if named else ""
    return (
        f"🔒 Only workspace admins and owners{listed} can {what}. "
        "Ask one of them, or ask an admin to add you to ADMIN_USER_IDS."
    )


async def shows_admin_controls(settings: Settings, actor: Actor) -> bool:
    """Whether to show admin-only controls and secrets (False when Slack cannot say)."""
    try:
        return await is_config_admin(settings, actor)
    except SlackRefused:
        return False
