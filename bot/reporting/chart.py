"""The IKK chart of one area as a PNG an official can forward: every indicator as a bar.

Built with matplotlib's `Figure` object API on the Agg canvas and never with pyplot: pyplot keeps
global state and is not thread-safe, and the bot renders charts in `asyncio.to_thread`. Each call
builds its own figures; concurrent renders share only matplotlib's font cache and the read-only
picture of the instrument frame (labels, headings, axis, legend), drawn once per instrument,
language and threshold, over which each area's bars and numbers are composited.

Red is not told by colour alone: red bars are also hatched, for a colour-blind reader and for a
black-and-white print-out. The line under the area name says what the figures stand on (coverage:
villages with data of all, families of expected), and indicators hidden from the reader for too
few families read "data belum cukup" with no bar and no number.

Two periods (`previous`): each indicator's row holds the current bar on top and the previous
period's below it, thinner, lighter and dotted (so it is told apart without colour), and the
legend names both years. The value column stays the current period's. A previous value hidden
from the reader has no bar, exactly as a hidden current one.

The picture is sized for a phone (portrait, at most 1280 px on the long side, well inside
Telegram's photo limits) and every number on it is formatted by `ikk_core.formatting`, so it reads
"66,67" exactly like the text report sent with it.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font, LoadFlags
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory
from PIL import Image

from ikk_core.areas import AreaLevel, display_name
from ikk_core.categories import category_rank
from ikk_core.coverage import Coverage, coverage_text
from ikk_core.formatting import format_integer, format_value
from ikk_core.instrument import Band, Instrument
from ikk_core.results import AreaResult, DimensionResult, IndicatorResult

__all__ = [
    "BAR_GREEN",
    "BAR_RED",
    "DPI",
    "GID_BAR_GREEN",
    "GID_BAR_PREVIOUS",
    "GID_BAR_RED",
    "GID_HIDDEN",
    "GID_LABEL",
    "GID_NO_VALUE",
    "MAX_LONG_SIDE_PX",
    "build_area_figure",
    "figure_to_png",
    "fit_label",
    "render_area_chart",
    "text_width_pt",
    "warm_chart_frame",
]

#: Colours of the bars; tests and the legend use the same constants.
BAR_RED = "#d1352b"
BAR_GREEN = "#2e9447"
RED_TEXT = "#a3221b"
NO_VALUE_GREY = "#8a8a8a"
TEXT_DARK = "#1f1f1f"
TEXT_MUTED = "#555555"
BAND_FILL = "#e9eef3"

#: `gid`s set on the artists, so a test can count bars by kind on the Figure before it is saved.
GID_BAR_RED = "bar-red"
GID_BAR_GREEN = "bar-green"
GID_BAR_PREVIOUS = "bar-previous"
#: The previous period's bars: light and dotted, whatever their colour would be.
BAR_PREVIOUS = "#b9c3cc"
PREVIOUS_HATCH = "...."
PERIOD_SWATCH = "#6b7680"
GID_NO_VALUE = "no-value"
GID_HIDDEN = "hidden-value"
GID_COVERAGE = "coverage"
#: Hatching of red bars (and of their legend patch): red is also a pattern, not only a colour.
RED_HATCH = "////"
GID_DIMENSION = "dimension-band"
GID_LABEL = "indicator-label"

DPI = 110
WIDTH_IN = 8.0
#: Telegram shows photos up to 1280 px; a larger picture is only downscaled (and blurred).
MAX_LONG_SIDE_PX = 1280
MAX_HEIGHT_IN = (MAX_LONG_SIDE_PX - 4) / DPI
MIN_HEIGHT_IN = 5.5
TOP_IN = 1.95  # title block: name, coverage, IKK, category, code and period
BOTTOM_IN = 1.35  # x axis, legend and footer
ROW_IN = 0.255  # one bar or one dimension heading
EDGE_IN = 0.18  # left margin of headings and labels
LEFT_IN = 3.6  # label column: all but two default labels whole at 11.5 pt
RIGHT_IN = 0.25
LABEL_GAP_IN = 0.08
#: Bars end at 100; values sit in their own column right of it, so no line ever crosses them.
VALUE_GAP_IN = 0.12
FONT = "DejaVu Sans"  # ships with matplotlib; has every Indonesian glyph and "–", "≥", "…"
#: Colours in the saved PNG: the chart has few, and a palette PNG is a third the size of RGBA.
PNG_COLOURS = 256

_TEXTS: Mapping[str, Mapping[str, str]] = {
    "id": {
        "ikk": "IKK {value}",
        "no_category": "tanpa kategori",
        "period": "Periode {period}",
        "code": "kode {code}",
        "index": "indeks {value}",
        "families": "{count} keluarga",
        "no_value": "tanpa nilai",
        "hidden": "data belum cukup",
        "hidden_count": "{count} indikator disembunyikan: data belum cukup",
        "red": "merah: di bawah {threshold} %",
        "green": "{threshold} % atau lebih",
        "x_label": "% keluarga yang memenuhi indikator",
        "instrument": "Instrumen {id} versi {version}",
        "provisional": "metode sementara",
        "no_families": "Belum ada keluarga yang tercatat",
        "other": "Lainnya",
        "now": "{period}",
        "before": "{period} (sebelumnya)",
    },
    "en": {
        "ikk": "IKK {value}",
        "no_category": "no category",
        "period": "Period {period}",
        "code": "code {code}",
        "index": "index {value}",
        "families": "{count} families",
        "no_value": "no value",
        "hidden": "not enough data",
        "hidden_count": "{count} indicators hidden: not enough data",
        "red": "red: below {threshold} %",
        "green": "{threshold} % or more",
        "x_label": "% of families meeting the indicator",
        "instrument": "Instrument {id} version {version}",
        "provisional": "provisional method",
        "no_families": "No families recorded yet",
        "other": "Other",
        "now": "{period}",
        "before": "{period} (previous)",
    },
}


def _text(lang: str, key: str, **values: object) -> str:
    catalog = _TEXTS.get(lang, _TEXTS["id"])
    return catalog[key].format(**values)


def _threshold_text(threshold: float) -> str:
    """ "75" for a whole threshold, "72,50" otherwise: the line's label must not hide decimals."""
    return format_integer(threshold) if float(threshold).is_integer() else format_value(threshold)


