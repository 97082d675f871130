"""An OAuth (distributed) install reads history at Tier 1; a single-workspace app at Tier 3."""

from __future__ import annotations

from oauth_helpers import oauth_service

from bot.pipeline.assembly import PIPELINE_KEY
from bot.pipeline.history import TIER1, TIER3
from harness import running_service


async def test_the_history_budget_follows_the_install_kind(database_url: str) -> None:
    async with oauth_service(database_url) as service:
        assert service.app[PIPELINE_KEY].sender.posting.history.tier == TIER1
    async with running_service(database_url) as service:
        assert service.app[PIPELINE_KEY].sender.posting.history.tier == TIER3
