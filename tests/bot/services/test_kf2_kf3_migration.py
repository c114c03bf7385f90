"""Migration b7e2c4a9d1f0: families answered with the 2026.1 wording of KF2/KF3 keep their
meaning under 2026.2 (answers flipped, responses and scores relabelled), on both databases.

The families are entered with the 2026.1 rules rebuilt from the current instrument (KF2/KF3
met by "ya", version 2026.1), then the database is taken back one step and forward again, as
`ikk-bot db upgrade` does on an installation holding such data.
"""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.migrate import downgrade, upgrade
from bot.db.models import Answer, FamilyScore, Response
from bot.services.reports import area_report
from tests.bot.services.conftest import (
    FAMILY_A,
    FAMILY_B,
    FAMILY_C,
    SAMPANAHAN,
    World,
    enter_family,
)

BEFORE = "fa4c7d2e9b31"
_FLIP = {"ya": "tidak", "tidak": "ya"}


def _old_instrument(world: World) -> World:
    new = world.ctx.instrument
    indicators = tuple(
        dataclasses.replace(i, meets_if=f"${{{i.code}}} = 'ya'")
        if i.code in ("KF2", "KF3") else i
        for i in new.indicators
    )
    old = dataclasses.replace(new, version="2026.1", indicators=indicators)
    return dataclasses.replace(world, ctx=dataclasses.replace(world.ctx, instrument=old))


def _as_answered_in_2026_1(family: dict[str, str]) -> dict[str, str]:
    return {k: _FLIP[v] if k in ("KF2", "KF3") else v for k, v in family.items()}


async def _stored(world: World, question: str) -> list[tuple[int, str | None, str]]:
    async with world.ctx.session_factory() as session:
        rows = await session.execute(
            select(Answer.response_id, Answer.value, Response.instrument_version)
            .join(Response, Response.id == Answer.response_id)
            .where(Answer.question == question)
            .order_by(Answer.response_id)
        )
        return [(rid, value, version) for rid, value, version in rows.all()]


async def test_answers_to_the_old_wording_are_flipped_and_every_number_stays(
    world: World, migrated_engine: AsyncEngine
) -> None:
    old = _old_instrument(world)
    for family in (FAMILY_A, FAMILY_B, FAMILY_C):
        await enter_family(old.ctx, old.kader, _as_answered_in_2026_1(family))
    draft = await enter_family(old.ctx, old.kader, _as_answered_in_2026_1(FAMILY_B),
                               submit_it=False)
    assert draft.position is not None
    before = await area_report(old.ctx, old.admin, SAMPANAHAN)
    assert before is not None and before.result.ikk == pytest.approx(87.5)
    assert [v for _, v, _ in await _stored(world, "KF3")] == ["ya"] * 4

    await downgrade(migrated_engine, BEFORE)
    await upgrade(migrated_engine)

    # Every family now holds what it would answer to 2026.2: "tidak" (nothing happened).
    assert [(v, ver) for _, v, ver in await _stored(world, "KF3")] == [("tidak", "2026.2")] * 4
    assert [(v, ver) for _, v, ver in await _stored(world, "KF2")] == [("tidak", "2026.2")] * 2
    async with world.ctx.session_factory() as session:
        versions = set((await session.scalars(select(FamilyScore.instrument_version))).all())
    assert versions == {"2026.2"}
    after = await area_report(world.ctx, world.admin, SAMPANAHAN)
    assert after is not None
    assert after.outdated == 0
    assert after.result.ikk == pytest.approx(87.5)
    assert after.result.indicator("KF2").value == 100.0
    assert after.result.indicator("KF3").value == 100.0

    await downgrade(migrated_engine, BEFORE)  # and back: the 2026.1 answers again
    assert [(v, ver) for _, v, ver in await _stored(world, "KF3")] == [("ya", "2026.1")] * 4
    await upgrade(migrated_engine)


async def test_a_response_of_another_instrument_version_is_left_alone(
    world: World, migrated_engine: AsyncEngine
) -> None:
    edited = dataclasses.replace(
        world, ctx=dataclasses.replace(
            world.ctx, instrument=dataclasses.replace(world.ctx.instrument, version="2026.1-desa")
        )
    )
    await enter_family(edited.ctx, edited.kader, FAMILY_B)

    await downgrade(migrated_engine, BEFORE)
    await upgrade(migrated_engine)

    assert [(v, ver) for _, v, ver in await _stored(world, "KF2")] == [("tidak", "2026.1-desa")]
