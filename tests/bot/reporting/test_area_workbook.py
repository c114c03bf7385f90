"""The Excel export: it opens, its numbers are the core's numbers, and names stay out unless asked.

Every number is compared with the AreaResult it came from at full precision (pytest.approx), so a
rounded or stringified value fails. The name rule is checked twice: on every cell value read back
by openpyxl, and on the raw bytes of every part of the .xlsx (a name in a hidden place, such as the
file's properties or an unused shared string, would also fail).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook
from reporting_samples import (
    HEAD_NAMES,
    OTHER_VILLAGE,
    VILLAGE,
    WORKED_FAMILIES,
    empty_village,
    family_rows,
    instrument,
    mixed_kecamatan,
    score_table,
    worked_example,
)

from bot.reporting.workbook import (
    HEADER_ROW,
    NO_VALUE,
    NOT_APPLICABLE,
    SHEET_DIMENSIONS,
    SHEET_FAMILIES,
    SHEET_INDICATORS,
    SHEET_SUMMARY,
    FamilyRow,
    build_area_workbook,
)
from ikk_core.coverage import Coverage
from ikk_core.results import AreaResult

GENERATED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # 18.00 WITA
NAMES = {VILLAGE: "Sampanahan", OTHER_VILLAGE: "Hulu Sampanahan"}
RED_FILL = "00FFC7CE"


def worked_rows(heads: tuple[str, ...] = HEAD_NAMES) -> list[FamilyRow]:
    import pandas as pd

    scores = score_table(WORKED_FAMILIES)
    codes = pd.Series([VILLAGE] * 3, index=scores.index, dtype=object)
    return family_rows(scores, codes, NAMES, heads)


def build(
    area: AreaResult | None = None,
    villages: tuple[AreaResult, ...] | None = None,
    families: list[FamilyRow] | None = None,
    *,
    include_names: bool = False,
) -> bytes:
    area = area if area is not None else worked_example()
    return build_area_workbook(
        area=area,
        villages=villages if villages is not None else (area,),
        families=families if families is not None else worked_rows(),
        instrument=instrument(),
        period=2026,
        include_names=include_names,
        generated_at=GENERATED,
    )


def load(data: bytes) -> Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def rows_from(ws: Any, first: int) -> Iterator[tuple[Any, ...]]:
    yield from ws.iter_rows(min_row=first, values_only=True)


def facts(ws: Any) -> dict[str, Any]:
    """The key/value block of the summary: column A label → cell of column B."""
    out: dict[str, Any] = {}
    for row in ws.iter_rows(min_row=HEADER_ROW, max_row=HEADER_ROW + 12):
        if row[0].value is None:
            break
        out[row[0].value] = row[1]
    return out


def table_after(ws: Any, title: str) -> list[tuple[Any, ...]]:
    """Rows of the table under a section title of the summary (header row excluded)."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == title) + 2
    out = []
    for row in rows[start:]:
        if row[0] is None:
            break
        out.append(row)
    return out


def test_workbook_opens_with_four_indonesian_sheets() -> None:
    book = load(build())
    assert book.sheetnames == [SHEET_SUMMARY, SHEET_INDICATORS, SHEET_DIMENSIONS, SHEET_FAMILIES]
    assert book.sheetnames == ["Ringkasan", "Indikator per desa", "Dimensi per desa",
                               "Skor keluarga"]


def test_every_sheet_names_the_instrument_and_the_period_in_its_header_rows() -> None:
    book = load(build())
    for ws in book.worksheets:
        assert "Desa Sampanahan" in ws["A1"].value
        assert ws["A2"].value == (
            "Instrumen: ikk-kalsel-default versi 2026.2 (metode sementara)"
        )
        assert ws["A3"].value == "Periode: 2026 · dibuat 27 November 2026 18.00 WITA"


def test_summary_numbers_equal_the_area_result_stored_as_numbers() -> None:
    area = worked_example()
    summary = facts(load(build())[SHEET_SUMMARY])
    ikk = summary["IKK"]
    assert isinstance(ikk.value, float)
    assert ikk.value == pytest.approx(area.ikk)  # 87,5 in the spec
    assert ikk.number_format == "0.00"
    assert summary["Jumlah keluarga"].value == 3
    assert summary["Periode"].value == 2026
    assert summary["Kode wilayah"].value == "63.02.12.2005"
    assert summary["Kategori"].value == (
        "Kategori 3 dari 3 (tertinggi) — Kualitas keluarga responsif gender dan hak anak"
    )
    assert "metode sementara" in summary["Metode"].value


