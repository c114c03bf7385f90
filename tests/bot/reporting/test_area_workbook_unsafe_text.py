"""A name stored before typed text was checked can never make an area's workbook unreadable.

`Budi\\uffffSantoso` (a noncharacter) or a lone surrogate in one family's name used to break the
XML of the whole export; the writer now drops every character XML cannot carry.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
from reporting_samples import instrument, worked_example

from bot.reporting.workbook import HEADER_ROW, SHEET_FAMILIES, FamilyRow, build_area_workbook

UNSAFE_NAMES = ("Budi\uffffSantoso", "Ani\ud800Lestari", "Rahmat\ufffe\x01Hidayat")


def _rows() -> list[FamilyRow]:
    codes = [i.code for i in instrument().indicators]
    return [
        FamilyRow(
            number=n,
            village_code="63.02.12.2005",
            village_name="Sampanahan\U0010ffff",
            rt=str(n),
            score=80.0,
            band=None,
            scores=dict.fromkeys(codes, 1),
            head_name=name,
        )
        for n, name in enumerate(UNSAFE_NAMES, start=1)
    ]


def test_a_stored_name_with_xml_illegal_characters_is_written_without_them() -> None:
    data = build_area_workbook(
        area=worked_example(), villages=[worked_example()], families=_rows(),
        instrument=instrument(), period=2025, include_names=True,
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )

    sheet = openpyxl.load_workbook(io.BytesIO(data))[SHEET_FAMILIES]
    header = [c.value for c in sheet[HEADER_ROW]]
    names = [row[header.index("Nama kepala keluarga")] for row in
             sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
    villages = {row[header.index("Desa")] for row in
                sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)}
    assert names == ["BudiSantoso", "AniLestari", "RahmatHidayat"]
    assert villages == {"Sampanahan"}
