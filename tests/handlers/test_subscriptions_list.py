"""``/reviews subscriptions`` with Remove buttons, and ``/reviews unsubscribe <id>|all``."""

from __future__ import annotations

from blocks.limits import assert_message_within_limits
from surface_helpers import all_text, interact, run_slash, subscriptions_of

from bot.blocks.subscriptions import remove_action_id
from harness import Service, running_service
from sandbox.signing import block_actions_payload


async def _list(service: Service, user_id: str = "U0ADMIN") -> dict:
    _, posts = await run_slash(service, "subscriptions", user_id=user_id)
    [listing] = posts
    assert listing["response_type"] == "ephemeral"
    assert_message_within_limits(listing)
    return listing


def _buttons(listing: dict) -> list[dict]:
    return [b["accessory"] for b in listing["blocks"] if "accessory" in b]


async def test_list_and_remove_button_replace_the_list(database_url: str) -> None:
    async with running_service(database_url) as service:
        await run_slash(service, "subscribe all")
        await run_slash(service, "subscribe rating:<=2 mention:@frontdesk")
        await run_slash(service, "subscribe rating:5", channel_id="C0GENERAL")
        first, second = await subscriptions_of(service)

        listing = await _list(service)
        shown = all_text(listing)
        assert f"*#{first.id}* All reviews" in shown
        assert f"*#{second.id}* 1–2★ reviews; mentions @frontdesk at ≤2★" in shown
        assert "5★" not in shown  # another channel's
        buttons = _buttons(listing)
        assert [b["action_id"] for b in buttons] == [
            remove_action_id(first.id),
            remove_action_id(second.id),
        ]

        # Click Remove on the ephemeral list: it is redrawn in place, the channel is told.
        [ephemeral] = service.slack.ephemeral("C0REVIEWS", "U0ADMIN")[-1:]
        url = service.slack.new_response_url(
            channel="C0REVIEWS", user_id="U0ADMIN", message_ts=ephemeral["ts"]
        )
        payload = block_actions_payload(
            remove_action_id(first.id),
            value=str(first.id),
            block_id=f"subscription_{first.id}",
            message=ephemeral,
            response_url=url,
            is_ephemeral=True,
        )
        await interact(service, payload)
        await service.settle()
        assert [row.id for row in await subscriptions_of(service)] == [second.id]
        replaced, announced = service.slack.responses(url)
        assert replaced["replace_original"] is True
        assert [b["action_id"] for b in _buttons(replaced)] == [remove_action_id(second.id)]
        assert_message_within_limits(replaced)
        assert announced["response_type"] == "in_channel"
        assert f"removed subscription #{first.id}" in announced["text"]
        [now_shown] = service.slack.ephemeral("C0REVIEWS", "U0ADMIN")[-1:]
        assert f"#{first.id}*" not in all_text(now_shown)


async def test_non_admins_see_no_buttons_and_cannot_remove(database_url: str) -> None:
    async with running_service(database_url) as service:
        await run_slash(service, "subscribe all")
        [row] = await subscriptions_of(service)
        listing = await _list(service, user_id="U0FRONT")
        assert _buttons(listing) == []
        assert "Only workspace admins" in all_text(listing)

        url = service.slack.new_response_url(channel="C0REVIEWS", user_id="U0FRONT")
        payload = block_actions_payload(
            remove_action_id(row.id), value=str(row.id), user_id="U0FRONT", response_url=url
        )
        await interact(service, payload)
        await service.settle()
        assert len(await subscriptions_of(service)) == 1
        assert "Only workspace admins" in all_text(service.slack.responses(url))


async def test_empty_list_says_how_to_subscribe(database_url: str) -> None:
    async with running_service(database_url) as service:
        listing = await _list(service)
        assert "has no subscriptions" in listing["text"]
        assert "/reviews subscribe all" in listing["text"]


async def test_unsubscribe_by_id_all_and_wrong_ids(database_url: str) -> None:
    async with running_service(database_url) as service:
        for text in ("subscribe all", "subscribe rating:5", "subscribe rating:1"):
            await run_slash(service, text)
        await run_slash(service, "subscribe all", channel_id="C0GENERAL")
        first, second, third = await subscriptions_of(service)
        [elsewhere] = await subscriptions_of(service, "C0GENERAL")

        _, posts = await run_slash(service, f"unsubscribe {first.id}")
        [note] = posts
        assert note["response_type"] == "in_channel"
        assert f"removed subscription #{first.id}" in note["text"]
        assert [r.id for r in await subscriptions_of(service)] == [second.id, third.id]

        cases = [
            (f"unsubscribe {elsewhere.id}", f"has no subscription #{elsewhere.id}"),
            (f"unsubscribe {first.id}", f"has no subscription #{first.id}"),
            ("unsubscribe abc", "`abc` is not a subscription id"),
            ("unsubscribe", "Which subscription?"),
        ]
        for text, expected in cases:
            _, posts = await run_slash(service, text)
            [answer] = posts
            assert answer["response_type"] == "ephemeral"
            assert expected in all_text(answer), (text, answer)
        assert len(await subscriptions_of(service, "C0GENERAL")) == 1

        _, posts = await run_slash(service, f"unsubscribe #{second.id}")
        assert posts[0]["response_type"] == "in_channel"
        await run_slash(service, "subscribe rating:2")
        _, posts = await run_slash(service, "unsubscribe all")
        assert "removed all 2 subscriptions" in posts[0]["text"]
        assert await subscriptions_of(service) == []
        assert len(await subscriptions_of(service, "C0GENERAL")) == 1

        _, posts = await run_slash(service, "unsubscribe all")
        assert "has no subscriptions to remove" in all_text(posts)
