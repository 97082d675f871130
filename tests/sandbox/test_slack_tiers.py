"""The stand-in reads history at Tier 1 for a distributed (OAuth-installed) app, as Slack does."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.errors import SlackApiError

from fakes.slack import running_fake_slack, web_client
from sandbox.slack_seed import TEAM_ID

DISTRIBUTED = "xoxb-T0DEMO-7-distributed"


async def test_a_distributed_app_reads_history_once_a_minute_fifteen_at_a_time() -> None:
    async with running_fake_slack(history_window_seconds=0.5) as slack:
        slack.bot_tokens[DISTRIBUTED] = TEAM_ID
        slack.oauth.issued_tokens().add(DISTRIBUTED)  # as its OAuth flow issues them
        internal, distributed = web_client(slack), web_client(slack, token=DISTRIBUTED)
        for n in range(20):
            await internal.chat_postMessage(channel="C0REVIEWS", text=f"card {n}")

        # A manifest-made internal app keeps Tier 3: reads in a row, the limit it asks.
        for _ in range(3):
            page = await internal.conversations_history(channel="C0REVIEWS", limit=100)
            assert len(page["messages"]) == 20

        page = await distributed.conversations_history(channel="C0REVIEWS", limit=100)
        assert len(page["messages"]) == 15 and page["has_more"] is True
        with pytest.raises(SlackApiError) as refused:
            await distributed.conversations_history(channel="C0REVIEWS")
        assert refused.value.response.status_code == 429
        assert 1 <= int(refused.value.response.headers["Retry-After"]) <= 60
        # Per method: replies has its own minute.
        thread = await distributed.conversations_replies(
            channel="C0REVIEWS", ts=page["messages"][0]["ts"]
        )
        assert thread["ok"]
        await asyncio.sleep(0.6)  # the window passes
        again = await distributed.conversations_history(channel="C0REVIEWS")
        assert len(again["messages"]) == 15  # 15 is also the default