def test_summary_lists_dimensions_and_red_indicators_lowest_first() -> None:
    area = worked_example()
    ws = load(build())[SHEET_SUMMARY]
    dims = table_after(ws, "Indeks dimensi")
    assert [d[0] for d in dims] == ["LS", "KF", "KE", "KSP", "KSB"]
    assert [d[3] for d in dims] == pytest.approx([d.value for d in area.dimensions])
    red = table_after(ws, "Indikator merah (nilai terendah dulu)")
    assert [r[0] for r in red] == [i.code for i in area.red]
    assert red[0][0] == "KE2"  # 33,33: the lowest
    for row, ind in zip(red, area.red, strict=True):
        assert row[3] == pytest.approx(ind.value)
        assert (row[4], row[5]) == (ind.numerator, ind.denominator)
        assert row[7] == ind.sector
    assert len(red) == 8


def test_summary_names_indicators_without_value() -> None:
    rows = list(load(build())[SHEET_SUMMARY].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if (r[0] or "").startswith("Indikator tanpa nilai"))
    assert [rows[start + 1][0], rows[start + 2][0]] == ["KF5", "KF6"]


def test_indicators_per_village_equal_each_villages_result() -> None:
    area, villages, _, _ = mixed_kecamatan()
    ws = load(build(area, villages, []))[SHEET_INDICATORS]
    header = next(ws.iter_rows(min_row=HEADER_ROW, max_row=HEADER_ROW, values_only=True))
    assert header == ("Kode desa", "Desa", "Jumlah keluarga", "Dimensi", "Kode indikator",
                      "Indikator", "Nilai (%)", "Pembilang", "Penyebut", "Merah", "Sektor")
    rows = list(rows_from(ws, HEADER_ROW + 1))
    expected = [(v, i) for v in villages for i in v.indicators]
    assert len(rows) == len(expected) == 2 * 29
    for row, (village, ind) in zip(rows, expected, strict=True):
        assert row[0] == village.code
        assert row[2] == village.families
        assert row[4] == ind.code
        if ind.value is None:
            assert row[6] == NO_VALUE
        else:
            assert row[6] == pytest.approx(ind.value)
        assert (row[7], row[8]) == (ind.numerator, ind.denominator)
        assert row[9] == ("ya" if ind.red else "tidak")


def test_red_indicator_cells_are_filled_red_and_others_are_not() -> None:
    area = worked_example()
    ws = load(build())[SHEET_INDICATORS]
    for row, ind in zip(ws.iter_rows(min_row=HEADER_ROW + 1), area.indicators, strict=True):
        value_cell = row[6]
        filled = value_cell.fill.fgColor.rgb == RED_FILL
        assert filled == ind.red, ind.code
        if ind.value is not None:
            assert value_cell.number_format == "0.00"


def test_dimensions_per_village_equal_each_villages_result() -> None:
    area, villages, _, _ = mixed_kecamatan()
    ws = load(build(area, villages, []))[SHEET_DIMENSIONS]
    rows = list(rows_from(ws, HEADER_ROW + 1))
    assert [r[0] for r in rows] == [VILLAGE, OTHER_VILLAGE]
    for row, village in zip(rows, villages, strict=True):
        assert row[2] == village.families
        assert row[3] == pytest.approx(village.ikk)
        assert list(row[5:]) == pytest.approx([d.value for d in village.dimensions])


def test_family_scores_are_one_zero_or_na_per_indicator() -> None:
    families = worked_rows()
    ws = load(build(families=families))[SHEET_FAMILIES]
    header = next(ws.iter_rows(min_row=HEADER_ROW, max_row=HEADER_ROW, values_only=True))
    codes = [i.code for i in instrument().indicators]
    assert header == ("Nomor keluarga", "Kode desa", "Desa", "RT", "Skor keluarga", "Kategori",
                      *codes)
    rows = list(rows_from(ws, HEADER_ROW + 1))
    assert [r[0] for r in rows] == [1, 2, 3]
    # Family B: 26 applicable, 21 met → 80,769…; C: 21 applicable, 17 met → 80,952…
    assert [r[4] for r in rows] == pytest.approx([100.0, 100 * 21 / 26, 100 * 17 / 21])
    assert [r[5] for r in rows] == ["Baik", "Baik", "Baik"]
    for row, family in zip(rows, WORKED_FAMILIES, strict=True):
        cells = dict(zip(codes, row[6:], strict=True))
        assert cells == {c: family.get(c, NOT_APPLICABLE) for c in codes}


