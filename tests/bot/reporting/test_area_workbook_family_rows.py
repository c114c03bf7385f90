"""The family rows spliced into "Skor keluarga" as XML read back exactly as openpyxl's own rows.

The reference writes the same rows cell by cell with openpyxl (write-only mode, the builder's
former path); every cell's value, type and number format must be equal, for awkward names
(markup characters, leading spaces, formulas, control characters), NaN and missing scores,
with and without names.
"""

from __future__ import annotations

import io
import math
import random
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from reporting_samples import instrument, worked_example

from bot.reporting.workbook import (
    HEADER_ROW,
    NO_VALUE,
    NOT_APPLICABLE,
    SHEET_FAMILIES,
    FamilyRow,
    build_area_workbook,
)

AWKWARD = ["A & B <C>", "  spasi di depan", "=HYPERLINK(\"x\")", "#N/A", "Nur\x07 Ain", "",
           "Ṣiti ’Aisyah", "1e5", "trailing  "]


def families(n: int, seed: int) -> list[FamilyRow]:
    rng = random.Random(seed)
    codes = [i.code for i in instrument().indicators]
    bands = instrument().settings.family_bands
    rows = []
    for number in range(1, n + 1):
        score = rng.choice([None, math.nan, 0.0, 100.0, rng.random() * 100, 80.76923076923077])
        rows.append(FamilyRow(
            number=number * 7,
            village_code=f"63.02.12.{2000 + number % 9}",
            village_name=rng.choice(AWKWARD),
            rt=str(rng.randint(1, 30)),
            score=score,
            band=rng.choice([None, *bands]),
            scores={c: rng.choice([0, 1, None]) for c in codes if rng.random() > 0.1},
            head_name=rng.choice([*AWKWARD, None]),
        ))
    return rows


def reference_cells(rows: list[FamilyRow], include_names: bool) -> list[list[Any]]:
    """The rows as openpyxl writes them cell by cell, read back."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_FAMILIES)
    codes = [i.code for i in instrument().indicators]
    from bot.reporting.workbook import _clean, _family_band

    def text(value: str | None) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, _clean(value) if value else None)
        if value and cell.value:
            cell.data_type = "s"
        return cell

    def number(value: float | None, fmt: str) -> WriteOnlyCell:
        if value is None or value != value:
            return text(NO_VALUE)
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = fmt
        return cell

    for _ in range(HEADER_ROW):
        sheet.append([])
    for family in rows:
        row: list[object] = [number(family.number, "0"), text(family.village_code),
                             text(family.village_name), text(family.rt)]
        if include_names:
            row.append(text(family.head_name))
        row += [number(family.score, "0.00"), text(_family_band(family.band))]
        row += [NOT_APPLICABLE if family.scores.get(c) is None else int(family.scores[c])
                for c in codes]
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return read_rows(buffer.getvalue())


def read_rows(data: bytes) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book[SHEET_FAMILIES]
    return [
        [(c.value, c.data_type, c.number_format if c.value is not None else None) for c in row]
        for row in sheet.iter_rows(min_row=HEADER_ROW + 1)
    ]


@pytest.mark.parametrize("include_names", [False, True])
@pytest.mark.parametrize("seed", [1, 2])
def test_spliced_family_rows_equal_openpyxls_own_rows(include_names: bool, seed: int) -> None:
    rows = families(300, seed)
    data = build_area_workbook(
        area=worked_example(), villages=[worked_example()], families=rows,
        instrument=instrument(), period=2025, include_names=include_names,
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    got = read_rows(data)
    expected = reference_cells(rows, include_names)
    assert len(got) == len(rows)
    width = max(len(r) for r in got + expected)
    pad = (None, "n", None)
    score_column = 4 + int(include_names)
    for number, (mine, theirs, family) in enumerate(zip(got, expected, rows, strict=True)):
        mine = mine + [pad] * (width - len(mine))
        theirs = theirs + [pad] * (width - len(theirs))
        # openpyxl writes floats with 16 significant digits; the splice keeps every digit.
        value, kind, fmt = mine[score_column]
        if kind == "n":
            assert value == family.score
            assert (value, kind, fmt) == (pytest.approx(theirs[score_column][0], rel=1e-15),
                                          *theirs[score_column][1:])
            mine[score_column] = theirs[score_column]
        assert mine == theirs, f"row {number}"


def test_the_spliced_sheet_keeps_its_header_filter_and_frozen_panes() -> None:
    rows = families(20, 3)
    data = build_area_workbook(
        area=worked_example(), villages=[], families=rows, instrument=instrument(),
        period=2025, include_names=False, generated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    sheet = openpyxl.load_workbook(io.BytesIO(data))[SHEET_FAMILIES]
    assert sheet.cell(HEADER_ROW, 1).value == "Nomor keluarga"
    assert sheet.freeze_panes == f"B{HEADER_ROW + 1}"
    assert sheet.auto_filter.ref.endswith(str(HEADER_ROW + len(rows)))
    assert sheet.max_row == HEADER_ROW + len(rows)
