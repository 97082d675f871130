"""The Slack stand-in's views.*, users.*, usergroups.list and team.info through AsyncWebClient."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from fakes.slack import running_fake_slack, web_client
from sandbox.slack import SlackStandIn


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1732300000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def modal(title: str = "Request a review", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "invite",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "block_id": "email",
                "label": {"type": "plain_text", "text": "Email"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
        **extra,
    }


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
async def slack(clock: FrozenClock) -> AsyncIterator[SlackStandIn]:
    async with running_fake_slack(clock=clock) as fake:
        yield fake


@pytest.fixture
def client(slack: SlackStandIn) -> AsyncWebClient:
    return web_client(slack)


async def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as info:
        await call
    return str(info.value.response["error"])


async def test_views_open_uses_a_trigger_once_and_within_3_seconds(
    slack: SlackStandIn, client: AsyncWebClient, clock: FrozenClock
) -> None:
    trigger = slack.issue_trigger_id()
    opened = await client.views_open(trigger_id=trigger, view=modal())
    view = opened["view"]
    assert view["id"] in slack.views and view["root_view_id"] == view["id"]
    assert view["callback_id"] == "invite" and view["hash"]
    assert (
        await error_of(client.views_open(trigger_id=trigger, view=modal()))
        == "exchanged_trigger_id"
    )

    late = slack.issue_trigger_id()
    clock.now += 3.5
    assert await error_of(client.views_open(trigger_id=late, view=modal())) == "expired_trigger_id"
    assert (
        await error_of(client.views_open(trigger_id="nonsense", view=modal()))
        == "invalid_trigger_id"
    )


async def test_views_open_validates_the_view(slack: SlackStandIn, client: AsyncWebClient) -> None:
    too_long = modal(title="A title that is far too long")
    with pytest.raises(SlackApiError) as info:
        await client.views_open(trigger_id=slack.issue_trigger_id(), view=too_long)
    assert info.value.response["error"] == "invalid_arguments"
    assert (
        "[json-pointer:/view/title/text]" in info.value.response["response_metadata"]["messages"][0]
    )
    no_submit = {k: v for k, v in modal().items() if k != "submit"}
    assert await error_of(
        client.views_open(trigger_id=slack.issue_trigger_id(), view=no_submit)
    ) == ("invalid_arguments")


async def test_views_update_by_id_or_external_id_with_hash(
    slack: SlackStandIn, client: AsyncWebClient
) -> None:
    opened = (
        await client.views_open(
            trigger_id=slack.issue_trigger_id(), view=modal(external_id="inv-1")
        )
    )["view"]
    updated = (
        await client.views_update(
            view_id=opened["id"], hash=opened["hash"], view=modal(title="Loaded")
        )
    )["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert slack.views[opened["id"]]["title"]["text"] == "Loaded"

    stale = client.views_update(
        view_id=opened["id"], hash=opened["hash"], view=modal(title="Stale")
    )
    assert await error_of(stale) == "hash_conflict"
    by_external = await client.views_update(external_id="inv-1", view=modal(title="By external id"))
    assert by_external["view"]["id"] == opened["id"]
    assert await error_of(client.views_update(view_id="V0NOPE", view=modal())) == "not_found"


async def test_views_push_stacks_up_to_three(slack: SlackStandIn, client: AsyncWebClient) -> None:
    root = (await client.views_open(trigger_id=slack.issue_trigger_id(), view=modal()))["view"]
    second = (
        await client.views_push(trigger_id=slack.issue_trigger_id(view_id=root["id"]), view=modal())
    )["view"]
    assert (second["root_view_id"], second["previous_view_id"]) == (root["id"], root["id"])
    await client.views_push(trigger_id=slack.issue_trigger_id(view_id=second["id"]), view=modal())
    fourth = client.views_push(trigger_id=slack.issue_trigger_id(view_id=root["id"]), view=modal())
    assert await error_of(fourth) == "push_limit_reached"


async def test_views_publish_home_tab(slack: SlackStandIn, client: AsyncWebClient) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*Hi*"}}],
    }
    first = (await client.views_publish(user_id="U0ADMIN", view=home))["view"]
    again = (await client.views_publish(user_id="U0ADMIN", view=home, hash=first["hash"]))["view"]
    assert again["id"] == first["id"]
    published = slack.published_home("U0ADMIN")
    assert published is not None and published["blocks"] == home["blocks"]
    assert slack.published_home("U0FRONT") is None

    too_many = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    assert (
        await error_of(client.views_publish(user_id="U0ADMIN", view=too_many))
        == "invalid_arguments"
    )
    assert await error_of(
        client.views_publish(user_id="U0ADMIN", view=home, hash=first["hash"])
    ) == ("hash_conflict")


async def test_users_info_has_timezone_roles_and_guest_flag(client: AsyncWebClient) -> None:
    # 2024-11-22 is outside daylight saving time in both zones.
    ada = (await client.users_info(user="U0ADMIN", include_locale=True))["user"]
    assert (ada["tz"], ada["tz_offset"], ada["locale"]) == ("America/New_York", -18000, "en-US")
    assert ada["is_admin"] and ada["is_owner"]
    marco = (await client.users_info(user="U0MANAGER"))["user"]
    assert (marco["tz"], marco["tz_offset"], marco["is_owner"]) == ("Europe/London", 0, False)
    assert "locale" not in marco and "email" not in marco["profile"]
    gus = (await client.users_info(user="U0GUEST"))["user"]
    assert gus["is_restricted"] is True
    assert await error_of(client.users_info(user="U0NOPE")) == "user_not_found"


async def test_users_list_paginates(client: AsyncWebClient) -> None:
    seen, cursor = [], None
    while True:
        page = await client.users_list(limit=2, cursor=cursor)
        seen += [member["id"] for member in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == ["U0ADMIN", "U0MANAGER", "U0FRONT", "U0GUEST", "UBOT"]


async def test_usergroups_and_team(slack: SlackStandIn, client: AsyncWebClient) -> None:
    groups = (await client.usergroups_list(include_users=True))["usergroups"]
    assert {g["handle"]: g["users"] for g in groups} == {
        "frontdesk": ["U0FRONT", "U0MANAGER"],
        "oncall-manager": ["U0MANAGER"],
    }
    bare = (await client.usergroups_list())["usergroups"]
    assert all("users" not in g for g in bare)
    team = (await client.team_info())["team"]
    assert (team["id"], team["name"]) == ("T0DEMO", "Demo Co")

    slack.scopes.discard("usergroups:read")
    with pytest.raises(SlackApiError) as info:
        await client.usergroups_list()
    assert (info.value.response["error"], info.value.response["needed"]) == (
        "missing_scope",
        "usergroups:read",
    )