@cache
def _advances(bold: bool) -> dict[str, float]:
    """Advance width of each printable ASCII character, in points at 1 pt font size.

    Measured once from the font file with a private FT2Font (matplotlib's own cached fonts are
    left alone), so fitting a label costs a dict lookup per character instead of a text layout.
    """
    font = FT2Font(findfont(FontProperties(family=FONT, weight="bold" if bold else "normal")))
    font.set_size(72, 72)
    return {
        chr(c): font.load_char(c, flags=LoadFlags.NO_HINTING).linearHoriAdvance / 65536 / 72
        for c in range(32, 127)
    }


def text_width_pt(text: str, size: float, *, bold: bool = False) -> float:
    """Approximate rendered width of `text` (kerning ignored; unknown glyphs as an "n")."""
    table = _advances(bold)
    default = table["n"]
    return sum(table.get(ch, default) for ch in text) * size


def fit_label(code: str, name: str, width_pt: float, size: float) -> str:
    """ "KSP1 Bebas kekerasan … perempuan": code and name, shortened to fit the label column.

    Words are dropped before the LAST one, which in Indonesian names carries the object
    ("… perempuan", "… anak"): two indicators that start alike stay distinguishable.
    """
    full = f"{code} {name}".strip()
    if text_width_pt(full, size) <= width_pt:
        return full
    words = name.split()
    for keep in range(len(words) - 2, 0, -1):
        candidate = f"{code} {' '.join(words[:keep])} … {words[-1]}"
        if text_width_pt(candidate, size) <= width_pt:
            return candidate
    # Whole words only, never a word cut in the middle: fewer words, then the code alone.
    for keep in range(len(words) - 1, 0, -1):
        candidate = f"{code} {' '.join(words[:keep]).rstrip(' ,;:-/(')} …"
        if text_width_pt(candidate, size) <= width_pt:
            return candidate
    return f"{code} …"


def fit_line(text: str, width_pt: float, size: float, smallest: float = 8.5) -> tuple[str, float]:
    """(text, font size) that fits `width_pt`: the size shrinks to `smallest` first, then whole
    words are dropped from the end (never a word cut in the middle)."""
    current = size
    while current > smallest and text_width_pt(text, current) > width_pt:
        current = max(smallest, current - 0.5)
    if text_width_pt(text, current) <= width_pt:
        return text, current
    words = text.split()
    for keep in range(len(words) - 1, 0, -1):
        candidate = " ".join(words[:keep]).rstrip(" ,;:-/(·") + " …"
        if text_width_pt(candidate, current) <= width_pt:
            return candidate, current
    return words[0] if words else "", current


