"""Two workspaces installed through OAuth: neither sees nor changes the other's data or channels."""

from __future__ import annotations

import json
from typing import Any

from oauth_helpers import (
    ALPHA,
    ALPHA_CHANNEL,
    BETA,
    BETA_CHANNEL,
    add_gumado_connection,
    connections_of,
    install,
    oauth_service,
    slash,
)
from sqlalchemy import select

from bot.blocks.card import EVENT_TYPE_REVIEW_CARD
from bot.blocks.ids import (
    ACTION_INVITE_CAMPAIGN,
    ACTION_INVITE_EMAIL,
    ACTION_INVITE_ORG,
    BLOCK_INVITE_CAMPAIGN,
    BLOCK_INVITE_EMAIL,
    BLOCK_INVITE_ORG,
    CALLBACK_INVITE,
)
from harness import SIGNING_SECRET, Service, wait_for
from sandbox.signing import (
    interaction_body,
    selected_value,
    signed_headers,
    text_value,
    view_submission_payload,
)
from storage.models import Invite, Subscription

JSON = dict[str, Any]


def _text(posts: list[JSON]) -> str:
    return json.dumps(posts)


def _cards(service: Service, channel: str) -> list[JSON]:
    return [
        m
        for m in service.slack.messages(channel)
        if (m.get("metadata") or {}).get("event_type") == EVENT_TYPE_REVIEW_CARD
    ]


def _digests(service: Service, channel: str) -> list[JSON]:
    return [
        m
        for m in service.slack.messages(channel)
        if (m.get("metadata") or {}).get("event_type") == "review_digest"
    ]


async def _subscriptions(service: Service) -> list[tuple[str, str, int]]:
    async with service.deps.sessions() as session:
        rows = await session.scalars(select(Subscription).order_by(Subscription.id))
        return [(row.team_id, row.channel_id, row.id) for row in rows]


async def _subscribe(service: Service, team_id: str, channel_id: str) -> int:
    status, _, url = await slash(service, "subscribe all", team_id=team_id, channel_id=channel_id)
    assert status == 200
    await service.settle()
    assert "Subscribed" in _text(service.slack.responses(url)) or service.slack.responses(url)
    mine = [sid for team, channel, sid in await _subscriptions(service) if team == team_id]
    assert len(mine) == 1, await _subscriptions(service)
    return mine[0]


async def _post_signed(service: Service, body: str) -> tuple[int, bytes]:
    async with service.http.post(
        f"{service.base_url}/slack/events",
        data=body.encode(),
        headers=signed_headers(body, SIGNING_SECRET),
    ) as response:
        return response.status, await response.read()


