"""The 12-week trend as a PNG (drawn with Pillow) and as a text sparkline.

The chart is a few bars, a line and labels, so it is drawn directly with Pillow: a few
milliseconds each, where matplotlib's layout and text machinery took 70-120 ms, which mattered
for a Monday run of a thousand digests. It is drawn at twice the size and scaled down, which
smooths the line and the dots the way an antialiasing renderer would.
"""

from __future__ import annotations

import io
import itertools
import math
import threading
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from bot.digest.stats import WeekFigures

__all__ = ["CHART_SIZE", "SPARK_BLOCKS", "render_trend_png", "sparkline"]

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
_GAP = " "

CHART_SIZE = (800, 320)
_SCALE = 2  # drawn at twice the size, then scaled down (antialiasing)
_BAR = "#c9d6e8"
_LINE = "#e8a317"
_INK = "#333333"
_GRID = "#e6e6e6"
_AXIS = "#999999"
# The plot area inside the 800×320 image (left, top, right, bottom), before scaling.
_PLOT = (56, 40, 744, 280)
_RATINGS = (1, 2, 3, 4, 5)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
_fonts = threading.local()  # FreeType faces are not shared between threads


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


def _font(size: int) -> Font:
    """Pillow's bundled font (Aileron) at ``size`` points of the drawing, one per thread."""
    cache: dict[int, Font] | None = getattr(_fonts, "by_size", None)
    if cache is None:
        cache = _fonts.by_size = {}
    if size not in cache:
        cache[size] = ImageFont.load_default(size=size * _SCALE)
    return cache[size]


def _count_ticks(highest: int) -> list[int]:
    """0 up to at least ``highest`` in at most 5 round steps (1, 2, 5, 10, 20, 50, …)."""
    step = 1
    while math.ceil(highest / step) > 5:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return list(range(0, max(1, math.ceil(highest / step)) * step + 1, step))


def render_trend_png(weeks: Sequence[WeekFigures], *, title: str = "") -> bytes:
    """Draw weekly review counts (bars) and average rating (line) as PNG bytes."""
    s = _SCALE
    width, height = CHART_SIZE
    image = Image.new("RGB", (width * s, height * s), "white")
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = (v * s for v in _PLOT)
    small, label = _font(10), _font(11)

    ticks = _count_ticks(max((week.count for week in weeks), default=0))

    def count_y(count: float) -> float:
        return bottom - (bottom - top) * count / (ticks[-1] * 1.05)  # headroom above the top

    def rating_y(rating: float) -> float:  # the right axis runs from 1 to 5.2, as before
        return bottom - (bottom - top) * (rating - 1) / 4.2

    for tick in ticks:  # left axis: review counts, with light grid lines
        y = count_y(tick)
        draw.line([(left, y), (right, y)], fill=_GRID, width=s)
        draw.text((left - 6 * s, y), str(tick), fill=_INK, font=small, anchor="rm")
    for rating in _RATINGS:  # right axis: average rating
        y = rating_y(rating)
        draw.line([(right, y), (right + 4 * s, y)], fill=_AXIS, width=s)
        draw.text((right + 7 * s, y), str(rating), fill=_INK, font=small, anchor="lm")
    draw.text((left, top - 8 * s), "reviews", fill=_INK, font=label, anchor="ls")
    draw.text((right, top - 8 * s), "average rating", fill=_LINE, font=label, anchor="rs")
    if title:
        draw.text((width * s / 2, 18 * s), title, fill=_INK, font=_font(13), anchor="mm")

    slot = (right - left) / max(1, len(weeks))
    points: list[tuple[float, float] | None] = []
    for i, week in enumerate(weeks):
        middle = left + slot * (i + 0.5)
        if week.count:
            draw.rectangle(
                [(middle - slot * 0.4, count_y(week.count)), (middle + slot * 0.4, bottom)],
                fill=_BAR,
            )
        # the week that starts then
        draw.text(
            (middle, bottom + 8 * s), f"{week.start:%b %d}", fill=_INK, font=small, anchor="mt"
        )
        points.append(None if week.average is None else (middle, rating_y(week.average)))
    draw.line([(left, top), (left, bottom), (right, bottom), (right, top)], fill=_AXIS, width=s)

    for a, b in itertools.pairwise(points):  # an empty week breaks the line
        if a is not None and b is not None:
            draw.line([a, b], fill=_LINE, width=2 * s)
    radius = 4 * s
    for point in points:
        if point is not None:
            x, y = point
            draw.ellipse([(x - radius, y - radius), (x + radius, y + radius)], fill=_LINE)

    buffer = io.BytesIO()
    image.resize(CHART_SIZE, Image.Resampling.BOX).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
