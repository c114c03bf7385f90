"""The report's comparison with the previous period, from stored scores, on both databases."""

from __future__ import annotations

from bot.services.reports import area_report
from ikk_core.period_change import Direction
from tests.bot.services.conftest import (
    FAMILY_A,
    FAMILY_B,
    FAMILY_C,
    KECAMATAN,
    PERIOD,
    SAMPANAHAN,
    SEPAPAH,
    World,
    enter_family,
    with_disclosure,
)


async def test_a_like_for_like_previous_period_gets_arrows_and_both_coverages(
    world: World,
) -> None:
    ctx = world.ctx
    for family in (FAMILY_A, FAMILY_B, FAMILY_C):
        await enter_family(ctx, world.kader, family, period=PERIOD - 1)
    for family in (FAMILY_A, FAMILY_B, FAMILY_C, FAMILY_A):
        await enter_family(ctx, world.kader, family)
    await enter_family(ctx, world.kader_sepapah, FAMILY_A, village=SEPAPAH)
    report = await area_report(ctx, world.pejabat_kotabaru, KECAMATAN)
    assert report is not None and report.comparison is not None and report.previous is not None
    assert report.comparison.previous == PERIOD - 1
    assert report.comparison.ikk.direction is Direction.UP
    assert report.comparison.ikk.points is not None and report.comparison.ikk.points > 0
    assert report.coverage is not None and report.coverage.villages_with_data == 2
    assert report.coverage.families == 5
    before = report.previous.coverage
    assert before is not None and before.villages_with_data == 1 and before.families == 3


async def test_the_same_families_in_both_periods_are_tetap(world: World) -> None:
    for period in (PERIOD - 1, PERIOD):
        for family in (FAMILY_A, FAMILY_B, FAMILY_C):
            await enter_family(world.ctx, world.kader, family, period=period)
    report = await area_report(world.ctx, world.admin, SAMPANAHAN)
    assert report is not None and report.comparison is not None
    assert {c.direction for c in report.comparison.lines} == {Direction.SAME}


async def test_a_suppressed_previous_period_gives_no_arrow_to_a_pejabat(world: World) -> None:
    strict = with_disclosure(world, min_cell=1, min_families=3)
    await enter_family(world.ctx, world.kader, FAMILY_A, period=PERIOD - 1)
    for family in (FAMILY_A, FAMILY_B, FAMILY_C):
        await enter_family(world.ctx, world.kader, family)
    report = await area_report(strict.ctx, world.pejabat_kotabaru, SAMPANAHAN)
    assert report is not None and report.comparison is not None
    assert report.result.ikk is not None and report.previous is not None
    assert report.previous.result.ikk is None
    assert {c.direction for c in report.comparison.lines} == {Direction.HIDDEN}
    assert all(c.points is None for c in report.comparison.lines)
