"""The 12-week trend as a PNG (matplotlib, Agg backend) and as a text sparkline."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display: render to memory only, safe in any thread

from matplotlib.figure import Figure

from bot.digest.stats import WeekFigures

__all__ = ["SPARK_BLOCKS", "render_trend_png", "sparkline"]

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
_GAP = " "


def sparkline(
    values: Sequence[float | None], *, low: float | None = None, high: float | None = None
) -> str:
    """Render values as ``▁▂▃▄▅▆▇█`` characters; None (an empty week) is a gap."""
    present = [v for v in values if v is not None and not math.isnan(v)]
    if not present:
        return _GAP * len(values)
    lo = min(present) if low is None else low
    hi = max(present) if high is None else high
    top = len(SPARK_BLOCKS) - 1
    chars = []
    for value in values:
        if value is None or math.isnan(value):
            chars.append(_GAP)
        elif hi <= lo:
            chars.append(SPARK_BLOCKS[top // 2])
        else:
            level = round((min(max(value, lo), hi) - lo) / (hi - lo) * top)
            chars.append(SPARK_BLOCKS[level])
    return "".join(chars)


def render_trend_png(weeks: Sequence[WeekFigures], *, title: str = "") -> bytes:
    """Draw weekly review counts (bars) and average rating (line) as PNG bytes."""
    figure = Figure(figsize=(8, 3.2), dpi=100)
    counts_axis = figure.add_subplot()
    labels = [week.start.strftime("%b %d") for week in weeks]  # the week that starts then
    positions = list(range(len(weeks)))
    counts_axis.bar(positions, [week.count for week in weeks], color="#c9d6e8", label="reviews")
    counts_axis.set_ylabel("reviews")
    counts_axis.set_xticks(positions, labels, rotation=45, ha="right", fontsize=8)
    rating_axis = counts_axis.twinx()
    averages = [math.nan if week.average is None else week.average for week in weeks]
    rating_axis.plot(positions, averages, color="#e8a317", marker="o", linewidth=2)
    rating_axis.set_ylim(1, 5.2)
    rating_axis.set_ylabel("average ★")
    if title:
        counts_axis.set_title(title, fontsize=10)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
