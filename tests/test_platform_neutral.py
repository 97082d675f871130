"""No module outside ``bot/providers/`` branches on a platform: a third one is a new package.

The app reads ``bot.providers.registry.PLATFORMS`` and each provider's ``info``. Allowed to name
platforms: ``bot/providers/`` itself, the platform stand-ins in ``sandbox/``, the settings
schema (its variable names are fixed by the product), and the demo that drives the stand-ins.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = ("bot/providers/", "sandbox/", "bot/config.py", "bot/demo.py")
PLATFORM_NAMES = ("gumado", "cloutly")
PATTERNS = [re.compile(rf"""["']{name}["']""", re.IGNORECASE) for name in PLATFORM_NAMES] + [
    re.compile(r"\b(Gumado|Cloutly)(Client|Provider|PayloadError)\b"),
    re.compile(r"\bproviders\.(gumado|cloutly)\b"),
    re.compile(r"\bsettings\.(gumado|cloutly)_"),
]


def _offenders() -> list[str]:
    found: list[str] = []
    for top in ("bot", "handlers", "storage"):
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(ALLOWED):
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if any(pattern.search(line) for pattern in PATTERNS):
                    found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_no_module_outside_providers_names_a_platform() -> None:
    assert _offenders() == []


def test_the_check_would_catch_a_branch(tmp_path: Path) -> None:
    # The patterns match the shapes the app used to branch with.
    lines = [
        'if connection.platform == "gumado":',
        "isinstance(client, CloutlyClient)",
        "from bot.providers.gumado import UNSET",
        "settings.cloutly_api_key",
    ]
    assert all(any(p.search(line) for p in PATTERNS) for line in lines)
