"""Small-cell suppression and coverage in the report service, on both databases.

Kecamatan Sampanahan has three villages with data, 12 families each. KSP1 (violence against
women) applies to couples: 2 families in Desa Sampanahan, 12 in Sepapah, 7 in Sungai Betung.
A pejabat of Kabupaten Kotabaru collects every figure they can get (the report of the
kabupaten, the kecamatan and each village, and the workbook of each) and tries to subtract
their way to Desa Sampanahan's 2 families.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import run_in_transaction
from bot.db.models import Role
from bot.reporting.workbook import SHEET_INDICATORS, SHEET_SUMMARY
from bot.repositories.targets import TargetImportReport, import_targets, read_target_rows
from bot.repositories.users import add_user
from bot.services.exports import build_export
from bot.services.reports import AreaReport, area_report
from ikk_core.areas import is_within
from ikk_core.coverage import Coverage, coverage_text
from ikk_core.results import AreaResult
from tests.bot.services.conftest import (
    FAMILY_A,
    FAMILY_B,
    FAMILY_C,
    KECAMATAN,
    KOTABARU,
    SAMPANAHAN,
    SEPAPAH,
    World,
    enter_family,
    with_disclosure,
)

BETUNG = "63.02.12.2002"
SMALL = (2, 2)
"""KSP1 in Desa Sampanahan: met by both of its 2 couples (what must stay unknown)."""


async def _kader_of(world: World, village: str, telegram_id: int) -> int:
    async def work(session: AsyncSession) -> int:
        user = await add_user(session, telegram_id=telegram_id, role=Role.KADER,
                              area_code=village, display_name="Kader")
        return user.id

    return await run_in_transaction(world.ctx.session_factory, work)


@pytest.fixture
async def kecamatan(world: World) -> World:
    """36 families in three villages; production rules (MIN_CELL 5, MIN_FAMILIES 10)."""
    world = with_disclosure(world)
    betung = await _kader_of(world, BETUNG, 105)
    plan = [
        (world.kader, SAMPANAHAN, [FAMILY_A, FAMILY_B, *[FAMILY_C] * 10]),
        (world.kader_sepapah, SEPAPAH, [*[FAMILY_A] * 6, *[FAMILY_B] * 6]),
        (betung, BETUNG, [*[FAMILY_A] * 7, *[FAMILY_C] * 5]),
    ]
    for kader, village, families in plan:
        for family in families:
            await enter_family(world.ctx, kader, family, village=village)
    return world


async def report_of(world: World, actor: int, code: str) -> AreaReport:
    report = await area_report(world.ctx, actor, code)
    assert report is not None
    return report


async def test_a_pejabat_sees_no_value_and_no_counts_for_an_indicator_over_two_families(
    kecamatan: World,
) -> None:
    report = await report_of(kecamatan, kecamatan.pejabat_kotabaru, SAMPANAHAN)
    ksp1 = report.result.indicator("KSP1")
    assert ksp1.suppressed and ksp1.value is None
    assert (ksp1.numerator, ksp1.denominator, ksp1.red) == (0, 0, False)
    assert ksp1 not in report.result.no_value  # hidden is not "nobody concerned"
    # The dimension is the mean of the SHOWN indicators: KSP1 cannot be backed out of it.
    ksp = report.result.dimension("KSP")
    shown = [i.value for i in report.result.indicators
             if i.dimension == "KSP" and i.value is not None]
    assert ksp.value == pytest.approx(sum(shown) / len(shown))


async def test_the_admin_sees_every_figure_and_is_told_the_view_is_not_suppressed(
    kecamatan: World,
) -> None:
    report = await report_of(kecamatan, kecamatan.admin, SAMPANAHAN)
    ksp1 = report.result.indicator("KSP1")
    assert not ksp1.suppressed and (ksp1.numerator, ksp1.denominator) == SMALL
    assert not report.suppressed_view and not report.result.suppressed


async def test_the_same_cells_are_hidden_whichever_area_is_asked(kecamatan: World) -> None:
    pejabat = kecamatan.pejabat_kotabaru
    kabupaten = await report_of(kecamatan, pejabat, KOTABARU)
    kec = await report_of(kecamatan, pejabat, KECAMATAN)
    for village in (SAMPANAHAN, SEPAPAH, BETUNG):
        alone = (await report_of(kecamatan, pejabat, village)).result
        [in_kec] = [line.result for line in kec.villages if line.code == village]
        [in_kab] = [line.result for line in kabupaten.villages if line.code == village]
        assert in_kec is not None and in_kab is not None
        for result in (in_kec, in_kab):
            assert [i.code for i in result.suppressed] == [i.code for i in alone.suppressed]
            assert result.ikk == alone.ikk
    # Betung (7 families) is hidden with Sampanahan, so that the kecamatan minus what is
    # shown is 9 families, not 2.
    assert (await report_of(kecamatan, pejabat, BETUNG)).result.indicator("KSP1").suppressed
    assert not (await report_of(kecamatan, pejabat, SEPAPAH)).result.indicator("KSP1").suppressed


def _from_report(report: AreaReport) -> Iterable[AreaResult]:
    yield report.result
    for line in (*report.children, *report.villages):
        if line.result is not None:
            yield line.result


def _from_workbook(data: bytes, area_code: str) -> Iterable[tuple[str, object, object]]:
    """(area code, KSP1 numerator cell, denominator cell) from the summary and village sheets."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    for row in book[SHEET_SUMMARY].iter_rows(values_only=True):
        if row and row[0] == "KSP1":
            yield area_code, row[4], row[5]
    for row in book[SHEET_INDICATORS].iter_rows(values_only=True):
        if row and len(row) > 8 and row[4] == "KSP1":
            yield str(row[0]), row[7], row[8]


