"""Figures over verified families only (`/ikk <area> terverifikasi`), on both databases.

The verified view equals ikk_core's aggregate over the verified families' stored scores, says
"x dari y", and for a pejabat never lets the two views be subtracted down to a small group.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import run_in_transaction
from bot.db.models import (
    AppUser,
    Family,
    FamilyScore,
    Response,
    ResponseReview,
    ReviewStatus,
    Role,
)
from bot.repositories.scores import VerifiedCounts
from bot.repositories.users import add_user
from bot.repositories.verified_counts import rebuild_verified_counts
from bot.services.answering import open_for_edit, record_answer
from bot.services.erasure import delete_family
from bot.services.families import list_families
from bot.services.family_review import mark_family
from bot.services.official import ikk_report
from bot.services.reports import AreaReport, area_report
from bot.services.submission import rescore
from bot.services.verified_figures import split_verified
from bot.telegram.report_text import report_messages
from ikk_core.aggregation import aggregate
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
    lower_poverty_line,
    next_update_id,
    with_disclosure,
)


async def supervisor_of(world: World) -> int:
    async def work(session: AsyncSession) -> int:
        user = await add_user(session, telegram_id=401, role=Role.SUPERVISOR,
                              area_code=KECAMATAN, display_name="Bu Supervisor")
        return user.id

    return await run_in_transaction(world.ctx.session_factory, work)


async def supervisor_of_existing(world: World) -> int:
    async with world.ctx.session_factory() as session:
        found = await session.scalar(select(AppUser.id).where(AppUser.telegram_id == 401))
    assert found is not None
    return int(found)


async def families_by_head(world: World) -> list[tuple[int, int, str]]:
    """(family id, response id, head name) of every family, in entry order."""
    async with world.ctx.session_factory() as session:
        rows = await session.execute(
            select(Family.id, Response.id, Family.head_name)
            .join(Response, Response.family_id == Family.id).order_by(Family.id)
        )
        return [(int(f), int(r), str(h)) for f, r, h in rows.all()]


async def verified(world: World, actor: int, code: str) -> AreaReport:
    report = await area_report(world.ctx, actor, code, verified_only=True)
    assert report is not None
    return report


@pytest.fixture
async def a_and_c_verified(world: World) -> tuple[World, list[int]]:
    """The worked example in Desa Sampanahan; the supervisor verified A and C, not B."""
    for family in (FAMILY_A, FAMILY_B, FAMILY_C):
        await enter_family(world.ctx, world.kader, family)
    supervisor = await supervisor_of(world)
    rows = await families_by_head(world)
    for family_id, _, head in rows:
        if head != "Budi Santoso":
            await mark_family(world.ctx, supervisor, family_id, ReviewStatus.VERIFIED)
    return world, [rid for _, rid, head in rows if head != "Budi Santoso"]


async def test_verified_figures_equal_the_aggregate_over_the_verified_families_only(
    a_and_c_verified: tuple[World, list[int]],
) -> None:
    world, response_ids = a_and_c_verified
    async with world.ctx.session_factory() as session:
        rows = (await session.execute(
            select(FamilyScore.response_id, FamilyScore.indicator, FamilyScore.score)
            .where(FamilyScore.response_id.in_(response_ids))
        )).all()
    long = pd.DataFrame(rows, columns=["response_id", "indicator", "score"])
    frame = long.pivot(index="response_id", columns="indicator", values="score").astype("Int8")
    expected = aggregate(world.ctx.instrument, frame, KECAMATAN, "Sampanahan", "kecamatan")

    for code in (SAMPANAHAN, KECAMATAN):
        report = await verified(world, world.admin, code)
        assert (report.submitted, report.verified_of) == (2, 3)
        assert report.result.ikk == pytest.approx(expected.ikk)
        assert [(i.code, i.numerator, i.denominator) for i in report.result.indicators] == [
            (i.code, i.numerator, i.denominator) for i in expected.indicators
        ]
    everything = await area_report(world.ctx, world.admin, SAMPANAHAN)
    assert everything is not None and everything.verified_of is None
    assert everything.result.ikk == pytest.approx(87.5)


async def test_an_area_without_verified_families_has_no_ikk_and_says_0_of_y(world: World) -> None:
    for family in (FAMILY_A, FAMILY_B):
        await enter_family(world.ctx, world.kader, family)
    report = await verified(world, world.pejabat_kotabaru, SAMPANAHAN)
    assert (report.submitted, report.verified_of, report.result.ikk) == (0, 2, None)
    text = "\n".join(report_messages(report))
    assert "Hanya keluarga terverifikasi: 0 dari 2 keluarga terkirim" in text


async def test_ikk_typed_with_terverifikasi_gives_the_verified_headline(
    a_and_c_verified: tuple[World, list[int]],
) -> None:
    world, _ = a_and_c_verified
    query, verified_only = split_verified("Desa Sampanahan terverifikasi")
    answer = await ikk_report(
        world.ctx, world.pejabat_kotabaru, query=query, verified_only=verified_only
    )
    assert answer.value is not None and answer.value.verified_of == 3
    text = "\n".join(report_messages(answer.value, min_families=1))
    assert "Hanya keluarga terverifikasi: 2 dari 3 keluarga terkirim" in text
    plain = await ikk_report(world.ctx, world.pejabat_kotabaru, query="Desa Sampanahan")
    assert plain.value is not None and plain.value.verified_of is None


def test_the_word_terverifikasi_is_taken_out_of_the_area_name_and_year() -> None:
    assert split_verified("Sampanahan terverifikasi 2025") == ("Sampanahan 2025", True)
    assert split_verified("Terverifikasi") == ("", True)
    assert split_verified("Sungai Betung") == ("Sungai Betung", False)


async def test_a_pejabat_cannot_subtract_the_verified_view_down_to_the_unverified_family(
    world: World,
) -> None:
    world = with_disclosure(world)  # MIN_CELL 5, MIN_FAMILIES 10
    for family in [*[FAMILY_A] * 6, *[FAMILY_B] * 6]:
        await enter_family(world.ctx, world.kader_sepapah, family, village=SEPAPAH)
    supervisor = await supervisor_of(world)
    rows = await families_by_head(world)
    left_out = next(fid for fid, _, head in rows if head == "Budi Santoso")
    for family_id, _, _ in rows:
        if family_id != left_out:
            await mark_family(world.ctx, supervisor, family_id, ReviewStatus.VERIFIED)

    hidden_by_the_difference = 0
    for code in (SEPAPAH, KECAMATAN):
        every = await area_report(world.ctx, world.pejabat_kotabaru, code)
        only = await verified(world, world.pejabat_kotabaru, code)
        assert every is not None and (only.submitted, only.verified_of) == (11, 12)
        for one, other in zip(every.result.indicators, only.result.indicators, strict=True):
            if one.suppressed or other.suppressed:
                hidden_by_the_difference += int(other.suppressed and not one.suppressed)
                continue
            gap = one.denominator - other.denominator
            assert gap == 0 or gap >= world.ctx.min_cell, (code, one.code, gap)
    assert hidden_by_the_difference > 0  # family B's indicators are hidden, not revealed


async def recounted(world: World) -> list[tuple[object, ...]]:
    async with world.ctx.session_factory() as session, session.begin():
        kept = await verified_table_in(session)
        await rebuild_verified_counts(session)
        rebuilt = await verified_table_in(session)
        await session.rollback()
    assert kept == rebuilt
    return rebuilt


async def verified_table_in(session: AsyncSession) -> list[tuple[object, ...]]:
    rows = await session.execute(select(VerifiedCounts).order_by(*VerifiedCounts.primary_key))
    return [tuple(r) for r in rows.all() if r.families]


async def test_the_kept_verified_counts_always_equal_a_recount_of_the_verified_scores(
    a_and_c_verified: tuple[World, list[int]],
) -> None:
    world, _ = a_and_c_verified
    assert len(await recounted(world)) > 0
    supervisor = await supervisor_of_existing(world)
    rows = await families_by_head(world)
    ids = {head: (fid, rid) for fid, rid, head in rows}

    fid_c, rid_c = ids["Citra Lestari"]  # the kader changes a verified family
    listed = {f.response_id: f.version for f in await list_families(world.ctx, world.kader,
                                                                     PERIOD)}
    opened = await open_for_edit(world.ctx, world.kader, rid_c, "KE1", listed[rid_c])
    assert opened.position is not None
    await record_answer(world.ctx, world.kader, rid_c, "KE1", "tidak",
                        opened.position.version, next_update_id())
    await recounted(world)
    await mark_family(world.ctx, supervisor, fid_c, ReviewStatus.VERIFIED)
    await mark_family(world.ctx, supervisor, ids["Budi Santoso"][0], ReviewStatus.NEEDS_CHECK,
                      "RT salah")
    await recounted(world)
    await rescore(world.ctx.session_factory, lower_poverty_line(world.ctx.instrument))
    await recounted(world)
    await mark_family(world.ctx, supervisor, ids["Ahmad Fauzi"][0], ReviewStatus.NEEDS_CHECK,
                      "cek lagi")
    await delete_family(world.ctx, fid_c, actor="test")
    assert await recounted(world) == []  # A flagged, B flagged, C erased: nothing verified
    async with world.ctx.session_factory() as session:
        left = (await session.scalars(select(ResponseReview.family_id))).all()
    assert fid_c not in left and len(left) == 2  # the erased family's review went with it
