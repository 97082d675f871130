"""The demo workspace the Slack stand-in starts with: people, user groups and channels."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

JSON = dict[str, Any]

TEAM_ID = "T0DEMO"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A0DEMO"

_TZ_LABELS = {
    "America/New_York": ("Eastern Standard Time", "Eastern Daylight Time"),
    "Europe/London": ("Greenwich Mean Time", "British Summer Time"),
    "America/Los_Angeles": ("Pacific Standard Time", "Pacific Daylight Time"),
}


@dataclass
class Channel:
    """A conversation: public or private channel, or a DM with the bot."""

    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    bot_member: bool = True
    members: set[str] = field(default_factory=set)
    im_user: str | None = None
    created: int = 1700000000

    @property
    def kind(self) -> str:
        """ "im", "private" or "public": decides which read/history scope applies."""
        if self.im_user:
            return "im"
        return "private" if self.is_private else "public"

    def info(self) -> JSON:
        """The channel object as conversations.info returns it to the bot."""
        if self.im_user:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": self.name == "general",
            "is_member": self.bot_member,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "created": self.created,
            "creator": "U0ADMIN",
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "num_members": len(self.members) + (1 if self.bot_member else 0),
        }


def make_user(
    user_id: str,
    name: str,
    real_name: str,
    *,
    tz: str = "America/New_York",
    is_admin: bool = False,
    is_owner: bool = False,
    is_restricted: bool = False,
    is_bot: bool = False,
) -> JSON:
    """A Slack user object (tz_offset and tz_label are filled in when it is read)."""
    first, _, last = real_name.partition(" ")
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name,
        "deleted": False,
        "real_name": real_name,
        "tz": tz,
        "tz_label": "",
        "tz_offset": 0,
        "profile": {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": name,
            "display_name_normalized": name,
            "first_name": first,
            "last_name": last,
            "email": f"{name}@example.com",
            "image_48": f"https://avatars.example.com/{name}_48.png",
            "image_192": f"https://avatars.example.com/{name}_192.png",
            "team": TEAM_ID,
        },
        "is_admin": is_admin,
        "is_owner": is_owner,
        "is_primary_owner": is_owner,
        "is_restricted": is_restricted,
        "is_ultra_restricted": False,
        "is_bot": is_bot,
        "is_app_user": False,
        "updated": 1700000000,
    }


def default_users() -> list[JSON]:
    """The demo workspace's people: an owner, an admin, a member, a guest, and the bot."""
    bot = make_user(BOT_USER_ID, "reviews", "Reviews", tz="America/Los_Angeles", is_bot=True)
    bot["profile"].update({"bot_id": BOT_ID, "api_app_id": APP_ID, "always_active": True})
    del bot["profile"]["email"]
    return [
        make_user("U0ADMIN", "ada", "Ada Lovelace", is_admin=True, is_owner=True),
        make_user("U0MANAGER", "marco", "Marco Rossi", tz="Europe/London", is_admin=True),
        make_user("U0FRONT", "fatima", "Fatima Khan"),
        make_user("U0GUEST", "gus", "Gus Guest", tz="Europe/London", is_restricted=True),
        bot,
    ]


def make_usergroup(
    group_id: str, handle: str, name: str, users: Iterable[str], *, disabled: bool = False
) -> JSON:
    """A Slack user group object; ``date_delete`` ≠ 0 marks it disabled."""
    members = list(users)
    return {
        "id": group_id,
        "team_id": TEAM_ID,
        "is_usergroup": True,
        "is_subteam": True,
        "name": name,
        "description": "",
        "handle": handle,
        "is_external": False,
        "date_create": 1700000000,
        "date_update": 1700000000,
        "date_delete": 1710000000 if disabled else 0,
        "auto_type": None,
        "created_by": "U0ADMIN",
        "updated_by": "U0ADMIN",
        "deleted_by": None,
        "prefs": {"channels": [], "groups": []},
        "users": members,
        "user_count": len(members),
    }


def default_usergroups() -> list[JSON]:
    """@frontdesk, @oncall-manager and a disabled @night-shift."""
    return [
        make_usergroup("S0FRONTDESK", "frontdesk", "Front desk", ["U0FRONT", "U0MANAGER"]),
        make_usergroup("S0ONCALL", "oncall-manager", "On-call manager", ["U0MANAGER"]),
        make_usergroup("S0NIGHT", "night-shift", "Night shift", ["U0FRONT"], disabled=True),
    ]


def default_channels() -> list[Channel]:
    """Public and private channels, with and without the bot, and an archived one."""
    everyone = {"U0ADMIN", "U0MANAGER", "U0FRONT", "U0GUEST"}
    staff = {"U0ADMIN", "U0MANAGER", "U0FRONT"}
    return [
        Channel("C0GENERAL", "general", members=set(everyone)),
        Channel("C0REVIEWS", "reviews", members=set(staff)),
        Channel("C0RANDOM", "random", bot_member=False, members=set(everyone)),
        Channel("C0FRONTDESK", "frontdesk", is_private=True, members={"U0MANAGER", "U0FRONT"}),
        Channel(
            "C0LEADERS",
            "leadership",
            is_private=True,
            bot_member=False,
            members={"U0ADMIN", "U0MANAGER"},
        ),
        Channel("C0ARCHIVED", "old-reviews", is_archived=True, members=set(staff)),
    ]


def localize_user(user: JSON, now: float, *, with_email: bool) -> JSON:
    """A copy of ``user`` with tz_offset and tz_label as of ``now`` (they change with DST)."""
    user = copy.deepcopy(user)
    moment = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(user["tz"]))
    offset, dst = moment.utcoffset(), moment.dst()
    user["tz_offset"] = int(offset.total_seconds()) if offset else 0
    labels = _TZ_LABELS.get(user["tz"], (user["tz"], user["tz"]))
    user["tz_label"] = labels[1] if dst else labels[0]
    if not with_email:
        user["profile"].pop("email", None)
    return user
