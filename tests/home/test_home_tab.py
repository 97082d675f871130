"""The App Home tab: published on ``app_home_opened``, admin parts hidden, buttons that work."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from admin_helpers import (
    all_text,
    interact,
    latest_view,
    post_slack,
    slash,
    submit_connect,
)
from blocks.limits import assert_view_within_limits
from sqlalchemy import select

from bot.blocks.ids import (
    ACTION_HOME_CHANNEL,
    ACTION_HOME_CONNECT,
    ACTION_HOME_DIGEST,
    ACTION_HOME_INVITE,
    ACTION_HOME_SUBSCRIBE,
    ACTION_SUB_ALERT,
    ACTION_SUB_RATING,
    BLOCK_HOME_ACTIONS,
    BLOCK_HOME_CHANNEL,
    BLOCK_SUB_ALERT,
    BLOCK_SUB_RATING,
    CALLBACK_CONNECT,
    CALLBACK_DIGEST_SETTINGS,
    CALLBACK_HOME_CHANNEL,
    CALLBACK_HOME_NOTICE,
    CALLBACK_SUBSCRIBE,
    CALLBACK_SUBSCRIBE_NOTICE,
)
from bot.filters import Filter
from harness import WEBHOOK_KEY, Service, running_service, wait_for
from sandbox.gumado import ALL_SCOPES
from sandbox.signing import (
    block_actions_payload,
    event_body,
    selected_value,
    view_submission_payload,
)
from storage.models import Connection, Invite, Subscription

JSON = dict[str, object]
HOSTILE = "<!channel> *x* `y` & <https://evil.test|click>"


async def _open_home(service: Service, user_id: str, n: int = 1) -> dict:
    event = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": "1732300000.000100",
    }
    status, _ = await post_slack(service, event_body(event, event_id=f"Ev0HOME{user_id}{n}"))
    assert status == 200
    await service.settle()
    published = [c.args for c in service.slack.calls_to("views.publish")]
    assert published and published[-1]["user_id"] == user_id, "no Home tab was published"
    sent = published[-1]["view"]
    sent = json.loads(sent) if isinstance(sent, str) else sent
    assert_view_within_limits(sent)  # as sent; the fake Slack accepted it as well
    view = service.slack.published_home(user_id)
    assert view is not None
    return view


def _buttons(view: dict) -> set[str]:
    actions = next(b for b in view["blocks"] if b.get("block_id") == BLOCK_HOME_ACTIONS)
    return {e["action_id"] for e in actions["elements"]}


def _review_created(review_id: int) -> dict:
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    return {
        "webhook_event": "review-created",
        "id": review_id,
        "organization_id": 1,
        "location_id": 3,
        "source_name": "google",
        "identifier": f"home-{review_id}",
        "avatar": None,
        "author": "Sarah Johnson",
        "rating": 2,
        "original_rating": 2,
        "title": None,
        "message": "Waited an hour.",
        "url": "https://maps.google.com/review/x",
        "verified": True,
        "replied": False,
        "reply_message": None,
        "reply_url": None,
        "hidden": False,
        "reply_published_on": None,
        "published_on": now,
        "review_updated_on": None,
        "updated_at": now,
        "created_at": now,
        "meta": {},
    }


async def _add_invites(service: Service) -> None:
    async with service.deps.sessions() as session, session.begin():
        gumado = await session.scalar(select(Connection.id).where(Connection.name == "gumado"))
        base = datetime.now(UTC) - timedelta(hours=1)
        for n in range(7):
            session.add(
                Invite(
                    team_id="T0DEMO",
                    user_id="U0ADMIN" if n < 6 else "U0FRONT",
                    connection_id=gumado,
                    campaign_id="c1",
                    platform_invite_id=f"inv-{n}",
                    contact_hash=f"h{n}",
                    submission_key=f"home-{n}",
                    status="sent",
                    created_at=base + timedelta(minutes=n),
                )
            )


async def test_home_shows_connections_subscriptions_schedules_and_recent_activity(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await slash(service, "subscribe all")
        await slash(service, "subscribe rating:<=2", channel_id="C0GENERAL")
        async with service.http.post(service.webhook_url, json=_review_created(9001)) as response:
            assert response.status == 200
        await wait_for(
            lambda: any(
                "Sarah Johnson" in json.dumps(m) for m in service.slack.messages("C0REVIEWS")
            ),
            what="the review card",
        )
        await service.settle()
        await _add_invites(service)

        view = await _open_home(service, "U0ADMIN")
        assert view["type"] == "home"
        shown = all_text(view)
        assert _buttons(view) == {
            ACTION_HOME_INVITE,
            ACTION_HOME_CONNECT,
            ACTION_HOME_SUBSCRIBE,
            ACTION_HOME_DIGEST,
        }
        assert "*gumado* (Gumado) — 🟢 healthy" in shown
        assert "*cloutly* (Cloutly)" in shown
        assert f"https://reviews.example.test/webhooks/gumado/{WEBHOOK_KEY}" in shown
        assert "(2 in this workspace)" in shown
        assert "<#C0REVIEWS>" in shown and "<#C0GENERAL>" in shown
        assert "digest Mondays 09:00" in shown
        assert (
            "Sarah Johnson in <#C0REVIEWS>" in shown or "by Sarah Johnson in <#C0REVIEWS>" in shown
        )
        # The last five invites of this person, newest first; not the other person's.
        assert "inv-5" in shown and "inv-1" in shown and "inv-0" not in shown
        assert "inv-6" not in shown

        # Not an admin: no configuration buttons, no webhook URL; still the invite button.
        view = await _open_home(service, "U0FRONT")
        shown = all_text(view)
        assert _buttons(view) == {ACTION_HOME_INVITE}
        assert WEBHOOK_KEY not in json.dumps(view)
        assert "*gumado* (Gumado)" in shown
        assert "inv-6" in shown and "inv-5" not in shown


async def test_home_with_30_subscriptions_is_within_slack_limits(database_url: str) -> None:
    async with running_service(database_url) as service:
        async with service.deps.sessions() as session, session.begin():
            for n in range(30):
                chosen = Filter()
                session.add(
                    Subscription(
                        team_id="T0DEMO",
                        channel_id=f"C{n:08d}",
                        filter_text=HOSTILE * 3,
                        filter=chosen.to_json() if n % 2 else {"broken": HOSTILE},
                        mentions=[],
                        created_by="U0ADMIN",
                        digest_enabled=n % 3 != 0,
                        digest_day=n % 7,
                        digest_hour=n % 24,
                        digest_timezone="America/Argentina/ComodRivadavia",
                    )
                )
        view = await _open_home(service, "U0ADMIN")  # the fake Slack validates it as well
        assert len(view["blocks"]) <= 100
        shown = all_text(view)
        assert "(30 in this workspace)" in shown
        assert shown.count("• <#C0000") == 30
        assert "<!channel>" not in shown and "<https://evil" not in shown
        assert "digest off" in shown and "digest Sundays 13:00" in shown


async def _click(service: Service, action_id: str, user_id: str = "U0ADMIN") -> None:
    home = service.slack.published_home(user_id)
    assert home is not None
    payload = block_actions_payload(
        action_id, view=home, block_id=BLOCK_HOME_ACTIONS, user_id=user_id
    )
    assert await interact(service, payload) is None


async def _pick_channel(service: Service, channel_id: str) -> dict | None:
    picker = latest_view(service, CALLBACK_HOME_CHANNEL)
    values = {
        BLOCK_HOME_CHANNEL: {
            ACTION_HOME_CHANNEL: {
                "type": "conversations_select",
                "selected_conversation": channel_id,
            }
        }
    }
    return await interact(service, view_submission_payload(picker, values))


async def test_home_buttons_open_connect_invite_subscribe_and_digest_forms(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        await _open_home(service, "U0ADMIN")

        # Connect: the modal; the result comes as a direct message and the Home tab refreshes.
        await _click(service, ACTION_HOME_CONNECT)
        assert latest_view(service, CALLBACK_CONNECT)
        token = service.sandboxes.gumado.add_token("from-home", ALL_SCOPES)
        ack, _ = await submit_connect(service, "gumado", token, "from-home")
        assert ack is not None and ack["response_action"] == "update"
        [dm] = [
            call.args
            for call in service.slack.calls_to("chat.postMessage")
            if "/webhooks/gumado/" in json.dumps(call.args)
        ]
        assert "Settings → API & Webhooks" in json.dumps(dm, ensure_ascii=False)
        assert token not in json.dumps(dm)
        home = service.slack.published_home("U0ADMIN")
        assert home is not None and "*from-home* (Gumado)" in all_text(home)

        # Request a review: the invite modal (as from the global shortcut).
        opened = len(service.slack.calls_to("views.open"))
        await _click(service, ACTION_HOME_INVITE)
        calls = service.slack.calls_to("views.open")
        assert len(calls) == opened + 1
        assert calls[-1].args["view"]["callback_id"].startswith("invite")

        # Subscribe: pick a channel, then the subscription form replaces the picker.
        await _click(service, ACTION_HOME_SUBSCRIBE)
        picker = latest_view(service, CALLBACK_HOME_CHANNEL)
        ack = await _pick_channel(service, "C0GENERAL")
        assert ack is not None and ack["response_action"] == "update"
        assert ack["view"]["callback_id"] == CALLBACK_SUBSCRIBE_NOTICE  # "Loading…"
        form = service.slack.views[picker["id"]]
        assert form["callback_id"] == CALLBACK_SUBSCRIBE
        values = {
            BLOCK_SUB_RATING: {ACTION_SUB_RATING: selected_value("1-3", "3★ or less")},
            BLOCK_SUB_ALERT: {ACTION_SUB_ALERT: selected_value("2", "2★ or less")},
        }
        assert await interact(service, view_submission_payload(form, values)) is None
        async with service.deps.sessions() as session:
            channels = list(await session.scalars(select(Subscription.channel_id)))
        assert channels == ["C0GENERAL"]
        assert any("subscribed" in m["text"] for m in service.slack.messages("C0GENERAL"))

        # Digest settings: a channel without subscriptions says so; one with them opens the form.
        await _click(service, ACTION_HOME_DIGEST)
        assert await _pick_channel(service, "C0REVIEWS") is None
        notice = latest_view(service, CALLBACK_HOME_NOTICE)
        assert "subscription" in all_text(notice).lower()
        await slash(service, "subscribe all")
        await _click(service, ACTION_HOME_DIGEST)
        assert await _pick_channel(service, "C0REVIEWS") is None
        assert latest_view(service, CALLBACK_DIGEST_SETTINGS)

        # A non-admin's Home has none of these; a forged click opens only a refusal.
        await _open_home(service, "U0FRONT")
        before = len(service.slack.calls_to("views.open"))
        payload = block_actions_payload(
            ACTION_HOME_CONNECT, view=service.slack.published_home("U0FRONT"), user_id="U0FRONT"
        )
        await interact(service, payload)
        assert len(service.slack.calls_to("views.open")) == before + 1
        assert "Only workspace admins" in all_text(
            service.slack.views[list(service.slack.views)[-1]]
        )
