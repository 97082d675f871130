"""Where cards can go: the bot joins public channels, refuses private ones it is not in."""

from __future__ import annotations

from surface_helpers import all_text, run_slash, subscriptions_of

from harness import running_service


async def test_bot_joins_a_public_channel_it_is_not_in(database_url: str) -> None:
    async with running_service(database_url) as service:
        assert not service.slack.state.channels["C0RANDOM"].bot_member
        _, posts = await run_slash(service, "subscribe all", channel_id="C0RANDOM")
        assert [c.args["channel"] for c in service.slack.calls_to("conversations.join")] == [
            "C0RANDOM"
        ]
        assert service.slack.state.channels["C0RANDOM"].bot_member
        assert len(await subscriptions_of(service, "C0RANDOM")) == 1
        announcement, note = posts
        assert announcement["response_type"] == "in_channel"
        assert "I joined <#C0RANDOM>" in note["text"]

        # Already a member: no second join.
        await run_slash(service, "subscribe rating:5", channel_id="C0RANDOM")
        assert len(service.slack.calls_to("conversations.join")) == 1


async def test_join_refused_falls_back_to_chat_write_public(database_url: str) -> None:
    async with running_service(database_url) as service:
        service.slack.scopes.discard("channels:join")
        _, posts = await run_slash(service, "subscribe all", channel_id="C0RANDOM")
        assert len(await subscriptions_of(service, "C0RANDOM")) == 1
        note = posts[-1]["text"]
        assert "couldn't join <#C0RANDOM>" in note
        assert "chat:write.public" in note
        assert "channels:join" in note


async def test_private_dm_and_archived_channels_get_clear_messages(database_url: str) -> None:
    async with running_service(database_url) as service:
        cases = [
            ("C0LEADERS", "invite me with `/invite @Reviews` first"),
            ("D0ADMIN", "not a direct message"),
            ("C0ARCHIVED", "archived"),
        ]
        for channel_id, expected in cases:
            _, posts = await run_slash(service, "subscribe all", channel_id=channel_id)
            [answer] = posts
            assert answer["response_type"] == "ephemeral"
            assert expected in all_text(answer), (channel_id, answer)
            assert await subscriptions_of(service, channel_id) == []
        # A private channel the bot is in works without joining.
        _, posts = await run_slash(service, "subscribe all", channel_id="C0FRONTDESK")
        assert posts[0]["response_type"] == "in_channel"
        assert service.slack.calls_to("conversations.join") == []
