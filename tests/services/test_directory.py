"""The Slack directory: handles to ids, labels, admin flags, and the short cache."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.filters import Mention
from bot.services.actor import Actor
from bot.services.directory import Directory, MentionError
from bot.services.permissions import is_config_admin, refusal_text, shows_admin_controls
from bot.slack_reads import SlackReader
from fakes.slack import running_fake_slack, web_client


class Ticker:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_handles_resolve_to_groups_then_people() -> None:
    async with running_fake_slack() as slack:
        client = SlackReader(web_client(slack))
        directory = Directory()
        resolved = await directory.resolve_mentions(
            client,
            "T0DEMO",
            [
                Mention("handle", "FrontDesk"),
                Mention("handle", "fatima"),
                Mention("user", "U0MANAGER"),
                Mention("group", "S0ONCALL"),
                Mention("group", "S0FRONTDESK", "already"),
                Mention("handle", "frontdesk"),  # a duplicate of the first
            ],
        )
        assert resolved == (
            Mention("group", "S0FRONTDESK", "frontdesk"),
            Mention("user", "U0FRONT", "fatima"),
            Mention("user", "U0MANAGER", "marco"),
            Mention("group", "S0ONCALL", "oncall-manager"),
        )


async def test_unknown_disabled_and_ambiguous_handles() -> None:
    async with running_fake_slack() as slack:
        client = SlackReader(web_client(slack))
        directory = Directory()
        with pytest.raises(MentionError) as unknown:
            await directory.resolve_mentions(client, "T0DEMO", [Mention("handle", "nobody")])
        assert "`@nobody`" in unknown.value.user_message()
        with pytest.raises(MentionError):  # disabled groups are not offered
            await directory.resolve_mentions(client, "T0DEMO", [Mention("handle", "night-shift")])

        slack.add_user("U0TWIN1", "sam.one", "Sam One")
        slack.add_user("U0TWIN2", "sam.two", "Sam Two")
        for user_id in ("U0TWIN1", "U0TWIN2"):
            slack.state.users[user_id]["profile"]["display_name"] = "sam"
        fresh = Directory()
        with pytest.raises(MentionError) as ambiguous:
            await fresh.resolve_mentions(client, "T0DEMO", [Mention("handle", "sam")])
        assert "2 people" in ambiguous.value.reason


async def test_cache_expires_and_admin_flags() -> None:
    async with running_fake_slack() as slack:
        client = SlackReader(web_client(slack))
        ticker = Ticker()
        directory = Directory(ttl_seconds=60, clock=ticker)
        settings = load_settings({"ADMIN_USER_IDS": "U0FRONT"})
        assert await is_config_admin(settings, Actor("T0DEMO", "U0FRONT", None, client, directory))
        assert slack.calls_to("users.info") == []  # ADMIN_USER_IDS needs no call
        assert await is_config_admin(
            settings, Actor("T0DEMO", "U0MANAGER", None, client, directory)
        )
        assert not await is_config_admin(
            settings, Actor("T0DEMO", "U0GUEST", None, client, directory)
        )
        assert len(slack.calls_to("users.info")) == 2
        await directory.user(client, "T0DEMO", "U0MANAGER")
        assert len(slack.calls_to("users.info")) == 2  # cached
        ticker.now = 61
        await directory.user(client, "T0DEMO", "U0MANAGER")
        assert len(slack.calls_to("users.info")) == 3

        slack.fail_next("users.info", error="fatal_error")
        assert not await shows_admin_controls(
            settings, Actor("T0DEMO", "U0ADMIN", None, client, directory)
        )
        assert "<@U0FRONT>" in refusal_text(settings, "do that")
        assert "ADMIN_USER_IDS" in refusal_text(load_settings({}), "do that")
