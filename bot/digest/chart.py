"""The 12-week trend as a PNG (drawn with Pillow); its text fallback is `bot.blocks.text.sparkline`.

The chart is a few bars, a line and labels, so it is drawn directly with Pillow: a few
milliseconds each, where matplotlib's layout and text machinery took 70-120 ms, which mattered
for a Monday run of a thousand digests. The shapes are drawn at twice the size and halved,
which smooths the line and the dots the way an antialiasing renderer would; the text is drawn
at the final size (FreeType antialiases it) from labels kept once drawn.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import itertools
import math
import threading
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from bot.domain import WeekFigures

__all__ = ["CHART_SIZE", "render_trend_png"]


CHART_SIZE = (800, 320)
_SCALE = 2  # the shapes are drawn at twice the size, then halved (antialiasing)
Colour = tuple[int, int, int]
_BAR: Colour = (0xC9, 0xD6, 0xE8)
_LINE: Colour = (0xE8, 0xA3, 0x17)
_INK: Colour = (0x33, 0x33, 0x33)
_GRID: Colour = (0xE6, 0xE6, 0xE6)
_AXIS: Colour = (0x99, 0x99, 0x99)
# The plot area inside the 800×320 image (left, top, right, bottom).
_PLOT = (56, 40, 744, 280)
_RATINGS = (1, 2, 3, 4, 5)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
_fonts = threading.local()  # FreeType faces are not shared between threads


def _font(size: int) -> Font:
    """Pillow's bundled font (Aileron) at ``size`` points, one per thread."""
    cache: dict[int, Font] | None = getattr(_fonts, "by_size", None)
    if cache is None:
        cache = _fonts.by_size = {}
    if size not in cache:
        cache[size] = ImageFont.load_default(size=size)
    return cache[size]


@functools.lru_cache(maxsize=512)
def _label(text: str, size: int, anchor: str) -> tuple[Image.Image, tuple[int, int]]:
    """``text`` as an antialiased mask, and the mask's offset from the anchor point.

    Labels repeat from chart to chart (ticks, axis names, the weeks of one run): drawn once,
    each is then a paste, which keeps the chart's time holding the GIL to a minimum.
    """
    font = _font(size)
    left, top, right, bottom = (int(v) for v in font.getbbox(text, anchor=anchor))
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=font, anchor=anchor)
    return mask, (left, top)


def _stamp(
    image: Image.Image,
    xy: tuple[float, float],
    text: str,
    *,
    size: int,
    anchor: str,
    colour: Colour,
) -> None:
    mask, (dx, dy) = _label(text, size, anchor)
    image.paste(colour, (round(xy[0]) + dx, round(xy[1]) + dy), mask)


def _count_ticks(highest: int) -> list[int]:
    """0 up to at least ``highest`` in at most 5 round steps (1, 2, 5, 10, 20, 50, …)."""
    step = 1
    while math.ceil(highest / step) > 5:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return list(range(0, max(1, math.ceil(highest / step)) * step + 1, step))


@dataclasses.dataclass(frozen=True)
class _Axes:
    """Where counts, ratings and weeks go in the plot area."""

    ticks: list[int]
    slot: float
    middles: list[float]

    def count_y(self, count: float) -> float:
        _, top, _, bottom = _PLOT
        return bottom - (bottom - top) * count / (self.ticks[-1] * 1.05)  # headroom above the top

    @staticmethod
    def rating_y(rating: float) -> float:  # the right axis runs from 1 to 5.2, as before
        _, top, _, bottom = _PLOT
        return bottom - (bottom - top) * (rating - 1) / 4.2


def _at(x: float, y: float) -> tuple[float, float]:
    return x * _SCALE, y * _SCALE


def _draw_shapes(axes: _Axes, weeks: Sequence[WeekFigures]) -> Image.Image:
    """Grid, bars, frame, line and dots, at twice the size and halved: smooth edges."""
    width, height = CHART_SIZE
    left, top, right, bottom = _PLOT
    points = [
        None if week.average is None else (middle, axes.rating_y(week.average))
        for middle, week in zip(axes.middles, weeks, strict=True)
    ]
    shapes = Image.new("RGB", (width * _SCALE, height * _SCALE), "white")
    draw = ImageDraw.Draw(shapes)
    for tick in axes.ticks:  # left axis: review counts, with light grid lines
        y = axes.count_y(tick)
        draw.line([_at(left, y), _at(right, y)], fill=_GRID, width=_SCALE)
    for rating in _RATINGS:  # right axis: average rating
        y = axes.rating_y(rating)
        draw.line([_at(right, y), _at(right + 4, y)], fill=_AXIS, width=_SCALE)
    for middle, week in zip(axes.middles, weeks, strict=True):
        if week.count:
            corner = _at(middle - axes.slot * 0.4, axes.count_y(week.count))
            draw.rectangle([corner, _at(middle + axes.slot * 0.4, bottom)], fill=_BAR)
    frame = [_at(left, top), _at(left, bottom), _at(right, bottom), _at(right, top)]
    draw.line(frame, fill=_AXIS, width=_SCALE)
    for a, b in itertools.pairwise(points):  # an empty week breaks the line
        if a is not None and b is not None:
            draw.line([_at(*a), _at(*b)], fill=_LINE, width=2 * _SCALE)
    radius = 4
    for point in points:
        if point is not None:
            x, y = point
            draw.ellipse([_at(x - radius, y - radius), _at(x + radius, y + radius)], fill=_LINE)
    return shapes.reduce(_SCALE)


def _draw_labels(image: Image.Image, axes: _Axes, weeks: Sequence[WeekFigures], title: str) -> None:
    """The text at the final size: FreeType antialiases it itself."""
    width, _ = CHART_SIZE
    left, top, right, bottom = _PLOT
    for tick in axes.ticks:
        _stamp(image, (left - 6, axes.count_y(tick)), str(tick), size=10, anchor="rm", colour=_INK)
    for rating in _RATINGS:
        position = (right + 7, axes.rating_y(rating))
        _stamp(image, position, str(rating), size=10, anchor="lm", colour=_INK)
    _stamp(image, (left, top - 8), "reviews", size=11, anchor="ls", colour=_INK)
    _stamp(image, (right, top - 8), "average rating", size=11, anchor="rs", colour=_LINE)
    for middle, week in zip(axes.middles, weeks, strict=True):  # the week that starts then
        label = f"{week.start:%b %d}"
        _stamp(image, (middle, bottom + 8), label, size=10, anchor="mt", colour=_INK)
    if title:  # one of its kind: drawn, not kept
        ImageDraw.Draw(image).text((width / 2, 18), title, fill=_INK, font=_font(13), anchor="mm")


def render_trend_png(weeks: Sequence[WeekFigures], *, title: str = "") -> bytes:
    """Draw weekly review counts (bars) and average rating (line) as PNG bytes."""
    left, _, right, _ = _PLOT
    slot = (right - left) / max(1, len(weeks))
    axes = _Axes(
        ticks=_count_ticks(max((week.count for week in weeks), default=0)),
        slot=slot,
        middles=[left + slot * (i + 0.5) for i in range(len(weeks))],
    )
    image = _draw_shapes(axes, weeks)
    _draw_labels(image, axes, weeks, title)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