def _area_title(result: AreaResult) -> str:
    """ "Desa Sampanahan": the level word tells a desa from the kecamatan of the same name."""
    try:
        return display_name(AreaLevel(result.level), result.name)
    except ValueError:
        return result.name


@dataclass(frozen=True)
class _Group:
    dimension: DimensionResult | None
    heading: str
    indicators: tuple[IndicatorResult, ...]


def _groups(result: AreaResult, lang: str) -> list[_Group]:
    """Indicators grouped by dimension in instrument order; strays (unknown dimension) last."""
    groups: list[_Group] = []
    placed: set[str] = set()
    for dim in result.dimensions:
        members = tuple(i for i in result.indicators if i.dimension == dim.code)
        placed.update(i.code for i in members)
        groups.append(_Group(dim, f"{dim.code} · {dim.name.get(lang)}", members))
    strays = tuple(i for i in result.indicators if i.code not in placed)
    if strays:
        groups.append(_Group(None, _text(lang, "other"), strays))
    return groups


def _figure_height(rows: int) -> float:
    wanted = TOP_IN + BOTTOM_IN + rows * ROW_IN
    return min(MAX_HEIGHT_IN, max(MIN_HEIGHT_IN, wanted))


@dataclass(frozen=True)
class _Layout:
    height: float
    rows: int
    label_size: float
    value_size: float

    @property
    def axes_width_in(self) -> float:
        return WIDTH_IN - LEFT_IN - RIGHT_IN

    @property
    def label_width_pt(self) -> float:
        return (LEFT_IN - EDGE_IN - LABEL_GAP_IN) * 72

    @property
    def x_max(self) -> float:
        """Right end of the x axis: 100 plus the width of the value column ("100,00")."""
        column_in = text_width_pt("100,00", self.value_size, bold=True) / 72 + VALUE_GAP_IN
        return 100 * self.axes_width_in / (self.axes_width_in - column_in)

    @property
    def value_x(self) -> float:
        """Where value labels end (right-aligned), a hair inside the axes."""
        return self.x_max - 0.3


def _layout(rows: int) -> _Layout:
    """Figure height from the number of rows; fonts shrink only when rows must be squeezed."""
    height = _figure_height(rows)
    row_pt = (height - TOP_IN - BOTTOM_IN) / max(rows, 1) * 72
    return _Layout(
        height=height,
        rows=rows,
        label_size=max(7.0, min(11.5, row_pt * 0.64)),
        value_size=max(7.0, min(11.0, row_pt * 0.6)),
    )


@dataclass(frozen=True)
class _Frame:
    """Everything on the chart that depends on the instrument and language, not on the numbers:
    headings, labels, axis, legend, footer. Hashable, so its drawing can be cached."""

    lang: str
    red_threshold: float
    provisional: bool
    instrument: str
    headings: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]  # per heading, the labels of its rows
    layout: _Layout
    no_value_shown: bool = True
    """The legend explains "tanpa nilai" only when some indicator is without value."""
    periods: tuple[int, int] | None = None
    """(current, previous) when the chart shows two periods: the legend names both."""


def _frame(result: AreaResult, groups: list[_Group], lang: str, red_threshold: float,
           provisional: bool, periods: tuple[int, int] | None = None) -> _Frame:
    layout = _layout(sum(1 + len(g.indicators) for g in groups))
    footer = _text(lang, "instrument", id=result.instrument_id, version=result.instrument_version)
    if provisional:
        footer += " · " + _text(lang, "provisional")
    return _Frame(
        lang=lang,
        red_threshold=float(red_threshold),
        provisional=provisional,
        instrument=footer,
        headings=tuple(g.heading for g in groups),
        labels=tuple(
            tuple(
                fit_label(i.code, i.name.get(lang), layout.label_width_pt, layout.label_size)
                for i in g.indicators
            )
            for g in groups
        ),
        layout=layout,
        no_value_shown=any(i.value is None and not i.suppressed for i in result.indicators),
        periods=periods,
    )


