"""``reviewbot demo`` as a newcomer runs it: no credentials, no network, no hang."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bot.config import EXPECTED


def test_demo_shows_every_card_the_mention_the_update_and_the_words_of_c9(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in EXPECTED}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = time.monotonic() - started
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    # About 12 s alone (README); the bound only catches a hang, as the suite runs 4 workers.
    assert elapsed < 45, f"the demo took {elapsed:.1f} s"
    assert "subscribed #reviews" in out
    assert "★★★★★ 5/5" in out and "★☆☆☆☆ 1/5" in out and "★★★★☆ 4/5" in out
    assert "🔔 @frontdesk" in out
    assert "Reply published" in out and "(edited)" in out
    # Review text is shown, never turned into a broadcast.
    assert "Tom <!channel> Baker" in out and "@channel" not in out and "@here" not in out
    assert "[ Mark handled ]" in out
    # Backfill, roll-up, the overdue reminder.
    assert "Posting the 3 most recent matching reviews here, oldest first." in out
    assert "📋 2 reviews at 4–5★" in out and "Maya Chen" in out and "Luis García" in out
    assert "⏰ Overdue" in out and "*Overdue*" not in out  # mrkdwn marks left out on a terminal
    assert "⏰ This 2★ Google review has not been answered for 45 minutes. @frontdesk" in out
    assert "[ Reply on Google ]" in out
    # Reads well as text: one kind of emoji, the hostile mentions explained, what to do next.
    assert ":white_check_mark:" not in out and "✅" in out
    assert "nobody is notified" in out and "the poller found it after" in out
    assert "Next:" in out and "reviewbot sandbox" in out and "Set-up guide" in out
    assert not list(tmp_path.iterdir()), "the demo leaves no files behind"
