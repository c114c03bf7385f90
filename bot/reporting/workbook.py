"""The Excel export of one area: summary, indicators and dimensions per village, family scores.

For the next coordination meeting: officials re-sort and filter these numbers in Excel, so every
number is stored as a number (percentages as 0–100 with two decimals shown, never text) and every
sheet names the instrument and the period it was computed with. A family is identified by a number
only; the head of family's name is written only when the caller says the reader may see it
(`include_names`, admin only), and nowhere else: not in titles, not in the file's properties.

The workbook is streamed (openpyxl write-only mode). The family sheet is the bulk of it (a
kabupaten: 30,000 families × 36 cells), and openpyxl spends about 20 µs of pure-Python XML
serialisation per cell, which made a kabupaten take half a minute of CPU (holding the GIL the bot's
other users need). So openpyxl writes that sheet's preamble and header (and registers its two cell
styles), and the family rows are then spliced into the saved sheet as plain `<row>` XML, built
with string formatting: the same cells openpyxl would write (numbers, inline strings, the two
styles), about ten times faster.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ikk_core.areas import AreaLevel, display_name
from ikk_core.categories import category_rank
from ikk_core.coverage import Coverage, coverage_text
from ikk_core.instrument import Band, Instrument
from ikk_core.results import AreaResult, IndicatorResult
from ikk_core.text_safety import xml_safe

__all__ = [
    "NOT_APPLICABLE",
    "SHEET_DIMENSIONS",
    "SHEET_FAMILIES",
    "SHEET_INDICATORS",
    "SHEET_SUMMARY",
    "FamilyRow",
    "build_area_workbook",
]

SHEET_SUMMARY = "Ringkasan"
SHEET_INDICATORS = "Indikator per desa"
SHEET_DIMENSIONS = "Dimensi per desa"
SHEET_FAMILIES = "Skor keluarga"

#: Written for an indicator that does not apply to a family (score None).
NOT_APPLICABLE = "NA"
#: Written where an indicator or index has no value: the "–" of the reports, never 0 or 100.
NO_VALUE = "–"
#: Written instead of a value hidden from the reader (too few families; `ikk_core.disclosure`).
HIDDEN = "data belum cukup"
WITA = ZoneInfo("Asia/Makassar")

NUMBER_2 = "0.00"
INTEGER = "0"
#: Column headers start on this row; rows 1–3 name the sheet, the instrument and the period.
HEADER_ROW = 5

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_MUTED = Font(color="555555")
_RED_FONT = Font(bold=True, color="9C0006")
_RED_FILL = PatternFill("solid", fgColor="FFC7CE")
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EC")
_SECTION_FILL = PatternFill("solid", fgColor="EEF1F4")
_WRAP = Alignment(wrap_text=True, vertical="top")

_METHOD_NAMES = {
    "dimension_mean": "rata-rata indeks dimensi",
    "flat_mean": "rata-rata semua indikator",
}
def _clean(text: str) -> str:
    """Text without the characters XML 1.0 cannot carry (C0 controls, lone surrogates,
    U+FFFE/U+FFFF...): one such character in a stored name would make the whole workbook
    unreadable, and openpyxl refuses some of them outright."""
    return xml_safe(text)


@dataclass(frozen=True)
class FamilyRow:
    """One family's line in "Skor keluarga".

    `number` identifies the family in the export (a stable per-export number or the family id):
    it is how a reader refers to a family without a name. `head_name` is written only when the
    workbook is built with `include_names=True`. `scores` maps indicator code to 1 (meets),
    0 (does not) or None (does not apply).
    """

    number: int
    village_code: str
    village_name: str
    rt: str
    score: float | None
    band: Band | None
    scores: Mapping[str, int | None] = field(default_factory=dict)
    head_name: str | None = None


class _Sheet:
    """A write-only worksheet with typed cell helpers: text is always text, numbers numbers."""

    def __init__(self, workbook: Workbook, title: str, widths: Sequence[float]) -> None:
        self.ws: Any = workbook.create_sheet(title)
        for index, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width

    def text(self, value: str | None, *, font: Font | None = None,
             fill: PatternFill | None = None, wrap: bool = False) -> WriteOnlyCell:
        """A text cell. Forced to type string so "=…" or "#N/A" in a village or person name is
        shown as typed, never evaluated as a formula or an error."""
        cell = WriteOnlyCell(self.ws, _clean(value) if value else None)
        if value:
            cell.data_type = "s"
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if wrap:
            cell.alignment = _WRAP
        return cell

    def number(self, value: float | None, fmt: str = NUMBER_2, *, red: bool = False,
               font: Font | None = None) -> WriteOnlyCell:
        """A number (full precision; the format only rounds what is shown), or "–" for none."""
        if value is None or value != value:  # None or NaN: no value, never a 0
            return self.text(NO_VALUE)
        cell = WriteOnlyCell(self.ws, value)
        cell.number_format = fmt
        if red:
            cell.fill = _RED_FILL
            cell.font = _RED_FONT
        elif font is not None:
            cell.font = font
        return cell

    def header(self, titles: Iterable[str]) -> list[WriteOnlyCell]:
        return [self.text(t, font=_BOLD, fill=_HEADER_FILL, wrap=True) for t in titles]

    def append(self, row: Sequence[object]) -> None:
        self.ws.append(list(row))


def _area_label(area: AreaResult) -> str:
    try:
        return display_name(AreaLevel(area.level), area.name)
    except ValueError:
        return area.name


def _category(band: Band | None, bands: Sequence[Band] = ()) -> str:
    if band is None:
        return NO_VALUE
    name = category_rank(band, bands) if bands else band.name
    label = band.label.get("id")
    return f"{name} — {label}" if label and label != band.name else name


def _instrument_line(instrument: Instrument) -> str:
    text = f"Instrumen: {instrument.label}"
    return text + " (metode sementara)" if instrument.settings.provisional else text


def _generated_text(moment: datetime) -> str:
    """Local time of the reader (WITA); a naive datetime is taken as UTC, as stored."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    local = aware.astimezone(WITA)
    return f"{format_datetime(local, 'd MMMM y HH.mm', locale='id')} WITA"