def _new_figure(layout: _Layout, *, transparent: bool) -> tuple[Figure, Axes]:
    """A figure and its bar axes at the same place and scale for both layers."""
    height = layout.height
    fig = Figure(
        figsize=(WIDTH_IN, height), dpi=DPI, facecolor=(1, 1, 1, 0) if transparent else "white"
    )
    FigureCanvasAgg(fig)
    ax = fig.add_axes(
        (
            LEFT_IN / WIDTH_IN,
            BOTTOM_IN / height,
            layout.axes_width_in / WIDTH_IN,
            (height - TOP_IN - BOTTOM_IN) / height,
        )
    )
    ax.set_xlim(0, layout.x_max)
    ax.set_ylim(layout.rows - 0.5, -0.5)  # first row on top
    if transparent:
        ax.set_axis_off()
    return fig, ax


def build_area_figure(
    result: AreaResult,
    *,
    lang: str = "id",
    period: int | None = None,
    red_threshold: float = 75.0,
    provisional: bool = True,
    coverage: Coverage | None = None,
    bands: tuple[Band, ...] = (),
    previous: AreaResult | None = None,
    previous_period: int | None = None,
) -> Figure:
    """The whole chart as one Figure (not yet drawn), so tests can inspect it before saving.

    `red_threshold` and `provisional` come from the instrument's settings
    (`instrument.settings.red_threshold`, `.provisional`): an AreaResult does not carry them.
    The bar colours come from each indicator's own `red` flag, computed by the core with the same
    threshold, so the picture can never disagree with the report.
    """
    groups = _groups(result, lang)
    frame = _frame(result, groups, lang, red_threshold, provisional,
                   _two_periods(period, previous, previous_period))
    fig, ax = _new_figure(frame.layout, transparent=False)
    _draw_frame(fig, ax, frame)
    _draw_numbers(fig, ax, result, groups, frame, _Title(period, coverage, bands),
                  previous if frame.periods is not None else None)
    return fig


def _two_periods(
    period: int | None, previous: AreaResult | None, previous_period: int | None
) -> tuple[int, int] | None:
    """(current, previous) when both periods are given, else None (a one-period chart)."""
    if period is None or previous is None or previous_period is None:
        return None
    return period, previous_period


@dataclass(frozen=True)
class _Title:
    """What the title block says besides the result: period, coverage, the category scale."""

    period: int | None
    coverage: Coverage | None
    bands: tuple[Band, ...]


def _draw_frame(fig: Figure, ax: Axes, frame: _Frame) -> None:
    """The instrument's part of the chart: bands, headings, labels, axis, legend, footer."""
    layout, lang = frame.layout, frame.lang
    _style_axes(ax, layout, lang)
    # Headings and labels sit left of the axes: x in axes fractions, y in rows.
    left_transform = blended_transform_factory(ax.transAxes, ax.transData)
    edge_x = -(LEFT_IN - EDGE_IN) / layout.axes_width_in
    label_x = -LABEL_GAP_IN / layout.axes_width_in
    y = 0
    for heading, labels in zip(frame.headings, frame.labels, strict=True):
        band = ax.axhspan(
            y - 0.5, y + 0.5, xmin=edge_x - 0.02, xmax=1.0, color=BAND_FILL, zorder=0,
            linewidth=0, clip_on=False,
        )
        band.set_gid(GID_DIMENSION)
        ax.text(
            edge_x, y, heading, transform=left_transform, ha="left", va="center",
            fontsize=layout.label_size, fontweight="bold", color=TEXT_DARK, fontfamily=FONT,
        )
        y += 1
        for label in labels:
            ax.text(
                label_x, y, label, transform=left_transform, ha="right", va="center",
                fontsize=layout.label_size, color=TEXT_DARK, fontfamily=FONT, gid=GID_LABEL,
            )
            y += 1
    ax.text(
        frame.red_threshold, -0.62, f"{_threshold_text(frame.red_threshold)} %", ha="center",
        va="bottom", fontsize=10, color="#333333", fontfamily=FONT,
    )
    _draw_legend_and_footer(fig, frame)