async def test_no_subtraction_of_what_a_pejabat_can_obtain_reveals_the_two_families(
    kecamatan: World,
) -> None:
    pejabat = kecamatan.pejabat_kotabaru
    published: dict[str, tuple[int, int]] = {}

    def publish(code: str, numerator: object, denominator: object) -> None:
        if isinstance(numerator, int) and isinstance(denominator, int):
            seen = published.setdefault(code, (numerator, denominator))
            assert seen == (numerator, denominator), code  # every source says the same
        else:
            assert (numerator, denominator) == ("–", "–"), (code, numerator, denominator)

    for code in (KOTABARU, KECAMATAN, SAMPANAHAN, SEPAPAH, BETUNG):
        report = await report_of(kecamatan, pejabat, code)
        for result in _from_report(report):
            ksp1 = result.indicator("KSP1")
            if ksp1.suppressed:
                assert (ksp1.numerator, ksp1.denominator, ksp1.value) == (0, 0, None)
            else:
                publish(result.code, ksp1.numerator, ksp1.denominator)
        workbook = build_export(report, None, kecamatan.ctx.instrument, include_names=False)
        for area, numerator, denominator in _from_workbook(workbook.data, code):
            publish(area, numerator, denominator)

    assert SAMPANAHAN not in published and BETUNG not in published
    assert published[KECAMATAN][1] == 21 and published[SEPAPAH][1] == 12
    for parent, (numerator, denominator) in published.items():
        below = [c for c in published if c != parent and is_within(c, parent)]
        for size in range(len(below) + 1):
            for group in itertools.combinations(below, size):
                if any(a != b and is_within(b, a) for a in group for b in group):
                    continue  # nested areas would count families twice
                rest = (numerator - sum(published[c][0] for c in group),
                        denominator - sum(published[c][1] for c in group))
                assert rest != SMALL, (parent, group)
                assert not 0 < rest[1] < kecamatan.ctx.min_cell, (parent, group, rest)


async def test_a_village_under_min_families_shows_no_ikk_dimension_or_indicator(
    kecamatan: World,
) -> None:
    strict = with_disclosure(kecamatan, min_families=13)  # every village has 12
    village = await report_of(strict, strict.pejabat_kotabaru, SEPAPAH)
    assert village.too_few(village.submitted) and village.result.ikk is None
    assert all(d.value is None for d in village.result.dimensions)
    assert all(i.suppressed and i.value is None for i in village.result.indicators)
    kec = await report_of(strict, strict.pejabat_kotabaru, KECAMATAN)
    assert kec.result.ikk is not None  # 36 families
    assert all(line.ikk is None for line in kec.villages)


async def test_coverage_counts_villages_with_data_of_all_and_families_of_expected(
    kecamatan: World,
) -> None:
    report = await report_of(kecamatan, kecamatan.pejabat_kotabaru, KECAMATAN)
    assert report.coverage == Coverage(3, 3, 36, 0, 0)
    rows, rejected = read_target_rows("kode,keluarga\n63.02.12.2005,20\n63.02.12.2001,40\n")

    async def store(session: AsyncSession) -> TargetImportReport:
        return await import_targets(session, rows, rejected)

    await run_in_transaction(kecamatan.ctx.session_factory, store)
    partly = await report_of(kecamatan, kecamatan.pejabat_kotabaru, KECAMATAN)
    assert coverage_text(partly.coverage) == (  # type: ignore[arg-type]
        "Data dari 3 dari 3 desa/kelurahan (36 keluarga) · jumlah KK yang diharapkan baru "
        "diketahui untuk 2 dari 3 desa/kelurahan"
    )
    rows, rejected = read_target_rows("kode,keluarga\n63.02.12.2002,60\n")
    await run_in_transaction(kecamatan.ctx.session_factory, store)
    full = await report_of(kecamatan, kecamatan.pejabat_kotabaru, KECAMATAN)
    assert coverage_text(full.coverage) == (  # type: ignore[arg-type]
        "Data dari 3 dari 3 desa/kelurahan (36 keluarga) · 36 dari 120 KK (30 %)"
    )
    village = await report_of(kecamatan, kecamatan.pejabat_kotabaru, SEPAPAH)
    assert coverage_text(village.coverage) == (  # type: ignore[arg-type]
        "Data dari 12 keluarga · 12 dari 40 KK (30 %)"
    )