def _preamble(sheet: _Sheet, title: str, instrument: Instrument, period: int,
              generated_at: datetime) -> None:
    """Rows 1–4: what the sheet is, which instrument computed it, for which period."""
    sheet.append([sheet.text(title, font=_TITLE)])
    sheet.append([sheet.text(_instrument_line(instrument))])
    sheet.append([sheet.text(
        f"Periode: {period} · dibuat {_generated_text(generated_at)}", font=_MUTED
    )])
    sheet.append([])


def _yes_no(flag: bool) -> str:
    return "ya" if flag else "tidak"


def build_area_workbook(
    *,
    area: AreaResult,
    villages: Sequence[AreaResult],
    families: Sequence[FamilyRow],
    instrument: Instrument,
    period: int,
    include_names: bool,
    generated_at: datetime,
    family_sheet: bool = True,
    hidden_indicators: Collection[str] = (),
    coverage: Coverage | None = None,
    extra_sheets: Sequence[Callable[[Workbook], None]] = (),
) -> bytes:
    """The .xlsx export of `area` (its villages and families in the order given) as bytes.

    `family_sheet` False leaves "Skor keluarga" out entirely (a pejabat's workbook: per-family
    rows are personal data); `hidden_indicators` are left out of it (sensitive indicators).
    Indicators the reader may not see (`IndicatorResult.suppressed`) read "data belum cukup"
    with no value, counts or red flag; `coverage` is a row of the summary.
    """
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "ikk-bot"
    workbook.properties.title = _clean(f"IKK {_area_label(area)} {period}")
    context = _Context(area, instrument, period, generated_at, coverage)
    _summary_sheet(workbook, context, len(villages))
    _indicator_sheet(workbook, context, villages)
    _dimension_sheet(workbook, context, villages)
    for write_sheet in extra_sheets:  # e.g. "Perubahan" (bot.reporting.change_sheet)
        write_sheet(workbook)
    rows = (
        _family_sheet(workbook, context, families, include_names, hidden_indicators)
        if family_sheet else None
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _splice(buffer.getvalue(), rows) if rows is not None else buffer.getvalue()


@dataclass(frozen=True)
class _Context:
    area: AreaResult
    instrument: Instrument
    period: int
    generated_at: datetime
    coverage: Coverage | None = None

    def preamble(self, sheet: _Sheet, what: str) -> None:
        _preamble(sheet, f"{what} — {_area_label(self.area)}", self.instrument, self.period,
                  self.generated_at)


def _summary_sheet(workbook: Workbook, ctx: _Context, village_count: int) -> None:
    area, instrument = ctx.area, ctx.instrument
    sheet = _Sheet(workbook, SHEET_SUMMARY, (22, 46, 16, 12, 12, 12, 10, 34))
    sheet.ws.freeze_panes = "A5"
    ctx.preamble(sheet, "Ringkasan IKK")
    method = _METHOD_NAMES.get(area.method, area.method)
    if instrument.settings.provisional:
        method += " (metode sementara)"
    bands = instrument.settings.ikk_bands
    facts: list[tuple[str, WriteOnlyCell]] = [
        ("Wilayah", sheet.text(_area_label(area))),
        *([("Cakupan data", sheet.text(coverage_text(ctx.coverage)))]
          if ctx.coverage is not None else []),
        ("Tingkat", sheet.text(area.level)),
        ("Kode wilayah", sheet.text(area.code)),
        ("Periode", sheet.number(ctx.period, INTEGER)),
        ("Instrumen", sheet.text(instrument.label)),
        ("Metode", sheet.text(method)),
        ("Jumlah desa/kelurahan", sheet.number(village_count, INTEGER)),
        ("Jumlah keluarga", sheet.number(area.families, INTEGER)),
        ("IKK", sheet.number(area.ikk, font=_BOLD)),
        ("Kategori", sheet.text(_category(area.category, bands))),
        ("Batas merah indikator (%)", sheet.number(instrument.settings.red_threshold)),
    ]
    for label, cell in facts:
        sheet.append([sheet.text(label, font=_BOLD), cell])

    sheet.append([])
    _section(sheet, "Indeks dimensi")
    sheet.append(sheet.header(["Kode", "Dimensi", "Bobot", "Indeks"]))
    for dim in area.dimensions:
        sheet.append([sheet.text(dim.code), sheet.text(dim.name.get("id")),
                      sheet.number(dim.weight), sheet.number(dim.value)])

    sheet.append([])
    _section(sheet, "Indikator merah (nilai terendah dulu)")
    if area.red:
        sheet.append(sheet.header(_SUMMARY_INDICATOR_HEADERS))
        for ind in area.red:
            sheet.append(_summary_indicator_row(sheet, ind))
    else:
        sheet.append([sheet.text("Tidak ada indikator merah.")])

    if area.suppressed:
        sheet.append([])
        _section(sheet, f"Indikator disembunyikan: {HIDDEN} ({len(area.suppressed)})")
        sheet.append([sheet.text(
            "Terlalu sedikit keluarga yang berlaku, atau disembunyikan agar tidak dapat "
            "dihitung dari angka wilayah lain. IKK dan dimensi dihitung dari indikator lainnya."
        )])

    sheet.append([])
    _section(sheet, "Indikator tanpa nilai (tidak ada keluarga yang berlaku)")
    if area.no_value:
        for ind in area.no_value:
            sheet.append([sheet.text(ind.code), sheet.text(ind.name.get("id")),
                          sheet.text(ind.dimension)])
    else:
        sheet.append([sheet.text("Semua indikator bernilai.")])

    sheet.append([])
    _section(sheet, "Semua indikator")
    sheet.append(sheet.header(_SUMMARY_INDICATOR_HEADERS))
    for ind in area.indicators:
        sheet.append(_summary_indicator_row(sheet, ind))


_SUMMARY_INDICATOR_HEADERS = (
    "Kode", "Indikator", "Dimensi", "Nilai (%)", "Pembilang", "Penyebut", "Merah", "Sektor"
)


def _figures(sheet: _Sheet, ind: IndicatorResult) -> list[WriteOnlyCell]:
    """Value, numerator, denominator and red flag; for a hidden indicator none of them (not
    even "not red", which would tell that the value is at least the threshold)."""
    if ind.suppressed:
        return [sheet.text(HIDDEN), sheet.text(NO_VALUE), sheet.text(NO_VALUE),
                sheet.text(NO_VALUE)]
    return [
        sheet.number(ind.value, red=ind.red),
        sheet.number(ind.numerator, INTEGER),
        sheet.number(ind.denominator, INTEGER),
        sheet.text(_yes_no(ind.red), fill=_RED_FILL if ind.red else None),
    ]


def _summary_indicator_row(sheet: _Sheet, ind: IndicatorResult) -> list[WriteOnlyCell]:
    return [
        sheet.text(ind.code),
        sheet.text(ind.name.get("id")),
        sheet.text(ind.dimension),
        *_figures(sheet, ind),
        sheet.text(ind.sector),
    ]


def _section(sheet: _Sheet, title: str) -> None:
    sheet.append([sheet.text(title, font=_BOLD, fill=_SECTION_FILL)])


def _indicator_sheet(workbook: Workbook, ctx: _Context, villages: Sequence[AreaResult]) -> None:
    headers = ["Kode desa", "Desa", "Jumlah keluarga", "Dimensi", "Kode indikator", "Indikator",
               "Nilai (%)", "Pembilang", "Penyebut", "Merah", "Sektor"]
    sheet = _Sheet(workbook, SHEET_INDICATORS, (16, 24, 11, 9, 10, 40, 11, 11, 11, 8, 30))
    sheet.ws.freeze_panes = f"C{HEADER_ROW + 1}"
    ctx.preamble(sheet, "Indikator per desa")
    sheet.append(sheet.header(headers))
    for village in villages:
        for ind in village.indicators:
            sheet.append([
                sheet.text(village.code),
                sheet.text(village.name),
                sheet.number(village.families, INTEGER),
                sheet.text(ind.dimension),
                sheet.text(ind.code),
                sheet.text(ind.name.get("id")),
                *_figures(sheet, ind),
                sheet.text(ind.sector),
            ])
    last = HEADER_ROW + sum(len(v.indicators) for v in villages)
    sheet.ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(headers))}{last}"


