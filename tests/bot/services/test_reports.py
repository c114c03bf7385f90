"""Reports computed from stored family scores: the worked example, roll-up, periods, scope."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import run_in_transaction
from bot.db.models import FamilyScore
from bot.repositories.scores import count_rows, rebuild_counts
from bot.services.answering import open_for_edit, record_answer
from bot.services.progress import progress
from bot.services.reports import area_report
from bot.services.submission import rescore
from ikk_core.aggregation import aggregate
from tests.bot.services.conftest import (
    BATAKAN,
    FAMILY_A,
    FAMILY_B,
    FAMILY_C,
    KECAMATAN,
    KOTABARU,
    PERIOD,
    PROVINCE,
    SAMPANAHAN,
    SEPAPAH,
    TANAH_LAUT,
    World,
    enter_family,
    lower_poverty_line,
    next_update_id,
)


@pytest.fixture
async def worked_example(world: World) -> World:
    """Families A, B and C of the spec, submitted by the kader of Desa Sampanahan."""
    for family in (FAMILY_A, FAMILY_B, FAMILY_C):
        await enter_family(world.ctx, world.kader, family)
    return world


async def test_village_report_over_the_worked_example_gives_ikk_87_50_and_eight_red_indicators(
    worked_example: World,
) -> None:
    report = await area_report(worked_example.ctx, worked_example.pejabat_kotabaru, SAMPANAHAN)
    assert report is not None
    assert report.period == PERIOD
    assert report.submitted == 3 and report.drafts == 0
    # IKK = (83,333 + 91,667 + 70,833 + 91,667 + 100) / 5 = 87,50 (spec, worked example)
    assert report.result.ikk == pytest.approx(87.5)
    assert report.result.category is not None and report.result.category.name == "Kategori 3"
    assert {i.code for i in report.result.red} == {
        "LS2", "KF1", "KE1", "KE2", "KE5", "KE6", "KE8", "KSP2"
    }
    assert {i.code for i in report.result.no_value} == {"KF5", "KF6"}
    # KE2: only A meets the poverty line (1.000.000 per capita) → 1 of 3 = 33,33
    assert report.result.indicator("KE2").value == pytest.approx(100 / 3)
    assert report.instrument_id == worked_example.ctx.instrument.id
    assert report.outdated == 0 and report.previous is None


async def test_report_equals_ikk_core_aggregate_over_the_stored_score_rows(
    worked_example: World,
) -> None:
    ctx = worked_example.ctx
    async with ctx.session_factory() as session:
        rows = (await session.execute(
            select(FamilyScore.response_id, FamilyScore.indicator, FamilyScore.score)
        )).all()
    long = pd.DataFrame(rows, columns=["response_id", "indicator", "score"])
    frame = long.pivot(index="response_id", columns="indicator", values="score").astype("Int8")
    expected = aggregate(ctx.instrument, frame, KECAMATAN, "Sampanahan", "kecamatan")

    report = await area_report(ctx, worked_example.admin, KECAMATAN)
    assert report is not None
    assert report.result.ikk == pytest.approx(expected.ikk)
    assert [(i.code, i.numerator, i.denominator) for i in report.result.indicators] == [
        (i.code, i.numerator, i.denominator) for i in expected.indicators
    ]
    assert [d.value for d in report.result.dimensions] == pytest.approx(
        [d.value for d in expected.dimensions]
    )


async def test_kecamatan_report_lists_every_village_below_with_its_ikk(
    worked_example: World,
) -> None:
    ctx = worked_example.ctx
    await enter_family(ctx, worked_example.kader_sepapah, FAMILY_A, village=SEPAPAH)
    report = await area_report(ctx, worked_example.pejabat_kotabaru, KECAMATAN)
    assert report is not None
    assert report.submitted == 4
    by_code = {line.code: line for line in report.villages}
    assert set(by_code) == {"63.02.12.2001", "63.02.12.2002", SAMPANAHAN}
    assert by_code[SAMPANAHAN].submitted == 3
    assert by_code[SAMPANAHAN].result is not None
    assert by_code[SAMPANAHAN].result.ikk == pytest.approx(87.5)
    assert by_code[SEPAPAH].result is not None and by_code[SEPAPAH].result.ikk == 100.0
    assert by_code["63.02.12.2002"].result is None  # no family yet: no IKK, not zero
    assert by_code["63.02.12.2002"].ikk is None
    # The vectorised IKK of every line is the one of its full result.
    for line in report.villages:
        assert line.ikk == (line.result.ikk if line.result is not None else None)
    assert report.children == report.villages  # a kecamatan's children are its villages

    kabupaten = await area_report(ctx, worked_example.pejabat_kotabaru, KOTABARU)
    assert kabupaten is not None
    assert [c.code for c in kabupaten.children] == [KECAMATAN]
    assert kabupaten.children[0].result is not None
    assert kabupaten.children[0].result.ikk == pytest.approx(report.result.ikk)


async def test_report_uses_the_latest_period_and_compares_with_the_previous_one(
    world: World,
) -> None:
    ctx = world.ctx
    await enter_family(ctx, world.kader, FAMILY_C, period=PERIOD - 1)
    for family in (FAMILY_A, FAMILY_B, FAMILY_C):
        await enter_family(ctx, world.kader, family)
    report = await area_report(ctx, world.admin, PROVINCE)
    assert report is not None
    assert report.period == PERIOD and report.periods == (PERIOD, PERIOD - 1)
    assert report.previous is not None and report.previous.period == PERIOD - 1
    assert report.previous.submitted == 1
    # C alone: 17 of 21 applicable indicators met, averaged by dimension
    assert report.previous.result.families == 1
    assert report.change == pytest.approx(87.5 - report.previous.result.ikk)  # type: ignore[operator]
    older = await area_report(ctx, world.admin, PROVINCE, PERIOD - 1)
    assert older is not None and older.submitted == 1 and older.previous is None


async def test_drafts_are_counted_but_never_scored(world: World) -> None:
    await enter_family(world.ctx, world.kader, FAMILY_A)
    await enter_family(world.ctx, world.kader2, FAMILY_B, submit_it=False)
    report = await area_report(world.ctx, world.admin, SAMPANAHAN)
    assert report is not None
    assert (report.submitted, report.drafts) == (1, 1)
    assert report.result.ikk == 100.0


async def test_report_of_an_area_without_families_has_no_ikk(world: World) -> None:
    report = await area_report(world.ctx, world.pejabat_tanah_laut, TANAH_LAUT)
    assert report is not None
    assert report.submitted == 0 and report.result.ikk is None
    assert [v.code for v in report.villages] == [BATAKAN]


@pytest.mark.parametrize(
    ("who", "area"),
    [
        ("kader_sepapah", SAMPANAHAN),  # a kader of another village
        ("kader_batakan", SAMPANAHAN),
        ("kader", KECAMATAN),  # a kader sees her village, not the kecamatan
        ("pejabat_tanah_laut", SAMPANAHAN),  # a pejabat of another kabupaten
        ("pejabat_tanah_laut", KOTABARU),
        ("pejabat_kotabaru", PROVINCE),  # above one's own area
        ("pejabat_kotabaru", "63.02.99"),  # unknown code inside the scope
    ],
)
async def test_reads_outside_scope_give_none_like_an_unknown_area(
    worked_example: World, who: str, area: str
) -> None:
    actor = getattr(worked_example, who)
    assert await area_report(worked_example.ctx, actor, area) is None
    assert await progress(worked_example.ctx, actor, area) is None


async def test_a_kader_sees_her_own_village_report(worked_example: World) -> None:
    report = await area_report(worked_example.ctx, worked_example.kader, SAMPANAHAN)
    assert report is not None and report.submitted == 3


async def test_progress_counts_per_village_and_per_kader_including_those_not_started(
    world: World,
) -> None:
    ctx = world.ctx
    await enter_family(ctx, world.kader, FAMILY_A)
    await enter_family(ctx, world.kader, FAMILY_B)
    await enter_family(ctx, world.kader2, FAMILY_C, submit_it=False)
    report = await progress(ctx, world.pejabat_kotabaru, KECAMATAN)
    assert report is not None
    assert report.period == PERIOD
    assert (report.submitted, report.drafts) == (2, 1)
    villages = {v.code: v for v in report.villages}
    assert (villages[SAMPANAHAN].submitted, villages[SAMPANAHAN].drafts) == (2, 1)
    assert villages[SAMPANAHAN].last_activity is not None
    assert villages[SAMPANAHAN].last_activity.utcoffset() is not None
    assert (villages[SEPAPAH].submitted, villages[SEPAPAH].drafts) == (0, 0)
    kader = {k.user_id: k for k in report.kader}
    assert (kader[world.kader].submitted, kader[world.kader].drafts) == (2, 0)
    assert (kader[world.kader2].submitted, kader[world.kader2].drafts) == (0, 1)
    assert kader[world.kader_sepapah].submitted == 0  # assigned, not started: listed
    assert kader[world.kader_sepapah].last_activity is None
    assert world.kader_batakan not in kader  # another kabupaten

    own = await progress(ctx, world.kader2, SAMPANAHAN)
    assert own is not None
    assert [k.user_id for k in own.kader] == [world.kader2]
    assert (own.submitted, own.drafts) == (0, 1)



async def test_village_counts_always_equal_a_recount_of_the_stored_scores(world: World) -> None:
    """After submits, an edit after submit, a reopening and a rescore, the counts the reports
    read are exactly what a full recount of the score rows gives (and zero rows are harmless)."""
    ctx = world.ctx
    done = [await enter_family(ctx, world.kader, f) for f in (FAMILY_A, FAMILY_B, FAMILY_C)]
    await enter_family(ctx, world.kader_sepapah, FAMILY_B, village=SEPAPAH)
    a, b = done[0].position, done[1].position
    assert a is not None and b is not None
    opened = await open_for_edit(ctx, world.kader, a.response_id, "KE1", a.version)
    assert opened.position is not None
    await record_answer(ctx, world.kader, a.response_id, "KE1", "tidak",
                        opened.position.version, next_update_id())
    opened = await open_for_edit(ctx, world.kader, b.response_id, "P_BALITA", b.version)
    assert opened.position is not None
    await record_answer(ctx, world.kader, b.response_id, "P_BALITA", "tidak",
                        opened.position.version, next_update_id())
    c = done[2].position
    assert c is not None
    opened = await open_for_edit(ctx, world.kader, c.response_id, "P_PASANGAN", c.version)
    assert opened.position is not None
    reopened = await record_answer(ctx, world.kader, c.response_id, "P_PASANGAN", "ya",
                                   opened.position.version, next_update_id())
    assert reopened.position is not None and not reopened.position.submitted
    await rescore(ctx.session_factory, lower_poverty_line(ctx.instrument))

    async def kept(session: AsyncSession) -> list[tuple[object, ...]]:
        return [row for row in await count_rows(session) if row[5] != 0]

    async def recounted(session: AsyncSession) -> list[tuple[object, ...]]:
        await rebuild_counts(session)
        rows = await count_rows(session)
        raise _Rollback(rows)

    maintained = await run_in_transaction(ctx.session_factory, kept)
    try:
        await run_in_transaction(ctx.session_factory, recounted)
    except _Rollback as rollback:
        assert maintained == rollback.rows
    else:  # pragma: no cover - recounted always raises
        raise AssertionError("recount did not run")
    # Sampanahan keeps 2 submitted families (C was reopened), Sepapah 1; all rescored.
    assert {(row[0], row[4]) for row in maintained} == {
        (SAMPANAHAN, "2026.1-garis300"), (SEPAPAH, "2026.1-garis300")
    }
    assert {row[0]: row[5] for row in maintained if row[2] == "KF1"} == {
        SAMPANAHAN: 2, SEPAPAH: 1
    }


class _Rollback(Exception):
    def __init__(self, rows: list[tuple[object, ...]]) -> None:
        super().__init__("rollback")
        self.rows = rows