def _draw_numbers(fig: Figure, ax: Axes, result: AreaResult, groups: list[_Group],
                  frame: _Frame, title: _Title, previous: AreaResult | None = None) -> None:
    """The area's part: bars, values, dimension indices, title, and the threshold line (drawn
    with the numbers so that it stays on top of the bars)."""
    layout, lang = frame.layout, frame.lang
    bar_rows: list[int] = []
    bar_values: list[float] = []
    bar_red: list[bool] = []
    before = {} if previous is None else {
        i.code: i.value for i in previous.indicators if i.value is not None and not i.suppressed
    }
    before_rows: list[int] = []
    before_values: list[float] = []
    y = 0
    for group in groups:
        if group.dimension is not None:
            ax.text(
                layout.value_x, y, _text(lang, "index", value=format_value(group.dimension.value)),
                ha="right", va="center", fontsize=layout.value_size, fontweight="bold",
                color=TEXT_DARK, fontfamily=FONT,
            )
        y += 1
        for indicator in group.indicators:
            _draw_indicator(ax, indicator, y, layout, lang, explain=result.families > 0,
                            note_offset=0.0 if previous is None else -0.17)
            if indicator.value is not None:
                bar_rows.append(y)
                bar_values.append(indicator.value)
                bar_red.append(indicator.red)
            if indicator.code in before:
                before_rows.append(y)
                before_values.append(before[indicator.code])
            y += 1
    if previous is None:
        _draw_bars(ax, bar_rows, bar_values, bar_red)
    else:
        _draw_bars(ax, bar_rows, bar_values, bar_red, offset=-0.17, height=0.4)
        _draw_previous_bars(ax, before_rows, before_values)
    ax.axvline(
        frame.red_threshold, color="#333333", linestyle=(0, (5, 3)), linewidth=1.4, zorder=3
    )
    if result.families == 0:
        ax.text(
            50, (layout.rows - 1) / 2, _text(lang, "no_families"), ha="center", va="center",
            fontsize=13, color=TEXT_MUTED, fontfamily=FONT, zorder=5,
            bbox={"boxstyle": "round,pad=0.6", "facecolor": "white", "edgecolor": "#bbbbbb"},
        )
    _draw_title(fig, result, lang, title, layout.height)


