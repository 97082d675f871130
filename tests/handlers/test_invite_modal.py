"""The invite modal opens at once from every entry point, fills itself, and answers its typeahead."""

from __future__ import annotations

import json
import time
from typing import Any

from browse_invite_helpers import block, last_view
from surface_helpers import all_text, connection_id, interact, run_slash

from bot.blocks.ids import (
    ACTION_INVITE_CAMPAIGN,
    ACTION_INVITE_ORG,
    BLOCK_INVITE_CAMPAIGN,
    BLOCK_INVITE_CAMPAIGN_ID,
    BLOCK_INVITE_NOTE,
    BLOCK_INVITE_ORG,
    CALLBACK_INVITE,
    CALLBACK_INVITE_NOTICE,
)
from bot.blocks.preview import render_view
from handlers.ids import ACTION_REQUEST_REVIEW, SHORTCUT_REQUEST_REVIEW
from harness import running_service
from sandbox.signing import (
    block_actions_payload,
    block_suggestion_payload,
    selected_value,
    shortcut_payload,
)

JSON = dict[str, Any]


def _org_values(view: JSON) -> set[str]:
    element = block(view, BLOCK_INVITE_ORG)["element"]
    groups = element.get("option_groups") or [{"options": element.get("options", [])}]
    return {o["value"] for g in groups for o in g["options"]}


async def test_invite_command_opens_at_once_and_fills_from_gumado(database_url: str) -> None:
    async with running_service(database_url) as service:
        gumado = await connection_id(service, "gumado")
        await service.settle()
        service.sandboxes.gumado.inject_fault(delay=5, path="/api/v1/request-reviews/campaigns")
        started = time.time()  # the stand-in's clock
        ack, posts = await run_slash(service, "invite")
        assert ack is None and posts == []
        [opened] = service.slack.calls_to("views.open")
        # Opened within the trigger's 3 s (the stand-in refuses expired trigger ids), from cache.
        assert opened.at - started < 1.0
        loading = opened.args["view"]
        assert loading["callback_id"] == CALLBACK_INVITE
        assert "Checking Gumado…" in all_text(loading["blocks"])
        assert f"{gumado}:1" in _org_values(loading)
        await service.settle(timeout=20)
        [update] = service.slack.calls_to("views.update")
        assert update.at - started >= 5 and update.args["hash"]
        view = last_view(service, CALLBACK_INVITE)
        note = all_text(block(view, BLOCK_INVITE_NOTE))
        assert "3 campaigns" in note
        assert json.loads(view["private_metadata"]) == {
            "ch": "C0REVIEWS",
            "o": "command",
            "r": "US",
            "pl": "gumado",
        }
        shown = render_view(view)
        assert "Gumado campaign" in shown and "Customer's email" in shown
        assert "Send after (hours)" in shown


async def test_campaign_typeahead_searches_the_organizations_campaigns(database_url: str) -> None:
    async with running_service(database_url) as service:
        await run_slash(service, "invite")
        view = last_view(service, CALLBACK_INVITE)
        everything = await interact(
            service,
            block_suggestion_payload(
                ACTION_INVITE_CAMPAIGN, "", block_id=BLOCK_INVITE_CAMPAIGN, view=view
            ),
        )
        assert everything is not None
        names = [o["text"]["text"] for o in everything["options"]]
        assert sorted(names) == [
            "Monthly Customer Outreach",
            "New Patient Welcome",
            "Post-Visit Follow Up",
        ]

        def campaign_requests() -> list[str]:
            return [q for _, p, q in service.sandboxes.gumado.requests if p.endswith("/campaigns")]

        after_first = len(campaign_requests())
        found = await interact(
            service,
            block_suggestion_payload(
                ACTION_INVITE_CAMPAIGN, "follow", block_id=BLOCK_INVITE_CAMPAIGN, view=view
            ),
        )
        assert found is not None
        assert [o["text"]["text"] for o in found["options"]] == ["Post-Visit Follow Up"]
        campaign = next(
            c
            for c in service.sandboxes.gumado.campaigns.values()
            if c.name == "Post-Visit Follow Up"
        )
        assert found["options"][0]["value"] == campaign.id
        none = await interact(
            service,
            block_suggestion_payload(
                ACTION_INVITE_CAMPAIGN, "zzz", block_id=BLOCK_INVITE_CAMPAIGN, view=view
            ),
        )
        assert none is not None and "No campaign matches" in none["options"][0]["text"]["text"]
        asked = campaign_requests()
        assert asked and all("organization_id=1" in q for q in asked)
        # What was typed goes to the document's `search` parameter: one request per text,
        # never a walk through every page of campaigns.
        assert asked[after_first:] == [
            "organization_id=1&search=follow&page=1",
            "organization_id=1&search=zzz&page=1",
        ]


async def test_changing_to_a_cloutly_business_redraws_the_campaign_field(database_url: str) -> None:
    async with running_service(database_url) as service:
        cloutly = await connection_id(service, "cloutly")
        await run_slash(service, "invite")
        view = last_view(service, CALLBACK_INVITE)
        business = service.sandboxes.cloutly.businesses[0]
        value = f"{cloutly}:{business['id']}"
        payload = block_actions_payload(
            ACTION_INVITE_ORG,
            block_id=BLOCK_INVITE_ORG,
            action_type="static_select",
            selected_option=selected_value(value, business["name"])["selected_option"],
            view=view,
        )
        await interact(service, payload)
        await service.settle()
        redrawn = last_view(service, CALLBACK_INVITE)
        assert block(redrawn, BLOCK_INVITE_CAMPAIGN_ID)
        assert all(b.get("block_id") != BLOCK_INVITE_CAMPAIGN for b in redrawn["blocks"])
        assert block(redrawn, BLOCK_INVITE_ORG)["element"]["initial_option"]["value"] == value
        assert json.loads(redrawn["private_metadata"])["pl"] == "cloutly"
        assert "businesses in Cloutly" in all_text(redrawn["blocks"])


async def test_card_button_prefills_the_organization_and_the_shortcut_opens_too(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        gumado = await connection_id(service, "gumado")
        card_value = json.dumps({"platform": "gumado", "organization_id": "3"})
        await interact(
            service,
            block_actions_payload(ACTION_REQUEST_REVIEW, value=card_value, block_id="card_actions"),
        )
        await service.settle()
        view = last_view(service, CALLBACK_INVITE)
        assert block(view, BLOCK_INVITE_ORG)["element"]["initial_option"]["value"] == f"{gumado}:3"
        assert json.loads(view["private_metadata"])["o"] == "card"

        await interact(service, shortcut_payload(SHORTCUT_REQUEST_REVIEW))
        await service.settle()
        opened = service.slack.calls_to("views.open")
        assert len(opened) == 2
        metadata = json.loads(opened[-1].args["view"]["private_metadata"])
        assert metadata["ch"] is None and metadata["o"] == "shortcut"


async def test_people_not_allowed_see_who_may_invite(database_url: str) -> None:
    env = {"INVITE_ALLOWED_USER_IDS": "S0ONCALL"}
    async with running_service(database_url, env=env) as service:
        await run_slash(service, "invite", user_id="U0FRONT")
        refused = last_view(service, CALLBACK_INVITE_NOTICE)
        assert "only <!subteam^S0ONCALL> may browse reviews and send review invites" in all_text(
            refused["blocks"]
        )
        await run_slash(service, "invite", user_id="U0MANAGER")  # on call
        assert last_view(service, CALLBACK_INVITE)["id"] != refused["id"]
