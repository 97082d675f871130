"""Log lines as the service renders them (JSON, one per line), captured for assertions."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class RenderedLogs:
    """Every line the root handler's formatter rendered while capturing."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        """The JSON objects rendered so far (a traceback stays inside its line's JSON)."""
        return [json.loads(line) for line in self.text.splitlines() if line.startswith("{")]

    def events(self, event: str) -> list[dict[str, Any]]:
        return [r for r in self.records() if r.get("event") == event]


@contextmanager
def rendered_logs(level: int = logging.INFO) -> Iterator[RenderedLogs]:
    """Capture what the app's own formatter (bot.log.configure_logging) renders, as JSON."""
    root = logging.getLogger()
    formatter = root.handlers[0].formatter
    assert formatter is not None, "configure_logging() has not run"
    captured = RenderedLogs()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(formatter)
    handler.setLevel(level)
    root.addHandler(handler)
    try:
        yield captured
    finally:
        root.removeHandler(handler)