def _style_axes(ax: Axes, layout: _Layout, lang: str) -> None:
    ax.set_xticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100"])
    ax.set_yticks([])  # labels are plain texts: the same picture without the Tick machinery
    ax.tick_params(axis="x", labelsize=10.5, colors=TEXT_MUTED, length=3)
    ax.xaxis.grid(True, color="#e3e3e3", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_bounds(0, 100)
    ax.spines["bottom"].set_color("#bbbbbb")
    # Centred under the 0–100 scale, not under the value column.
    below = blended_transform_factory(ax.transData, ax.transAxes)
    ax.text(
        50, -0.33 / (layout.height - TOP_IN - BOTTOM_IN), _text(lang, "x_label"),
        transform=below, ha="center", va="top", fontsize=10.5, color=TEXT_MUTED, fontfamily=FONT,
    )


def _draw_bars(ax: Axes, rows: list[int], values: list[float], red: list[bool], *,
               offset: float = 0.0, height: float = 0.66) -> None:
    """All bars in one `barh` call: one call per bar costs a sixth of the whole render."""
    if not rows:
        return
    colours = [BAR_RED if r else BAR_GREEN for r in red]
    bars = ax.barh([r + offset for r in rows], values, height=height, color=colours, zorder=2,
                   edgecolor="white", linewidth=0)
    for bar, is_red in zip(bars, red, strict=True):
        bar.set_gid(GID_BAR_RED if is_red else GID_BAR_GREEN)
        if is_red:
            bar.set_hatch(RED_HATCH)


def _draw_previous_bars(ax: Axes, rows: list[int], values: list[float]) -> None:
    """The previous period's bars under the current ones: light, dotted, one `barh` call."""
    if not rows:
        return
    bars = ax.barh([r + 0.22 for r in rows], values, height=0.26, color=BAR_PREVIOUS,
                   zorder=2, edgecolor=PERIOD_SWATCH, linewidth=0, hatch=PREVIOUS_HATCH)
    for bar in bars:
        bar.set_gid(GID_BAR_PREVIOUS)


def _draw_indicator(
    ax: Axes, indicator: IndicatorResult, y: int, layout: _Layout, lang: str, *, explain: bool,
    note_offset: float = 0.0,
) -> None:
    """The value column of one row; a row without value also says so in the bar area, unless
    the whole area has no family (then one note says it once, instead of 29 times). With two
    periods the note sits where the current bar would be, clear of the previous one."""
    if indicator.value is None:
        if explain:
            ax.text(
                1.0, y + note_offset, _text(lang, "hidden" if indicator.suppressed else "no_value"),
                ha="left", va="center", fontsize=layout.value_size, fontstyle="italic",
                color=NO_VALUE_GREY, fontfamily=FONT,
            )
        ax.text(
            layout.value_x, y, "–", ha="right", va="center", fontsize=layout.value_size + 1,
            fontweight="bold", color=NO_VALUE_GREY, fontfamily=FONT,
            gid=GID_HIDDEN if indicator.suppressed else GID_NO_VALUE,
        )
        return
    red = indicator.red
    ax.text(
        layout.value_x, y, format_value(indicator.value), ha="right", va="center",
        fontsize=layout.value_size, fontweight="bold" if red else "normal",
        color=RED_TEXT if red else TEXT_DARK, fontfamily=FONT,
    )


def _title_lines(result: AreaResult, lang: str, title: _Title) -> tuple[str, str, str, str]:
    """(coverage, headline, category, facts): coverage first, so a kabupaten IKK built from 1
    village of 200 reads as such right under its name."""
    coverage = (coverage_text(title.coverage) if title.coverage is not None
                else _text(lang, "families", count=format_integer(result.families)))
    ikk = _text(lang, "ikk", value=format_value(result.ikk))
    if result.category is not None:
        name = (category_rank(result.category, title.bands) if title.bands
                else result.category.name)
        headline = f"{ikk} · {name}"
        category = result.category.label.get(lang) or result.category.name
    else:
        headline = ikk
        category = _text(lang, "no_category")
    facts = [_text(lang, "code", code=result.code)]
    if title.period is not None:
        facts.append(_text(lang, "period", period=title.period))
    hidden = len(result.suppressed)
    if hidden:
        facts.append(_text(lang, "hidden_count", count=format_integer(hidden)))
    return coverage, headline, category, " · ".join(facts)


def _draw_title(fig: Figure, result: AreaResult, lang: str, title: _Title, height: float
                ) -> None:
    def y_at(inches_from_top: float) -> float:
        return 1 - inches_from_top / height

    x = EDGE_IN / WIDTH_IN
    width_pt = (WIDTH_IN - 2 * EDGE_IN) * 72
    coverage, headline, category, facts = _title_lines(result, lang, title)
    fig.text(x, y_at(0.14), textwrap.shorten(_area_title(result), 52, placeholder="…"),
             ha="left", va="top", fontsize=17, fontweight="bold", color=TEXT_DARK,
             fontfamily=FONT)
    subtitle, size = fit_line(coverage, width_pt, 11.5)
    fig.text(x, y_at(0.50), subtitle, ha="left", va="top", fontsize=size, fontweight="bold",
             color=TEXT_DARK, fontfamily=FONT, gid=GID_COVERAGE)
    fig.text(x, y_at(0.82), headline, ha="left", va="top", fontsize=15, fontweight="bold",
             color=TEXT_DARK, fontfamily=FONT)
    fig.text(x, y_at(1.16), textwrap.shorten(category, 75, placeholder="…"), ha="left",
             va="top", fontsize=12, color=TEXT_DARK, fontfamily=FONT)
    shown_facts, facts_size = fit_line(facts, width_pt, 11)
    fig.text(x, y_at(1.46), shown_facts, ha="left", va="top", fontsize=facts_size,
             color=TEXT_MUTED, fontfamily=FONT)


def _draw_legend_and_footer(fig: Figure, frame: _Frame) -> None:
    t = _threshold_text(frame.red_threshold)
    lang = frame.lang
    handles: list[Patch | Line2D] = [
        Patch(facecolor=BAR_RED, edgecolor="white", hatch=RED_HATCH,
              label=_text(lang, "red", threshold=t)),
        Patch(facecolor=BAR_GREEN, label=_text(lang, "green", threshold=t)),
    ]
    if frame.no_value_shown:
        handles.append(Line2D([], [], color=NO_VALUE_GREY, marker="_", linestyle="none",
                              markersize=10, markeredgewidth=2.5, label=_text(lang, "no_value")))
    if frame.periods is not None:
        now, before = frame.periods
        handles = [
            Patch(facecolor=PERIOD_SWATCH, label=_text(lang, "now", period=now)),
            Patch(facecolor=BAR_PREVIOUS, edgecolor=PERIOD_SWATCH, hatch=PREVIOUS_HATCH,
                  linewidth=0, label=_text(lang, "before", period=before)),
            *handles,
        ]
    height = frame.layout.height
    fig.legend(
        handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.4 / height),
        ncol=len(handles),
        frameon=False, handlelength=1.3, columnspacing=1.4, prop={"family": FONT, "size": 10},
    )
    fig.text(0.5, 0.12 / height, frame.instrument, ha="center", va="bottom", fontsize=9.5,
             color=TEXT_MUTED, fontfamily=FONT)