def _dimension_sheet(workbook: Workbook, ctx: _Context, villages: Sequence[AreaResult]) -> None:
    dimensions = ctx.instrument.dimensions
    headers = ["Kode desa", "Desa", "Jumlah keluarga", "IKK", "Kategori",
               *(f"{d.code} — {d.name.get('id')}" for d in dimensions)]
    widths = (16, 24, 11, 10, 44, *(16 for _ in dimensions))
    sheet = _Sheet(workbook, SHEET_DIMENSIONS, widths)
    sheet.ws.freeze_panes = f"C{HEADER_ROW + 1}"
    ctx.preamble(sheet, "Indeks dimensi per desa")
    sheet.append(sheet.header(headers))
    for village in villages:
        values = {d.code: d.value for d in village.dimensions}
        sheet.append([
            sheet.text(village.code),
            sheet.text(village.name),
            sheet.number(village.families, INTEGER),
            sheet.number(village.ikk, font=_BOLD),
            sheet.text(_category(village.category, ctx.instrument.settings.ikk_bands)),
            *(sheet.number(values.get(d.code)) for d in dimensions),
        ])
    last = HEADER_ROW + len(villages)
    sheet.ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(headers))}{last}"


def _family_sheet(workbook: Workbook, ctx: _Context, families: Sequence[FamilyRow],
                  include_names: bool, hidden: Collection[str]) -> _FamilyRows:
    """The sheet's frame through openpyxl; its rows come back to be spliced in after saving."""
    codes = [i.code for i in ctx.instrument.indicators if i.code not in hidden]
    headers = ["Nomor keluarga", "Kode desa", "Desa", "RT"]
    widths: list[float] = [10, 16, 22, 6]
    if include_names:
        headers.append("Nama kepala keluarga")
        widths.append(28)
    headers += ["Skor keluarga", "Kategori", *codes]
    widths += [10, 12, *(6.5 for _ in codes)]
    sheet = _Sheet(workbook, SHEET_FAMILIES, widths)
    # Keep the family number and the header row in view while scrolling over 29 indicators.
    sheet.ws.freeze_panes = f"B{HEADER_ROW + 1}"
    ctx.preamble(sheet, "Skor indikator per keluarga")
    sheet.append(sheet.header(headers))
    last = HEADER_ROW + len(families)
    sheet.ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(headers))}{last}"
    return _FamilyRows(
        sheet=sheet.ws,
        families=families,
        codes=codes,
        include_names=include_names,
        # The cell styles openpyxl would give these cells, registered in the workbook now.
        number_style=int(sheet.number(0, INTEGER).style_id),
        score_style=int(sheet.number(0.0).style_id),
    )


