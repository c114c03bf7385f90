"""The workbook's "Perubahan" sheet: both periods, the change, both coverages; hidden cells read
"data belum cukup"; a pejabat's workbook still has no family row and no name."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.reporting.change_sheet import SHEET_CHANGE
from bot.services.official import export_area, ikk_report
from bot.telegram.official_texts import export_caption
from tests.bot.officials.conftest import KECAMATAN, PERIOD, SAMPANAHAN, Officials
from tests.bot.officials.test_export_privacy import (
    DISTINCT_NAMES,
    assert_no_personal_data,
    sheets,
)
from tests.bot.services.conftest import FAMILY_A, FAMILY_B, FAMILY_C, enter_family


async def enter(officials: Officials, families: tuple[dict[str, str], ...], period: int) -> None:
    for name, family in zip(DISTINCT_NAMES, families, strict=False):
        await enter_family(officials.ctx, officials.kader, {**family, "H_KEPALA": name},
                           village=SAMPANAHAN, period=period)


def rows_by_code(data: bytes) -> dict[str, tuple[object, ...]]:
    rows = sheets(data)[SHEET_CHANGE]
    return {str(row[0]): row for row in rows if row and row[0] is not None}


async def test_the_pejabat_workbook_compares_ikk_and_dimensions_with_both_coverages(
    officials: Officials,
) -> None:
    await enter(officials, (FAMILY_A, FAMILY_B, FAMILY_B), PERIOD - 1)  # same indicators
    await enter(officials, (FAMILY_A, FAMILY_A, FAMILY_B), PERIOD)
    shown = await ikk_report(officials.ctx, officials.camat, code=KECAMATAN)
    built = await export_area(officials.ctx, officials.camat, code=KECAMATAN)
    assert shown.value is not None and built.value is not None
    report, data = shown.value, built.value.data
    assert report.previous is not None and report.comparison is not None
    assert_no_personal_data(data, officials.ctx.instrument.sensitive_names())
    rows = rows_by_code(data)
    ikk = rows["IKK"]
    assert ikk[2] == pytest.approx(report.result.ikk)
    assert ikk[3] == pytest.approx(report.previous.result.ikk)
    assert ikk[4] == pytest.approx(report.comparison.ikk.points)
    assert ikk[5] == "naik"
    for dim in report.comparison.dimensions:
        assert rows[dim.code][5] == dim.direction.value
    assert rows[str(PERIOD)][2] == 3 and rows[str(PERIOD - 1)][2] == 3
    assert "Data dari 1 dari" in str(rows[str(PERIOD)][1])
    assert "Perubahan" in export_caption(built.value)


async def test_a_hidden_previous_period_reads_data_belum_cukup(officials: Officials) -> None:
    strict = replace(officials, ctx=replace(officials.ctx, min_families=2))
    await enter(officials, (FAMILY_A,), PERIOD - 1)
    await enter(officials, (FAMILY_A, FAMILY_B, FAMILY_C), PERIOD)
    built = await export_area(strict.ctx, strict.pejabat_kotabaru, code=SAMPANAHAN)
    assert built.value is not None
    rows = rows_by_code(built.value.data)
    assert isinstance(rows["IKK"][2], float)
    assert rows["IKK"][3:] == ("data belum cukup", "data belum cukup", "data belum cukup")
    assert all(rows[code][3] == "data belum cukup" for code in ("LS", "KF", "KE"))


async def test_one_period_gives_no_perubahan_sheet(officials: Officials) -> None:
    await enter(officials, (FAMILY_A, FAMILY_B), PERIOD)
    built = await export_area(officials.ctx, officials.camat, code=KECAMATAN)
    assert built.value is not None and SHEET_CHANGE not in sheets(built.value.data)
    assert "Perubahan" not in export_caption(built.value)
