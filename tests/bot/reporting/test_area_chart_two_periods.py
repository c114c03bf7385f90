"""The chart with two periods: the previous period's bars beside the current ones, told apart
without colour, a legend naming both years, and labels that still fit."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image
from reporting_samples import instrument, mixed_kecamatan, random_scores, worked_example

from bot.reporting import chart
from bot.reporting.chart import (
    GID_BAR_GREEN,
    GID_BAR_PREVIOUS,
    GID_BAR_RED,
    GID_LABEL,
    build_area_figure,
    figure_to_png,
    render_area_chart,
    text_width_pt,
)
from ikk_core.aggregation import aggregate
from ikk_core.results import AreaResult


def bars(fig: Figure, gid: str) -> list[Rectangle]:
    return [p for p in fig.axes[0].patches if isinstance(p, Rectangle) and p.get_gid() == gid]


def previous_result() -> AreaResult:
    return aggregate(instrument(), random_scores(40, seed=3), "63.02.12.2005", "Sampanahan",
                     "desa")


def two_period_figure(previous: AreaResult | None = None) -> Figure:
    return build_area_figure(worked_example(), period=2025, previous=previous or previous_result(),
                             previous_period=2024)


def test_every_previous_value_is_a_dotted_light_bar_as_long_as_it() -> None:
    before = previous_result()
    fig = two_period_figure(before)
    drawn = sorted(bars(fig, GID_BAR_PREVIOUS), key=lambda b: b.get_y())
    expected = [i.value for i in before.indicators if i.value is not None]
    assert [b.get_width() for b in drawn] == pytest.approx(expected)
    assert all(b.get_hatch() == chart.PREVIOUS_HATCH for b in drawn)
    # The current bars are unchanged in number and kind, and sit above the previous ones.
    assert len(bars(fig, GID_BAR_RED)) == 8 and len(bars(fig, GID_BAR_GREEN)) == 19
    first_now = min(bars(fig, GID_BAR_RED) + bars(fig, GID_BAR_GREEN), key=lambda b: b.get_y())
    assert first_now.get_y() < drawn[0].get_y()


def test_the_legend_names_both_years_and_fits_the_picture() -> None:
    fig = two_period_figure()
    [legend] = fig.legends
    names = [t.get_text() for t in legend.get_texts()]
    assert names[:2] == ["2025", "2024 (sebelumnya)"]
    assert legend.get_patches()[1].get_hatch() == chart.PREVIOUS_HATCH
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    box = legend.get_window_extent(renderer)
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width


def test_labels_still_fit_their_column_with_two_periods() -> None:
    fig = two_period_figure()
    drawn = [t for t in fig.axes[0].texts if t.get_gid() == GID_LABEL]
    assert len(drawn) == 29
    assert all(text_width_pt(t.get_text(), t.get_fontsize()) <= (3.6 - 0.26) * 72 for t in drawn)


def test_a_previous_value_hidden_from_the_reader_has_no_bar() -> None:
    before = previous_result()
    hidden = replace(before, indicators=tuple(
        replace(i, numerator=0, denominator=0, value=None, red=False, suppressed=True)
        if i.code in ("KSP1", "LS1") else i
        for i in before.indicators
    ))
    shown = [i for i in hidden.indicators if i.value is not None]
    assert len(bars(two_period_figure(hidden), GID_BAR_PREVIOUS)) == len(shown)


def test_without_the_previous_year_the_chart_has_one_period() -> None:
    fig = build_area_figure(worked_example(), period=2025, previous=previous_result())
    assert bars(fig, GID_BAR_PREVIOUS) == []


def rgb(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def test_layered_two_period_render_is_the_same_picture_as_the_whole_figure() -> None:
    area = mixed_kecamatan()[0]
    options = {"period": 2025, "previous": previous_result(), "previous_period": 2024}
    fast = rgb(render_area_chart(area, **options))  # type: ignore[arg-type]
    whole = rgb(figure_to_png(build_area_figure(area, **options)))  # type: ignore[arg-type]
    assert fast.shape == whole.shape
    difference = np.abs(fast - whole).max(axis=2)
    assert difference.max() <= 48
    assert (difference > 8).mean() < 0.002
