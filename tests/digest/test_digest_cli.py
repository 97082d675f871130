"""``reviewbot digest`` as a user runs it: a real process on a seeded SQLite file."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from digest_samples import add_connection, add_reviews, org1_history
from sqlalchemy import insert

from bot.config import EXPECTED
from fakes.slack import running_fake_slack
from storage.engine import create_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Organization

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TOKEN = "xoxb-111-222-digest-cli"
# Monday 00:00 at UTC−9 is 09:00 UTC: week 2026-W47 then ends at the samples' NOW, so the
# figures are the hand-counted ones of test_stats.py (11 reviews, average 32/11 = 2.91).
WEEK = ["--week", "2026-W47", "--timezone", "Etc/GMT+9"]


async def seeded(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'digest.db'}"
    await upgrade(url)
    engine = create_engine(url)
    sessions = make_sessionmaker(engine)
    try:
        connection = await add_connection(sessions, "main")
        async with sessions() as session, session.begin():
            await session.execute(
                insert(Organization),
                [{"connection_id": connection, "platform_id": "org-1", "name": "Corner Bakery"}],
            )
        await add_reviews(sessions, org1_history(connection))
    finally:
        await engine.dispose()
    return url


async def reviewbot(*args: str, **env: str) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in EXPECTED}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "digest",
        *args,
        env={**clean, "LOG_LEVEL": "WARNING", **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_dry_run_prints_the_digest_and_writes_the_chart(tmp_path: Path) -> None:
    url = await seeded(tmp_path)
    chart = tmp_path / "trend.png"
    code, out, err = await reviewbot(
        "--org",
        "corner bakery",
        *WEEK,
        "--dry-run",
        "--no-sync",
        "--chart",
        str(chart),
        DATABASE_URL=url,
    )
    assert code == 0, err
    assert "Digest of Corner Bakery, 2026-W47" in out
    assert "Weekly digest · Corner Bakery" in out
    assert "2.91★" in out and "11 (+8 vs last week)" in out
    assert chart.read_bytes().startswith(PNG_MAGIC)


async def test_bad_arguments_are_one_clear_line(tmp_path: Path) -> None:
    url = await seeded(tmp_path)
    code, out, _ = await reviewbot("--org", "Nowhere", "--dry-run", DATABASE_URL=url)
    assert code == 2 and "no organization called 'Nowhere'" in out
    code, _, err = await reviewbot(
        "--org", "Corner Bakery", "--week", "2026-W60", "--dry-run", DATABASE_URL=url
    )
    assert code == 2 and "not an ISO week such as 2026-W47" in err and "Traceback" not in err
    code, _, err = await reviewbot("--org", "Corner Bakery", "--no-sync", DATABASE_URL=url)
    assert code == 2 and "SLACK_BOT_TOKEN" in err


async def test_posting_sends_the_digest_to_the_named_channel(tmp_path: Path) -> None:
    url = await seeded(tmp_path)
    async with running_fake_slack(bot_tokens={TOKEN: "T1"}) as slack:
        code, out, err = await reviewbot(
            "--org",
            "Corner Bakery",
            *WEEK,
            "--no-sync",
            "--channel",
            "C0REVIEWS",
            DATABASE_URL=url,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_API_URL=slack.api_url,
        )
        assert code == 0, err
        assert "Posted in C0REVIEWS" in out
        [digest] = slack.messages("C0REVIEWS")
        assert "Corner Bakery" in digest["text"]
        [chart] = slack.files
        assert chart.thread_ts == digest["ts"]