def all_cell_values(book: Workbook) -> Iterator[str]:
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            yield from (str(v) for v in row if v is not None)


def raw_parts(data: bytes) -> Iterator[bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            yield archive.read(name)


def test_no_family_name_appears_anywhere_without_include_names() -> None:
    data = build(include_names=False)
    values = list(all_cell_values(load(data)))
    for name in HEAD_NAMES:
        assert not [v for v in values if name in v]
        encoded = name.encode()
        assert not [part for part in raw_parts(data) if encoded in part]
    headers = next(load(data)[SHEET_FAMILIES].iter_rows(
        min_row=HEADER_ROW, max_row=HEADER_ROW, values_only=True))
    assert "Nama kepala keluarga" not in headers


def test_family_names_are_written_only_with_include_names() -> None:
    ws = load(build(include_names=True))[SHEET_FAMILIES]
    header = next(ws.iter_rows(min_row=HEADER_ROW, max_row=HEADER_ROW, values_only=True))
    assert header[4] == "Nama kepala keluarga"
    names = [r[4] for r in rows_from(ws, HEADER_ROW + 1)]
    assert names == list(HEAD_NAMES)
    assert [r[5] for r in rows_from(ws, HEADER_ROW + 1)] == pytest.approx(
        [100.0, 100 * 21 / 26, 100 * 17 / 21]
    )


def test_formula_and_error_looking_names_are_stored_as_plain_text() -> None:
    heads = ('=HYPERLINK("http://contoh.invalid","klik")', "#N/A", "+62 812 0000")
    book = load(build(families=worked_rows(heads), include_names=True))
    ws = book[SHEET_FAMILIES]
    cells = [row[4] for row in ws.iter_rows(min_row=HEADER_ROW + 1)]
    assert [c.value for c in cells] == list(heads)
    assert all(c.data_type == "s" for c in cells)


def test_control_characters_in_names_are_dropped_not_fatal() -> None:
    village = replace(worked_example(), name="Sampa\x07nahan\x1b")
    families = [replace(f, village_name="Sampa\x07nahan", head_name="Siti\x00 Aminah")
                for f in worked_rows()]
    book = load(build(village, (village,), families, include_names=True))
    assert book[SHEET_DIMENSIONS]["B6"].value == "Sampanahan"
    assert book[SHEET_FAMILIES]["E6"].value == "Siti Aminah"


def test_panes_are_frozen_below_the_header_and_columns_have_widths() -> None:
    book = load(build())
    assert book[SHEET_INDICATORS].freeze_panes == f"C{HEADER_ROW + 1}"
    assert book[SHEET_DIMENSIONS].freeze_panes == f"C{HEADER_ROW + 1}"
    assert book[SHEET_FAMILIES].freeze_panes == f"B{HEADER_ROW + 1}"
    assert book[SHEET_INDICATORS].column_dimensions["F"].width >= 30
    assert book[SHEET_INDICATORS].auto_filter.ref == f"A{HEADER_ROW}:K{HEADER_ROW + 29}"


def test_area_without_families_exports_dashes_not_zeros() -> None:
    area = empty_village()
    book = load(build(area, (area,), []))
    summary = facts(book[SHEET_SUMMARY])
    assert summary["IKK"].value == NO_VALUE
    assert summary["Jumlah keluarga"].value == 0
    values = [r[6] for r in rows_from(book[SHEET_INDICATORS], HEADER_ROW + 1)]
    assert values == [NO_VALUE] * 29
    assert list(rows_from(book[SHEET_FAMILIES], HEADER_ROW + 1)) == []


def test_naive_generation_time_is_taken_as_utc() -> None:
    data = build_area_workbook(
        area=worked_example(), villages=(worked_example(),), families=[],
        instrument=instrument(), period=2026, include_names=False,
        generated_at=datetime(2026, 11, 27, 10, 0),
    )
    assert load(data)[SHEET_SUMMARY]["A3"].value.endswith("27 November 2026 18.00 WITA")


def test_kecamatan_export_lists_its_families_with_their_village() -> None:
    area, villages, scores, codes = mixed_kecamatan()
    families = family_rows(scores, codes, NAMES)
    ws = load(build(area, villages, families))[SHEET_FAMILIES]
    rows = list(rows_from(ws, HEADER_ROW + 1))
    assert len(rows) == area.families == 120
    assert {r[1] for r in rows} == {VILLAGE, OTHER_VILLAGE}
    assert sum(1 for r in rows if r[2] == "Hulu Sampanahan") == villages[1].families == 50


def test_a_family_score_of_nan_is_written_as_no_value() -> None:
    families = [replace(f, score=float("nan")) for f in worked_rows()]
    ws = load(build(families=families))[SHEET_FAMILIES]
    assert [r[4] for r in rows_from(ws, HEADER_ROW + 1)] == [NO_VALUE] * 3


def test_without_a_family_sheet_the_workbook_holds_no_family_row_or_name() -> None:
    data = build_area_workbook(
        area=worked_example(), villages=(worked_example(),), families=worked_rows(),
        instrument=instrument(), period=2026, include_names=True, generated_at=GENERATED,
        family_sheet=False,
    )
    book = load(data)
    assert SHEET_FAMILIES not in book.sheetnames
    values = list(all_cell_values(book))
    assert "Nomor keluarga" not in values
    for name in HEAD_NAMES:
        assert not [part for part in raw_parts(data) if name.encode() in part]


def test_hidden_indicators_have_no_column_and_the_others_keep_their_values() -> None:
    data = build_area_workbook(
        area=worked_example(), villages=(worked_example(),), families=worked_rows(),
        instrument=instrument(), period=2026, include_names=False, generated_at=GENERATED,
        hidden_indicators={"KSP2", "KSB5"},
    )
    ws = load(data)[SHEET_FAMILIES]
    header = next(ws.iter_rows(min_row=HEADER_ROW, max_row=HEADER_ROW, values_only=True))
    assert "KSP2" not in header and "KSB5" not in header and "KSP1" in header
    assert len(header) == 6 + 29 - 2
    rows = [dict(zip(header, row, strict=True)) for row in rows_from(ws, HEADER_ROW + 1)]
    full = load(build())[SHEET_FAMILIES]
    full_header = next(full.iter_rows(min_row=HEADER_ROW, max_row=HEADER_ROW, values_only=True))
    expected = [
        {k: v for k, v in zip(full_header, row, strict=True) if k not in {"KSP2", "KSB5"}}
        for row in rows_from(full, HEADER_ROW + 1)
    ]
    assert rows == expected and len(rows) == 3


def test_a_hidden_indicator_has_no_value_counts_or_red_flag_and_the_summary_has_coverage(
) -> None:
    shown = worked_example()
    hidden = replace(shown, indicators=tuple(
        replace(i, numerator=0, denominator=0, value=None, red=False, suppressed=True)
        if i.code == "KSP2" else i
        for i in shown.indicators
    ))
    data = build_area_workbook(
        area=hidden, villages=(hidden,), families=(), instrument=instrument(), period=2026,
        include_names=False, generated_at=GENERATED,
        coverage=Coverage(1, 10, 3, 480, 10),
    )
    book = load(data)
    summary = list(book[SHEET_SUMMARY].iter_rows(values_only=True))
    facts = {row[0]: row[1] for row in summary if row and row[0]}
    assert facts["Cakupan data"] == (
        "Data dari 1 dari 10 desa/kelurahan (3 keluarga) · 3 dari 480 KK (1 %)"
    )
    ksp2 = [row for row in summary if row[0] == "KSP2"]
    assert ksp2 and all(row[3:7] == ("data belum cukup", "–", "–", "–") for row in ksp2)
    assert any(str(row[0]).startswith("Indikator disembunyikan: data belum cukup (1)")
               for row in summary if row[0])
    per_village = [row for row in book[SHEET_INDICATORS].iter_rows(values_only=True)
                   if row[4] == "KSP2"]
    assert [row[6:10] for row in per_village] == [("data belum cukup", "–", "–", "–")]
