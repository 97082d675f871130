"""The import contracts in pyproject.toml hold, and would catch an arrow pointing the wrong way.

Each check runs ``lint-imports`` on a copy of the packages, so a forbidden import can be planted
without touching the tree under test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage", "sandbox")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(tree)}  # the copy, not the installed packages
    return subprocess.run(
        [str(command), "--config", "pyproject.toml", "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _plant(path: Path, line: str) -> None:
    text = path.read_text()
    head, sep, rest = text.partition("from __future__ import annotations\n")
    path.write_text(head + sep + line + "\n" + rest)


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_a_block_builder_importing_the_database_breaks_blocks_are_pure(tree: Path) -> None:
    _plant(tree / "bot" / "blocks" / "card.py", "import sqlalchemy")
    result = _lint_imports(tree)
    assert result.returncode != 0
    assert "Blocks are pure" in result.stdout and "BROKEN" in result.stdout
    assert "bot.blocks.card -> sqlalchemy" in result.stdout


def test_storage_importing_the_app_breaks_storage_below(tree: Path) -> None:
    _plant(tree / "storage" / "models.py", "import bot.app")
    result = _lint_imports(tree)
    assert result.returncode != 0
    assert "storage is below everything but bot.domain BROKEN" in result.stdout
    assert "storage.models -> bot.app" in result.stdout


def test_a_service_importing_a_block_builder_breaks_services_speak_no_slack(tree: Path) -> None:
    _plant(tree / "bot" / "services" / "status.py", "import bot.blocks.status")
    result = _lint_imports(tree)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "bot.services.status -> bot.blocks.status" in result.stdout


def test_a_service_importing_slack_sdk_breaks_services_speak_no_slack(tree: Path) -> None:
    _plant(tree / "bot" / "services" / "browse.py", "import slack_sdk")
    result = _lint_imports(tree)
    assert result.returncode != 0
    assert "bot.services.browse -> slack_sdk" in result.stdout


def test_a_result_importing_a_builder_breaks_the_leaves(tree: Path) -> None:
    _plant(tree / "bot" / "results.py", "import bot.blocks.text")
    result = _lint_imports(tree)
    assert result.returncode != 0
    assert "bot.results -> bot.blocks.text" in result.stdout