def _pixels(fig: Figure) -> Image.Image:
    """The drawn figure as an RGBA image (transparent where a transparent figure is empty)."""
    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=DPI, facecolor=fig.get_facecolor())
    pixels = raw.getvalue()
    width = round(fig.get_size_inches()[0] * DPI)
    return Image.frombuffer(
        "RGBA", (width, len(pixels) // (4 * width)), pixels, "raw", "RGBA", 0, 1
    )


def _to_png(image: Image.Image) -> bytes:
    """A 256-colour PNG: the chart has few colours, and a palette PNG is about a third of the
    size of matplotlib's RGBA one, and encodes faster."""
    palette = image.convert("RGB").quantize(PNG_COLOURS, method=Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    palette.save(buffer, format="png", dpi=(DPI, DPI))
    return buffer.getvalue()


def figure_to_png(fig: Figure) -> bytes:
    """Draw a whole figure (e.g. from `build_area_figure`) and encode it as PNG."""
    return _to_png(_pixels(fig))


@lru_cache(maxsize=16)  # 4,5 MB each; per instrument × language × threshold × legend in use
def _frame_layer(frame: _Frame) -> Image.Image:
    """The instrument's part of the chart, drawn once per instrument, language and threshold.

    Labels and headings are three quarters of the text on the chart, and text is most of the
    time of a render (matplotlib rasterises glyph by glyph): drawing them once and reusing the
    picture makes a render several times cheaper. The image is never modified, only composited.
    """
    fig, ax = _new_figure(frame.layout, transparent=False)
    _draw_frame(fig, ax, frame)
    return _pixels(fig)


def render_area_chart(
    result: AreaResult,
    *,
    lang: str = "id",
    period: int | None = None,
    red_threshold: float = 75.0,
    provisional: bool = True,
    coverage: Coverage | None = None,
    bands: tuple[Band, ...] = (),
    previous: AreaResult | None = None,
    previous_period: int | None = None,
) -> bytes:
    """The chart as PNG bytes (880×1276 px for 29 indicators): blocking, run it in a thread.

    The same picture as `build_area_figure` (a test compares them pixel by pixel), drawn as two
    layers: the cached instrument frame, and this area's numbers on a transparent figure.
    """
    groups = _groups(result, lang)
    frame = _frame(result, groups, lang, red_threshold, provisional,
                   _two_periods(period, previous, previous_period))
    fig, ax = _new_figure(frame.layout, transparent=True)
    _draw_numbers(fig, ax, result, groups, frame, _Title(period, coverage, bands),
                  previous if frame.periods is not None else None)
    return _to_png(Image.alpha_composite(_frame_layer(frame), _pixels(fig)))


def warm_chart_frame(instrument: Instrument, *, lang: str = "id") -> None:
    """Draw and cache the instrument's frame now (the slow part of a first render, about a
    second on a busy 2-core machine), e.g. in a thread at bot start, so no user waits for it."""
    blank = AreaResult(
        code="",
        name="",
        level="",
        families=0,
        ikk=None,
        category=None,
        dimensions=tuple(
            DimensionResult(d.code, d.name, d.weight, None) for d in instrument.dimensions
        ),
        indicators=tuple(
            IndicatorResult(i.code, i.dimension, i.name, i.sector, 0, 0, None, False)
            for i in instrument.indicators
        ),
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        method=instrument.settings.aggregation,
    )
    settings = instrument.settings
    _frame_layer(
        _frame(blank, _groups(blank, lang), lang, settings.red_threshold, settings.provisional)
    )
