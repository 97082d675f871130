"""``/reviews subscribe <words>``: every grammar form, mentions, connections, bad input."""

from __future__ import annotations

from surface_helpers import all_text, connection_id, run_slash, subscriptions_of

from bot.filters import Filter
from harness import running_service


async def test_subscribe_all_stores_a_row_and_announces_it(database_url: str) -> None:
    async with running_service(database_url) as service:
        _, posts = await run_slash(service, "subscribe all")
        [row] = await subscriptions_of(service)
        assert row.team_id == "T0DEMO"
        assert row.filter_text == "all"
        assert row.connection_id is None
        assert row.mentions == []
        assert row.alert_threshold == 2
        assert row.created_by == "U0ADMIN"
        assert row.digest_timezone == "America/New_York"  # the admin's users.info tz
        assert (row.digest_day, row.digest_hour) == (0, 9)
        assert Filter.from_json(row.filter) == Filter()

        # Visible in the channel: everyone there sees what will arrive and who set it up.
        [announcement] = posts
        assert announcement["response_type"] == "in_channel"
        assert f"(#{row.id})" in announcement["text"]
        assert "<@U0ADMIN> subscribed <#C0REVIEWS>" in announcement["text"]
        assert "All reviews" in announcement["text"]
        assert any("subscribed" in m["text"] for m in service.slack.messages("C0REVIEWS"))

        # The same again: no second row, a private note saying it exists.
        _, posts = await run_slash(service, "subscribe ALL")
        assert len(await subscriptions_of(service)) == 1
        [note] = posts
        assert note["response_type"] == "ephemeral"
        assert f"already has this subscription (#{row.id})" in note["text"]