async def test_two_workspaces_cannot_see_or_change_each_other(database_url: str) -> None:
    async with oauth_service(database_url) as service:
        alpha_token = await install(service, ALPHA, "Alpha Dental")
        beta_token = await install(service, BETA, "Beta Bakery")
        assert alpha_token != beta_token
        alpha_conn, alpha_key = await add_gumado_connection(service, ALPHA, "Alpha Gumado")
        beta_conn, _ = await add_gumado_connection(service, BETA, "Beta Gumado")
        alpha_sub = await _subscribe(service, ALPHA, ALPHA_CHANNEL)
        beta_sub = await _subscribe(service, BETA, BETA_CHANNEL)

        # Subscriptions: each workspace lists only its own, even naming the other's channel.
        _, _, url = await slash(service, "subscriptions", team_id=BETA, channel_id=BETA_CHANNEL)
        await service.settle()
        listed = _text(service.slack.responses(url))
        assert f"#{beta_sub}" in listed or str(beta_sub) in listed
        _, _, url = await slash(service, "subscriptions", team_id=BETA, channel_id=ALPHA_CHANNEL)
        await service.settle()
        assert f"#{alpha_sub}" not in _text(service.slack.responses(url))

        # …and cannot remove the other's, by id or by pointing at its channel.
        for channel, target in ((BETA_CHANNEL, str(alpha_sub)), (ALPHA_CHANNEL, "all")):
            await slash(service, f"unsubscribe {target}", team_id=BETA, channel_id=channel)
            await service.settle()
        remaining = await _subscriptions(service)
        assert (ALPHA, ALPHA_CHANNEL, alpha_sub) in remaining

        # Connections: status shows the workspace's own only.
        _, _, url = await slash(service, "status", team_id=BETA, channel_id=BETA_CHANNEL)
        await service.settle()
        status_text = _text(service.slack.responses(url))
        assert "Beta Gumado" in status_text and "Alpha Gumado" not in status_text
        assert await connections_of(service, ALPHA) == ["Alpha Gumado"]
        assert await connections_of(service, BETA) == ["Beta Gumado"]

        # Invites: Beta's modal offers Beta's connection only, and a submission naming
        # Alpha's connection sends nothing and records nothing.
        status, _, _ = await slash(service, "invite", team_id=BETA, channel_id=BETA_CHANNEL)
        assert status == 200
        await service.settle()
        views = [v for v in service.slack.views.values() if v["callback_id"] == CALLBACK_INVITE]
        assert views, [
            (v["callback_id"], json.dumps(v["blocks"])[:300]) for v in service.slack.views.values()
        ]
        view = views[-1]
        offered = json.dumps(view["blocks"])
        assert f'"{beta_conn}:' in offered and f'"{alpha_conn}:' not in offered
        campaign = next(iter(service.sandboxes.gumado.campaigns.values()))
        values = {
            BLOCK_INVITE_ORG: {ACTION_INVITE_ORG: selected_value(f"{alpha_conn}:1", "Acme")},
            BLOCK_INVITE_CAMPAIGN: {
                ACTION_INVITE_CAMPAIGN: selected_value(
                    campaign.id, campaign.name, "external_select"
                )
            },
            BLOCK_INVITE_EMAIL: {
                ACTION_INVITE_EMAIL: text_value("pat@example.com", "email_text_input")
            },
        }
        before = len(service.sandboxes.gumado.invites)
        payload = view_submission_payload(view, values, team_id=BETA)
        status, _ = await _post_signed(service, interaction_body(payload))
        assert status == 200
        await service.settle()
        assert len(service.sandboxes.gumado.invites) == before
        async with service.deps.sessions() as session:
            invites = list(await session.scalars(select(Invite)))
        assert not [i for i in invites if i.connection_id == alpha_conn]

        # Webhooks: a review on Alpha's connection becomes a card in Alpha's channel only,
        # posted with Alpha's own bot token.
        gumado = service.sandboxes.gumado
        gumado.register_webhook(f"{service.base_url}/webhooks/gumado/{alpha_key}")
        gumado.add_review(rating=5, author="Ana", message="Lovely staff")
        await gumado.wait_for_deliveries()
        await wait_for(lambda: len(_cards(service, ALPHA_CHANNEL)) == 1, what="Alpha's card")
        await service.settle()
        assert _cards(service, BETA_CHANNEL) == []
        posts = service.slack.calls_to("chat.postMessage")
        assert posts
        assert {call.args["channel"] for call in posts} == {ALPHA_CHANNEL}
        assert {call.headers["authorization"] for call in posts} == {f"Bearer {alpha_token}"}

        # Digests: each workspace's cover its own connection's organizations only (both
        # connections read the same sandbox account, so the names are the same), land in its
        # own channel and are posted with its own token.
        for team, channel in ((ALPHA, ALPHA_CHANNEL), (BETA, BETA_CHANNEL)):
            _, _, url = await slash(service, "digest now", team_id=team, channel_id=channel)
            await service.settle(timeout=30)
        alpha_digests = _digests(service, ALPHA_CHANNEL)
        beta_digests = _digests(service, BETA_CHANNEL)
        assert alpha_digests and beta_digests
        assert {d["metadata"]["event_payload"]["connection_id"] for d in alpha_digests} == {
            alpha_conn
        }
        assert {d["metadata"]["event_payload"]["connection_id"] for d in beta_digests} == {
            beta_conn
        }
        tokens = {ALPHA_CHANNEL: f"Bearer {alpha_token}", BETA_CHANNEL: f"Bearer {beta_token}"}
        for call in service.slack.calls_to("chat.postMessage"):
            assert call.headers["authorization"] == tokens[call.args["channel"]]
