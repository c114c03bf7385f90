"""The IKK chart: what the Figure holds before it is saved, and what the PNG looks like to Telegram.

Bars are counted by kind on the Figure (`build_area_figure`), the PNG is checked against
Telegram's photo limits, and the worked example of the spec gives the expected counts:
8 red (LS2 KF1 KE1 KE2 KE5 KE6 KE8 KSP2), 27 − 8 = 19 green, and KF5, KF6 without value.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from PIL import Image
from reporting_samples import empty_village, instrument, mixed_kecamatan, worked_example

from bot.reporting import chart
from bot.reporting.chart import (
    BAR_GREEN,
    BAR_RED,
    GID_BAR_GREEN,
    GID_BAR_RED,
    GID_LABEL,
    GID_NO_VALUE,
    MAX_LONG_SIDE_PX,
    build_area_figure,
    figure_to_png,
    fit_label,
    render_area_chart,
    text_width_pt,
    warm_chart_frame,
)
from ikk_core.coverage import Coverage
from ikk_core.instrument import Text
from ikk_core.results import AreaResult, DimensionResult, IndicatorResult

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def bars(fig: Figure, gid: str) -> list[Rectangle]:
    ax = fig.axes[0]
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() == gid]


def texts(fig: Figure) -> list[str]:
    """Every text on the figure: figure texts, axes texts, legend entries."""
    found = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        found += [t.get_text() for t in ax.texts]
    for legend in fig.legends:
        found += [t.get_text() for t in legend.get_texts()]
    return found


def no_value_markers(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts if t.get_gid() == GID_NO_VALUE]


def assert_telegram_photo(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_MAGIC)
    assert len(png) < 10 * 1024 * 1024
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
    assert width + height <= 10_000
    assert max(width, height) / min(width, height) <= 20
    return width, height


def test_worked_example_has_eight_red_bars_nineteen_green_and_two_without_value() -> None:
    fig = build_area_figure(worked_example(), period=2026)
    red = bars(fig, GID_BAR_RED)
    green = bars(fig, GID_BAR_GREEN)
    assert len(red) == 8
    assert len(green) == 19
    assert all(b.get_facecolor() == pytest.approx(to_rgba(BAR_RED)) for b in red)
    assert all(b.get_facecolor() == pytest.approx(to_rgba(BAR_GREEN)) for b in green)
    assert no_value_markers(fig) == ["–", "–"]  # KF5, KF6


def test_bars_are_as_long_as_the_indicator_values_in_instrument_order() -> None:
    result = worked_example()
    fig = build_area_figure(result)
    drawn = sorted(bars(fig, GID_BAR_RED) + bars(fig, GID_BAR_GREEN), key=lambda b: b.get_y())
    expected = [i.value for i in result.indicators if i.value is not None]
    assert [b.get_width() for b in drawn] == pytest.approx(expected)


def test_red_bars_are_exactly_the_red_indicators_of_the_result() -> None:
    area, villages, _, _ = mixed_kecamatan()
    for result in (area, *villages):
        fig = build_area_figure(result)
        red_widths = sorted(b.get_width() for b in bars(fig, GID_BAR_RED))
        assert red_widths == pytest.approx(sorted(i.value for i in result.red if i.value))
        with_value = [i for i in result.indicators if i.value is not None]
        assert len(bars(fig, GID_BAR_GREEN)) == len(with_value) - len(result.red)
        assert len(no_value_markers(fig)) == len(result.no_value)


def test_value_labels_use_the_decimal_comma_with_two_decimals() -> None:
    shown = texts(build_area_figure(worked_example()))
    assert {"66,67", "33,33", "50,00", "100,00"} <= set(shown)
    assert not [t for t in shown if "66.67" in t or "87.50" in t]


def test_title_names_area_ikk_with_two_decimals_category_period_and_families() -> None:
    shown = texts(build_area_figure(worked_example(), period=2026))
    assert "Desa Sampanahan" in shown
    assert "IKK 87,50 · Kategori 3" in shown
    assert "Kualitas keluarga responsif gender dan hak anak" in shown
    assert "kode 63.02.12.2005 · Periode 2026" in shown
    assert "3 keluarga" in shown  # the coverage line without a known collection: no "n ="


def test_each_dimension_is_a_group_heading_with_its_index() -> None:
    shown = texts(build_area_figure(worked_example()))
    for heading in ("LS · Legalitas dan Struktur", "KE · Ketahanan Ekonomi"):
        assert heading in shown
    # LS 83,33 · KF 91,67 · KE 70,83 · KSP 91,67 · KSB 100,00 (the spec's table)
    for index in ("83,33", "91,67", "70,83", "100,00"):
        assert f"indeks {index}" in shown


def test_footer_names_the_instrument_and_the_provisional_method() -> None:
    result = worked_example()
    footer = f"Instrumen {result.instrument_id} versi {result.instrument_version}"
    assert f"{footer} · metode sementara" in texts(build_area_figure(result, provisional=True))
    final = texts(build_area_figure(result, provisional=False))
    assert footer in final
    assert not [t for t in final if "sementara" in t]


def threshold_lines(fig: Figure) -> list[float]:
    ax = fig.axes[0]
    return [float(line.get_xdata()[0]) for line in ax.lines if isinstance(line, Line2D)]


def test_threshold_line_is_drawn_at_the_instruments_red_threshold() -> None:
    assert threshold_lines(build_area_figure(worked_example())) == [75.0]
    moved = build_area_figure(worked_example(), red_threshold=80.0)
    assert threshold_lines(moved) == [80.0]
    assert "80 %" in texts(moved)


def test_png_is_within_telegram_photo_limits_and_sized_for_a_phone() -> None:
    width, height = assert_telegram_photo(render_area_chart(worked_example(), period=2026))
    assert height > width  # portrait: scrolls like a phone screen
    assert max(width, height) <= MAX_LONG_SIDE_PX
    assert width >= 800


def test_area_without_families_renders_every_indicator_without_value() -> None:
    result = empty_village()
    fig = build_area_figure(result, period=2026)
    assert bars(fig, GID_BAR_RED) == bars(fig, GID_BAR_GREEN) == []
    assert len(no_value_markers(fig)) == len(result.indicators) == 29
    shown = texts(fig)
    assert "IKK –" in shown
    assert "Belum ada keluarga yang tercatat" in shown
    assert_telegram_photo(render_area_chart(result, period=2026))


def test_english_chart_uses_english_names_and_words() -> None:
    shown = texts(build_area_figure(worked_example(), lang="en", period=2026))
    assert "LS · Legality and Structure" in shown
    assert "code 63.02.12.2005 · Period 2026" in shown and "3 families" in shown
    assert "IKK 87,50 · Kategori 3" in shown  # numbers keep the Indonesian form


def test_many_indicators_still_fit_in_1280_pixels_with_smaller_fonts() -> None:
    indicators = tuple(
        IndicatorResult(f"X{n}", "X", Text(f"Indikator nomor {n}"), "Dinas", n, 60, n / 0.6, n < 45)
        for n in range(1, 61)
    )
    many = replace(
        worked_example(),
        dimensions=(DimensionResult("X", Text("Dimensi besar"), 1.0, 50.0),),
        indicators=indicators,
    )
    fig = build_area_figure(many)
    assert len(bars(fig, GID_BAR_RED)) == 44
    assert len(bars(fig, GID_BAR_GREEN)) == 16
    width, height = assert_telegram_photo(render_area_chart(many))
    assert max(width, height) <= MAX_LONG_SIDE_PX


def test_indicator_of_an_unknown_dimension_is_shown_under_other() -> None:
    result = worked_example()
    stray = replace(result.indicators[0], code="ZZ1", dimension="ZZ")
    fig = build_area_figure(replace(result, indicators=(*result.indicators, stray)))
    shown = texts(fig)
    assert "Lainnya" in shown
    assert "ZZ1 Legalitas perkawinan" in shown


def test_long_label_keeps_code_and_last_word_within_the_width() -> None:
    width = 200.0
    label = fit_label("KSP1", "Bebas kekerasan terhadap perempuan", width, 11.5)
    assert label.startswith("KSP1 Bebas")
    assert label.endswith("perempuan")
    assert "…" in label
    assert text_width_pt(label, 11.5) <= width


def test_short_label_is_left_whole() -> None:
    assert fit_label("KF1", "Kecukupan pangan", 200.0, 11.5) == "KF1 Kecukupan pangan"


def test_a_single_long_word_is_cut_with_an_ellipsis() -> None:
    label = fit_label("X1", "Supercalifragilisticexpialidocious" * 2, 80.0, 11.5)
    assert label.startswith("X1 ")
    assert label.endswith("…")
    assert text_width_pt(label, 11.5) <= 80.0


def test_default_instrument_labels_start_with_their_code_fit_and_stay_distinct() -> None:
    result = worked_example()
    fig = build_area_figure(result)
    drawn = [t for t in fig.axes[0].texts if t.get_gid() == GID_LABEL]
    labels = [t.get_text() for t in drawn]
    assert [lab.split(" ")[0] for lab in labels] == [i.code for i in result.indicators]
    assert len(set(labels)) == len(labels) == 29
    # The label column is 3,6 in minus margins (240 pt), measured at the size each label is
    # drawn (about 11,5 pt; the layout may shrink it a little for a tall chart).
    assert all(text_width_pt(t.get_text(), t.get_fontsize()) <= (3.6 - 0.26) * 72 for t in drawn)


def rgb(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


@pytest.mark.parametrize(
    ("lang", "threshold", "provisional", "sample"),
    [
        ("id", 75.0, True, worked_example),
        ("en", 75.0, True, worked_example),
        ("id", 80.0, True, worked_example),
        ("id", 75.0, False, worked_example),
        ("id", 75.0, True, empty_village),
        ("id", 75.0, True, lambda: mixed_kecamatan()[0]),
    ],
)
def test_layered_render_is_the_same_picture_as_the_whole_figure(
    lang: str, threshold: float, provisional: bool, sample: Callable[[], AreaResult]
) -> None:
    """The PNG is drawn as a cached instrument frame plus the area's numbers; it must show what
    `build_area_figure` holds (up to palette rounding), for every frame the cache may keep."""
    options = {"lang": lang, "period": 2026, "red_threshold": threshold,
               "provisional": provisional}
    fast = rgb(render_area_chart(sample(), **options))  # type: ignore[arg-type]
    whole = rgb(figure_to_png(build_area_figure(sample(), **options)))  # type: ignore[arg-type]
    assert fast.shape == whole.shape
    difference = np.abs(fast - whole).max(axis=2)
    assert difference.max() <= 48
    assert (difference > 8).mean() < 0.002


def test_concurrent_renders_in_threads_give_the_same_picture() -> None:
    results: list[AreaResult] = [worked_example(), empty_village()]
    expected = [render_area_chart(r, period=2026) for r in results]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda r: render_area_chart(r, period=2026), results * 2))
    assert got == expected * 2


def test_warming_the_frame_makes_the_first_render_reuse_it() -> None:
    chart._frame_layer.cache_clear()
    warm_chart_frame(instrument())
    assert chart._frame_layer.cache_info().currsize == 1
    render_area_chart(worked_example(), red_threshold=75.0, provisional=True)
    info = chart._frame_layer.cache_info()
    assert (info.hits, info.currsize) == (1, 1)


# ------------------------------------------------ disclosure, coverage and shape (issue 10, 11)


def legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_red_bars_are_hatched_so_red_is_not_told_by_colour_alone() -> None:
    fig = build_area_figure(worked_example())
    red, green = bars(fig, GID_BAR_RED), bars(fig, GID_BAR_GREEN)
    assert len(red) == 8 and all(bar.get_hatch() == chart.RED_HATCH for bar in red)
    assert green and not any(bar.get_hatch() for bar in green)
    [legend] = fig.legends
    assert legend.get_patches()[0].get_hatch() == chart.RED_HATCH


def test_coverage_is_the_line_under_the_area_name_and_no_n_equals_is_written() -> None:
    coverage = Coverage(villages_with_data=1, villages=200, families=120, expected=480,
                        villages_with_target=200)
    fig = build_area_figure(worked_example(), period=2026, coverage=coverage)
    top_down = sorted(fig.texts, key=lambda t: -t.get_position()[1])
    assert top_down[0].get_text() == "Desa Sampanahan"
    assert top_down[1].get_text() == (
        "Data dari 1 dari 200 desa/kelurahan (120 keluarga) · 120 dari 480 KK (25 %)"
    )
    assert not any("n =" in text for text in texts(fig))


def test_the_legend_explains_tanpa_nilai_only_when_an_indicator_has_no_value() -> None:
    with_missing = worked_example()  # KF5 and KF6 have no value
    assert "tanpa nilai" in legend_texts(build_area_figure(with_missing))
    complete = replace(with_missing, indicators=tuple(
        i if i.value is not None else replace(i, numerator=1, denominator=1, value=100.0)
        for i in with_missing.indicators
    ))
    assert "tanpa nilai" not in legend_texts(build_area_figure(complete))
    assert "tanpa nilai" not in texts(build_area_figure(complete))


def test_a_hidden_indicator_has_no_bar_and_no_number_only_data_belum_cukup() -> None:
    result = worked_example()
    hidden = replace(result, indicators=tuple(
        replace(i, numerator=0, denominator=0, value=None, red=False, suppressed=True)
        if i.code == "KSP2" else i
        for i in result.indicators
    ))
    fig = build_area_figure(hidden, period=2026)
    assert len(bars(fig, GID_BAR_RED)) == 7  # KSP2 was red: neither bar nor red
    marks = [t for t in fig.axes[0].texts if t.get_gid() == chart.GID_HIDDEN]
    assert [t.get_text() for t in marks] == ["–"]
    assert "data belum cukup" in texts(fig)
    png = render_area_chart(hidden, period=2026)
    assert_telegram_photo(png)


@pytest.mark.parametrize("width", [40.0, 90.0, 140.0, 200.0])
def test_labels_and_lines_never_cut_a_word_in_the_middle(width: float) -> None:
    for ind in instrument().indicators:
        name = ind.name.get("id")
        label = fit_label(ind.code, name, width, 11.5)
        words = set(f"{ind.code} {name}".split())
        assert all(w.rstrip(",;:-/(") in {x.rstrip(",;:-/(") for x in words} or w == "…"
                   for w in label.split()), label
    long = "Data dari 12 dari 200 desa/kelurahan (1.234 keluarga) · 1.234 dari 48.000 KK (3 %)"
    line, size = chart.fit_line(long, width * 2, 11.5)
    assert all(w in long.split() or w == "…" for w in line.split()), line
    assert text_width_pt(line, size) <= width * 2