async def test_full_grammar_resolves_mentions_and_warns_about_unknown_names(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        text = (
            'subscribe org:"Acme Dental" location:3 rating:<=3 source:Google,Yelp '
            "mention:@frontdesk alert:<=2"
        )
        _, posts = await run_slash(service, text)
        [row] = await subscriptions_of(service)
        chosen = Filter.from_json(row.filter)
        assert chosen.organization == "Acme Dental"
        assert chosen.location == "3"
        assert (chosen.rating_min, chosen.rating_max) == (1, 3)
        assert chosen.sources == frozenset({"google", "yelp"})
        assert [(m.kind, m.value, m.label) for m in chosen.mentions] == [
            ("group", "S0FRONTDESK", "frontdesk")
        ]
        assert row.mentions == ["S0FRONTDESK"]
        assert row.alert_threshold == 2
        assert row.filter_text == chosen.canonical_text()
        announcement, warning = posts
        assert announcement["response_type"] == "in_channel"
        shown = announcement["text"]
        assert "1–3★ reviews of Acme Dental › 3 from Google, Yelp" in shown
        assert "@frontdesk" in shown
        assert "<!subteam^" not in shown  # named, not pinged, in the announcement
        assert warning["response_type"] == "ephemeral"
        assert "no organization called “Acme Dental” yet" in warning["text"]
        assert "will match once it appears" in warning["text"]


async def test_every_rating_form_and_escaped_mentions(database_url: str) -> None:
    async with running_service(database_url) as service:
        cases = [
            ("rating:5", (5, 5), [], 2),
            ("rating:>=4 source:booking", (4, 5), [], 2),
            ("rating:1-3 mention:<@U0FRONT|fatima> alert:3", (1, 3), ["U0FRONT"], 3),
            ("rating:<=2 mention:<!subteam^S0ONCALL|@oncall-manager>", (1, 2), ["S0ONCALL"], 2),
            (
                "rating:1 mention:<!subteam^S0ONCALL>,<@U0MANAGER>",
                (1, 1),
                ["S0ONCALL", "U0MANAGER"],
                2,
            ),
            ("all mention:@fatima alert:<=1", (1, 5), ["U0FRONT"], 1),
            ('org:"Acme Dental Clinic" mention:@Marco', (1, 5), ["U0MANAGER"], 2),
        ]
        for text, ratings, mentions, alert in cases:
            _, posts = await run_slash(service, f"subscribe {text}")
            assert posts and posts[0]["response_type"] == "in_channel", (text, posts)
            row = (await subscriptions_of(service))[-1]
            chosen = Filter.from_json(row.filter)
            assert (chosen.rating_min, chosen.rating_max) == ratings, text
            assert row.mentions == mentions, text
            assert row.alert_threshold == alert == chosen.alert_threshold, text
        rows = await subscriptions_of(service)
        assert len(rows) == len(cases)
        # "booking" is stored as reviews carry it: the display name, case-folded.
        assert Filter.from_json(rows[1].filter).sources == frozenset({"booking.com"})
        # A known organization gets no warning.
        _, posts = await run_slash(service, 'subscribe org:"acme dental clinic" rating:5')
        assert len(posts) == 1


async def test_connection_narrows_and_unknown_connection_lists_names(database_url: str) -> None:
    async with running_service(database_url) as service:
        _, posts = await run_slash(service, "subscribe connection:Cloutly rating:<=2")
        [row] = await subscriptions_of(service)
        assert row.connection_id == await connection_id(service, "cloutly")
        assert "connection cloutly" in posts[0]["text"]

        _, posts = await run_slash(service, "subscribe connection:nope")
        [answer] = posts
        assert answer["response_type"] == "ephemeral"
        assert "no connection called `nope`" in answer["text"]
        assert "`cloutly`" in answer["text"] and "`gumado`" in answer["text"]
        assert len(await subscriptions_of(service)) == 1


async def test_bad_grammar_and_unknown_handles_name_the_word(database_url: str) -> None:
    async with running_service(database_url) as service:
        cases = [
            ("subscribe rating:9", "`rating:9`", "Example:"),
            ("subscribe colour:red", "`colour:red`", "Filters:"),
            ('subscribe org:"Acme', '`org:"Acme`', "never closed"),
            ("subscribe all rating:5", "`all`", "leave out `all`"),
            ("subscribe mention:@here", "`mention:@here`", "not @here/@channel"),
            ("subscribe mention:@nobody", "`@nobody`", "no user group or person"),
        ]
        for text, word, reason in cases:
            _, posts = await run_slash(service, text)
            [answer] = posts
            assert answer["response_type"] == "ephemeral", text
            shown = all_text(answer)
            assert word in shown, (text, shown)
            assert reason in shown, (text, shown)
        assert await subscriptions_of(service) == []


async def test_only_admins_may_subscribe(database_url: str) -> None:
    async with running_service(database_url) as service:
        _, posts = await run_slash(service, "subscribe all", user_id="U0FRONT")
        [refusal] = posts
        assert refusal["response_type"] == "ephemeral"
        assert "Only workspace admins and owners" in refusal["text"]
        assert "<@U0ADMIN>" in refusal["text"]  # who may: ADMIN_USER_IDS is named
        assert await subscriptions_of(service) == []

        # A Slack admin who is not in ADMIN_USER_IDS may (users.info is_admin).
        _, posts = await run_slash(service, "subscribe rating:5", user_id="U0MANAGER")
        assert posts[0]["response_type"] == "in_channel"
        [row] = await subscriptions_of(service)
        assert row.created_by == "U0MANAGER"
        assert row.digest_timezone == "Europe/London"

        _, posts = await run_slash(service, "unsubscribe all", user_id="U0GUEST")
        assert "Only workspace admins" in posts[0]["text"]
        assert len(await subscriptions_of(service)) == 1


async def test_admin_user_ids_grant_the_right(database_url: str) -> None:
    async with running_service(database_url, env={"ADMIN_USER_IDS": "U0FRONT"}) as service:
        _, posts = await run_slash(service, "subscribe all", user_id="U0FRONT")
        assert posts[0]["response_type"] == "in_channel"
        [row] = await subscriptions_of(service)
        assert row.created_by == "U0FRONT"
