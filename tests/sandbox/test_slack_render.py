"""Terminal rendering of Slack messages and modals."""

from __future__ import annotations

from typing import Any

from bot.blocks.preview import render_message, render_mrkdwn, render_view
from fakes.slack import running_fake_slack, web_client

CARD: dict[str, Any] = {
    "type": "message",
    "ts": "1732300000.000100",
    "user": "UBOT",
    "bot_id": "BBOT",
    "bot_profile": {"name": "reviews"},
    "text": "New 2★ review of Acme Dental",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "★★☆☆☆ New review on Google"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Dana K.* wrote:\n&gt; Slow service &amp; cold coffee",
            },
            "accessory": {
                "type": "image",
                "image_url": "https://x.test/a.png",
                "alt_text": "Dana K.",
            },
        },
        {
            "type": "context",
            "elements": [
                {"type": "image", "image_url": "https://x.test/g.png", "alt_text": "Google"},
                {
                    "type": "mrkdwn",
                    "text": "Acme Dental › Downtown · <!date^1732300000^{date_short_pretty}|Nov 22, 2024>",
                },
            ],
        },
        {"type": "divider"},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "View review"},
                    "url": "https://g.test",
                },
                {"type": "button", "text": {"type": "plain_text", "text": "Request a review…"}},
            ],
        },
    ],
}


def test_review_card_renders_as_a_person_sees_it() -> None:
    assert render_message(CARD) == "\n".join(
        [
            "reviews  APP",
            "★★☆☆☆ New review on Google",
            "══════════════════════════",
            "*Dana K.* wrote:  [image: Dana K.]",
            "> Slow service & cold coffee",
            "[image: Google]  Acme Dental › Downtown · Nov 22, 2024",
            "─" * 40,
            "[ View review ]  [ Request a review… ]",
        ]
    )


def test_mentions_links_dates_and_escapes() -> None:
    text = (
        "<!subteam^S0FRONTDESK|@frontdesk> <@U0MANAGER> <!here>: see <https://gumado.test/r/1|the review>"
        " in <#C0REVIEWS>, posted <!date^1732300000^{time}|3:00 PM>; 1 &lt; 2 &amp;&amp; <https://x.test>"
    )
    rendered = render_mrkdwn(text, users={"U0MANAGER": "marco"}, channels={"C0REVIEWS": "reviews"})
    assert rendered == (
        "@frontdesk @marco @here: see the review (https://gumado.test/r/1) in #reviews,"
        " posted 3:00 PM; 1 < 2 && https://x.test"
    )
    assert render_mrkdwn("<@U0NOBODY> <!subteam^S0ONCALL>") == "@U0NOBODY @S0ONCALL"


def test_thread_reply_and_ephemeral_marks() -> None:
    reply = {
        "type": "message",
        "ts": "2.0",
        "thread_ts": "1.0",
        "user": "U0ADMIN",
        "text": "On it\nCalling back",
    }
    assert render_message(reply, users={"U0ADMIN": "ada"}) == "↳ ada\n  On it\n  Calling back"
    ephemeral = {
        "ts": "3.0",
        "bot_id": "BBOT",
        "bot_profile": {"name": "reviews"},
        "visible_to": "U0ADMIN",
        "text": "Page 1 of 3",
    }
    assert render_message(ephemeral) == "reviews  APP  (only visible to you)\nPage 1 of 3"


def test_modal_shows_title_inputs_and_buttons() -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Request a review"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Organization"},
                "element": {
                    "type": "external_select",
                    "placeholder": {"type": "plain_text", "text": "Search organizations"},
                },
            },
            {
                "type": "input",
                "optional": True,
                "label": {"type": "plain_text", "text": "Email"},
                "element": {
                    "type": "plain_text_input",
                    "placeholder": {"type": "plain_text", "text": "customer@example.com"},
                },
                "hint": {"type": "plain_text", "text": "Email or phone is required."},
            },
        ],
    }
    assert render_view(view).splitlines() == [
        "┌─ Request a review " + "─" * 20,
        "│ Organization",
        "│   [ Search organizations ▾ ]",
        "│ Email (optional)",
        "│   [ customer@example.com ]",
        "│   Email or phone is required.",
        "└─ [ Cancel ]  [ Send ]",
    ]


async def test_transcript_of_a_channel_with_thread_and_ephemeral() -> None:
    async with running_fake_slack() as slack:
        client = web_client(slack)
        card = await client.chat_postMessage(
            channel="C0REVIEWS", text="New review", blocks=CARD["blocks"][:2]
        )
        await client.chat_postMessage(
            channel="C0REVIEWS", text="Reply published", thread_ts=card["ts"]
        )
        await client.chat_postEphemeral(
            channel="C0REVIEWS", user="U0FRONT", text="Only for <@U0FRONT>"
        )
        transcript = slack.transcript("C0REVIEWS", viewer="U0FRONT")
    assert transcript.split("\n\n") == [
        "reviews  APP\n★★☆☆☆ New review on Google\n══════════════════════════\n"
        "*Dana K.* wrote:  [image: Dana K.]\n> Slow service & cold coffee\n💬 1 reply",
        "↳ reviews  APP\n  Reply published",
        "reviews  APP  (only visible to you)\nOnly for @fatima",
    ]


def test_a_terminal_transcript_leaves_out_mrkdwn_emphasis_but_not_typed_text() -> None:
    message = {
        "ts": "1.0",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "⏰ *Overdue* _now_ ~old~"}},
            {"type": "section", "text": {"type": "plain_text", "text": "Waited *two hours*"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "snake_case 2 * 3 a*b*c"}},
        ],
    }
    lines = render_message(message, terminal=True).splitlines()
    assert lines == ["⏰ Overdue now old", "Waited *two hours*", "snake_case 2 * 3 a*b*c"]
    assert "*Overdue*" in render_message(message)
