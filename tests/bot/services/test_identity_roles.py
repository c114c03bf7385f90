"""An instrument that calls its identity questions NAMA_KK / NO_RT: family name, RT and duplicate
detection work exactly as with H_KEPALA / H_RT (both databases)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from bot.db.models import Family, ResponseStatus
from bot.services.answering import record_answer
from bot.services.families import list_families, start_family
from bot.services.outcomes import Outcome
from tests.bot.services.conftest import (
    FAMILY_A,
    PERIOD,
    SAMPANAHAN,
    World,
    enter_family,
    next_update_id,
)
from tests.renamed_instrument import HEAD, RT, renamed_family, renamed_instrument


@pytest.fixture
def renamed(world: World) -> World:
    """The service world answering and scoring with the renamed instrument."""
    return dataclasses.replace(
        world, ctx=dataclasses.replace(world.ctx, instrument=renamed_instrument())
    )


async def _identify(world: World, head: str, rt: str) -> Outcome:
    started = await start_family(world.ctx, world.kader, SAMPANAHAN, PERIOD, next_update_id())
    assert started.position is not None
    assert started.position.question == HEAD
    rid = started.position.response_id
    named = await record_answer(world.ctx, world.kader, rid, HEAD, head,
                                started.position.version, next_update_id())
    assert named.kind == "recorded" and named.position is not None
    assert named.position.question == RT
    return await record_answer(world.ctx, world.kader, rid, RT, rt, named.position.version,
                               next_update_id())


async def _families(world: World) -> list[tuple[str, int]]:
    async with world.ctx.session_factory() as session:
        rows = await session.execute(select(Family.head_name, Family.rt).order_by(Family.id))
        return [(name, rt) for name, rt in rows.all()]


async def test_the_renamed_questions_name_the_family_and_its_rt(renamed: World) -> None:
    outcome = await _identify(renamed, "Ahmad Fauzi", "4")

    assert outcome.kind == "recorded"
    assert outcome.position is not None and outcome.position.family.text.startswith(
        "Ahmad Fauzi · RT 4"
    )
    assert await _families(renamed) == [("Ahmad Fauzi", 4)]


async def test_a_family_entered_twice_is_caught_through_the_renamed_questions(
    renamed: World,
) -> None:
    existing = await enter_family(renamed.ctx, renamed.kader, renamed_family(FAMILY_A))
    assert existing.position is not None

    outcome = await _identify(renamed, "Bapak H. Ahmad  Fauzi", "1")

    assert outcome.kind == "recorded"
    assert outcome.duplicate is not None
    assert outcome.duplicate.response_id == existing.position.response_id
    assert outcome.duplicate.status is ResponseStatus.SUBMITTED
    assert outcome.duplicate.family.head_name == "Ahmad Fauzi"
    assert outcome.duplicate.family.rt == 1


async def test_submitted_families_of_the_renamed_instrument_are_listed_by_name(
    renamed: World,
) -> None:
    done = await enter_family(renamed.ctx, renamed.kader, renamed_family(FAMILY_A), by_chat=True)
    assert done.kind == "submitted"

    listed = await list_families(renamed.ctx, renamed.kader, PERIOD)

    assert [(f.family.head_name, f.family.rt) for f in listed] == [("Ahmad Fauzi", 1)]