_ROWS_PER_CHUNK = 500


@dataclass(frozen=True)
class _FamilyRows:
    """The rows of "Skor keluarga" as sheet XML (row r = HEADER_ROW + 1 onwards)."""

    sheet: Any
    families: Sequence[FamilyRow]
    codes: list[str]
    include_names: bool
    number_style: int
    score_style: int

    def chunks(self) -> Iterator[bytes]:
        width = 6 + int(self.include_names) + len(self.codes)
        letters = [get_column_letter(i) for i in range(1, width + 1)]
        na = _inline(NOT_APPLICABLE)
        no_value = _inline(NO_VALUE)
        for start in range(0, len(self.families), _ROWS_PER_CHUNK):
            out: list[str] = []
            for offset, family in enumerate(self.families[start : start + _ROWS_PER_CHUNK]):
                r = HEADER_ROW + 1 + start + offset
                cells = [
                    f'<c r="A{r}" s="{self.number_style}" t="n"><v>{int(family.number)}</v></c>',
                    _text_cell(f"B{r}", family.village_code),
                    _text_cell(f"C{r}", family.village_name),
                    _text_cell(f"D{r}", family.rt),
                ]
                column = 4
                if self.include_names:
                    cells.append(_text_cell(f"E{r}", family.head_name))
                    column = 5
                score = family.score
                if score is None or score != score:  # None or NaN: no value, never a 0
                    cells.append(f'<c r="{letters[column]}{r}" t="inlineStr">{no_value}</c>')
                else:
                    cells.append(
                        f'<c r="{letters[column]}{r}" s="{self.score_style}" t="n">'
                        f"<v>{float(score)!r}</v></c>"
                    )
                cells.append(_text_cell(f"{letters[column + 1]}{r}", _family_band(family.band)))
                scores = family.scores
                for j, code in enumerate(self.codes, start=column + 2):
                    value = scores.get(code)
                    if value is None:
                        cells.append(f'<c r="{letters[j]}{r}" t="inlineStr">{na}</c>')
                    else:
                        cells.append(f'<c r="{letters[j]}{r}" t="n"><v>{int(value)}</v></c>')
                out.append(f'<row r="{r}">{"".join(cells)}</row>')
            yield "".join(out).encode("utf-8")


def _inline(text: str) -> str:
    """An inline string as openpyxl writes it (spaces kept at the ends)."""
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f"<is><t{space}>{xml_escape(text)}</t></is>"


def _text_cell(ref: str, value: str | None) -> str:
    """A text cell: always a string, so "=…" in a name is never a formula; no cell if empty."""
    text = _clean(value) if value else ""
    if not text:
        return ""
    return f'<c r="{ref}" t="inlineStr">{_inline(text)}</c>'


def _splice(data: bytes, rows: _FamilyRows) -> bytes:
    """The saved workbook with the family rows written into the family sheet's <sheetData>."""
    if not rows.families:
        return data
    path = str(rows.sheet.path).lstrip("/")
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename != path:
                target.writestr(info, content)
                continue
            head, tail = content.split(b"</sheetData>", 1)
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with target.open(entry, "w", force_zip64=True) as stream:
                stream.write(head)
                for chunk in rows.chunks():
                    stream.write(chunk)
                stream.write(b"</sheetData>")
                stream.write(tail)
    return out.getvalue()


def _family_band(band: Band | None) -> str:
    if band is None:
        return NO_VALUE
    return band.label.get("id") or band.name

