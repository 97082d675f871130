"""The lock files, the Docker image's build order and compose.yaml, checked without Docker.

CI installs from the lock files; the image installs its dependencies in a layer before the
source is copied. These tests fail when pyproject.toml asks for what a lock file does not pin,
or when the Dockerfile or compose.yaml lose what the README promises of them.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.deps import Deps

ROOT = Path(__file__).resolve().parent.parent


def _pins(lock: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _assert_pinned(requirements: list[str], pins: dict[str, str], lock: str) -> None:
    for text in requirements:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not pinned in {lock}"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock} pins {requirement.name}=={pins[name]}, outside {requirement.specifier}"
        )


def test_the_lock_files_pin_every_dependency_within_its_range() -> None:
    project = _project()
    runtime, dev = project["dependencies"], project["optional-dependencies"]["dev"]
    _assert_pinned(runtime, _pins(ROOT / "requirements/lock.txt"), "requirements/lock.txt")
    dev_pins = _pins(ROOT / "requirements/dev-lock.txt")
    _assert_pinned(runtime + dev, dev_pins, "requirements/dev-lock.txt")
    # The app runs in CI with the versions the image ships.
    runtime_pins = _pins(ROOT / "requirements/lock.txt")
    differ = {n: (v, dev_pins.get(n)) for n, v in runtime_pins.items() if dev_pins.get(n) != v}
    assert not differ, f"lock.txt and dev-lock.txt disagree: {differ}"


def test_the_image_installs_the_lock_file_before_copying_the_source() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]

    def first(pattern: str) -> int:
        found = [i for i, line in enumerate(lines) if re.search(pattern, line)]
        assert found, f"the Dockerfile has no line matching {pattern!r}"
        return found[0]

    copy_lock = first(r"^COPY requirements/lock\.txt ")
    install_lock = first(r"^RUN pip install -r requirements/lock\.txt")
    copy_source = first(r"^COPY bot ")
    install_app = first(r"^RUN pip install --no-deps \.")
    assert copy_lock < install_lock < copy_source < install_app
    # No sandbox, tests or benchmarks in the image.
    assert not [line for line in lines if re.match(r"^COPY (\.|sandbox|tests|bench)\b", line)]


def test_compose_binds_loopback_and_waits_longer_than_the_shutdown() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    app = compose["services"]["app"]
    assert app["ports"] == ["127.0.0.1:3000:3000"]
    grace = re.fullmatch(r"(\d+)s", app["stop_grace_period"])
    assert grace is not None
    drain = Deps.drain.__defaults__
    assert drain is not None and int(grace.group(1)) > 2 * drain[0]


def test_the_package_says_its_license_and_needs_tzdata() -> None:
    project = _project()
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT")
    assert any(
        c.startswith("Programming Language :: Python :: 3.11") for c in project["classifiers"]
    )
    assert any(Requirement(r).name == "tzdata" for r in project["dependencies"])
