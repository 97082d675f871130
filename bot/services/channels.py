"""Can the bot post review cards in a channel? Check it, and join public channels."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import SlackRefused, UserError
from bot.log import get_logger
from bot.services.reads import SlackReads

__all__ = ["ChannelAccess", "check_channel", "ensure_channel"]

log = get_logger(__name__)

INVITE_HINT = "invite me with `/invite @Reviews` first, then run the command again"


@dataclass(frozen=True, slots=True)
class ChannelAccess:
    """How the bot reaches a channel it may post in."""

    channel_id: str
    is_private: bool
    is_member: bool
    joined: bool = False
    """The bot joined it just now."""
    join_failure: str | None = None
    """Why joining failed; cards then go out with chat:write.public."""

    def note(self) -> str | None:
        """A sentence for the admin when something about the access is worth knowing."""
        if self.joined:
            return f"I joined <#{self.channel_id}> so I can post review cards here."
        if self.join_failure:
            return (
                f"I couldn't join <#{self.channel_id}> ({self.join_failure}), so I'll post "
                "without joining (chat:write.public). Invite me with `/invite @Reviews` to "
                "make sure every card arrives."
            )
        return None


def _error(exc: SlackRefused) -> str:
    return exc.error


async def check_channel(client: SlackReads, channel_id: str) -> ChannelAccess:
    """What the bot can do in ``channel_id``; UserError for DMs, archived or hidden channels."""
    if channel_id.startswith("D"):
        raise UserError(
            "Subscriptions post review cards to a channel, not a direct message. "
            "Run `/reviews subscribe` in the channel that should get them."
        )
    try:
        response = await client.conversations_info(channel=channel_id)
    except SlackRefused as exc:
        error = _error(exc)
        if error == "channel_not_found":
            # Private channels the bot is not in do not exist for it.
            raise UserError(
                f"This looks like a private channel I'm not in: {INVITE_HINT}."
            ) from None
        if error == "missing_scope":
            raise UserError(
                "I can't look at this channel: the app lacks the channels:read/groups:read "
                "scope. Reinstall it from manifest.yml."
            ) from None
        raise
    channel = response["channel"]
    if channel.get("is_im") or channel.get("is_mpim"):
        raise UserError(
            "Subscriptions post review cards to a channel, not a direct or group message. "
            "Run `/reviews subscribe` in the channel that should get them."
        )
    if channel.get("is_archived"):
        raise UserError(
            "This channel is archived, so nothing can be posted here. Unarchive it or "
            "subscribe another channel."
        )
    is_private = bool(channel.get("is_private"))
    is_member = bool(channel.get("is_member"))
    if is_private and not is_member:
        raise UserError(f"I'm not in this private channel: {INVITE_HINT}.")
    return ChannelAccess(channel_id=channel_id, is_private=is_private, is_member=is_member)


async def ensure_channel(client: SlackReads, channel_id: str) -> ChannelAccess:
    """Check the channel and join it when it is public and the bot is not in it yet."""
    access = await check_channel(client, channel_id)
    if access.is_member:
        return access
    try:
        await client.conversations_join(channel=channel_id)
    except SlackRefused as exc:
        error = _error(exc)
        log.info("channel_join_failed", channel_id=channel_id, error=error)
        reason = "the app lacks the channels:join scope" if error == "missing_scope" else error
        return ChannelAccess(channel_id, False, False, join_failure=reason)
    return ChannelAccess(channel_id, False, True, joined=True)
