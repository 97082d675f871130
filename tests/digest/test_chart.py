"""The trend chart is a real PNG; the sparkline is its text fallback."""

from __future__ import annotations

import io
import struct

from digest_samples import NOW, WEEK
from PIL import Image

from bot.blocks.text import SPARK_BLOCKS, sparkline
from bot.digest.chart import render_trend_png
from bot.digest.stats import TREND_WEEKS
from bot.domain import WeekFigures

BAR = (0xC9, 0xD6, 0xE8)
LINE = (0xE8, 0xA3, 0x17)


def _weeks(averages: list[float | None]) -> list[WeekFigures]:
    start = NOW - len(averages) * WEEK
    return [
        WeekFigures(
            start=start + i * WEEK,
            end=start + (i + 1) * WEEK,
            count=0 if avg is None else 3 + i,
            average=avg,
        )
        for i, avg in enumerate(averages)
    ]


def test_the_trend_chart_is_a_png_of_a_sensible_size() -> None:
    averages: list[float | None] = [4.0, None, 3.5, 4.2, 4.8, None, 2.0, 3.0, 5.0, 4.4, 4.1, 3.9]
    png = render_trend_png(_weeks(averages), title="Blue Bottle · weekly average")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # IHDR
    assert (width, height) == (800, 320)
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (800, 320)


def test_an_all_empty_trend_still_draws() -> None:
    png = render_trend_png(_weeks([None] * TREND_WEEKS))
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (800, 320)
        colours = {colour: n for n, colour in image.convert("RGB").getcolors(800 * 320) or []}
    assert BAR not in colours  # no bars
    assert (
        colours.get(LINE, 0) < 500
    )  # only the axis label "average rating" is in the line's colour


def test_the_chart_shows_the_bars_and_the_line() -> None:
    averages: list[float | None] = [4.0, None, 3.5, 4.2, 4.8, None, 2.0, 3.0, 5.0, 4.4, 4.1, 3.9]
    with Image.open(io.BytesIO(render_trend_png(_weeks(averages)))) as image:
        colours = {colour: n for n, colour in image.convert("RGB").getcolors(800 * 320) or []}
    assert colours.get(BAR, 0) > 10_000  # ten bars of a few thousand pixels each
    assert colours.get(LINE, 0) > 500  # the dots and the line of the averages


def test_sparkline_scales_and_leaves_gaps() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == SPARK_BLOCKS
    assert sparkline([1.0, None, 5.0], low=1, high=5) == "▁ █"
    assert sparkline([3.0, 3.0]) == "▄▄"  # a flat line sits in the middle
    assert sparkline([None, None]) == "  "
    assert sparkline([]) == ""
    assert sparkline([0.0, 9.0], low=1, high=5) == "▁█"  # clamped to the given range
