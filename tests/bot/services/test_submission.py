"""Submit stores exactly the scores `ikk_core` computes; a second submit changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.db.models import FamilyScore, Response, ResponseStatus
from bot.services.answering import record_answer
from bot.services.families import start_family
from bot.services.submission import submit
from ikk_core.scoring import score_family
from ikk_core.values import parse_answer
from tests.bot.services.conftest import (
    FAMILY_A,
    FAMILY_B,
    PERIOD,
    SAMPANAHAN,
    WORKED_EXAMPLE,
    World,
    enter_family,
    next_update_id,
)


async def _stored_scores(world: World, response_id: int) -> dict[str, int | None]:
    async with world.ctx.session_factory() as session:
        rows = await session.execute(
            select(FamilyScore.indicator, FamilyScore.score).where(
                FamilyScore.response_id == response_id
            )
        )
        return {indicator: score for indicator, score in rows.all()}


@pytest.mark.parametrize(
    ("family", "applicable", "met", "band"),
    [("A", 18, 18, "baik"), ("B", 26, 21, "baik"), ("C", 21, 17, "baik")],
)
async def test_submit_stores_the_scores_ikk_core_computes_for_the_same_answers(
    world: World, family: str, applicable: int, met: int, band: str
) -> None:
    entered = WORKED_EXAMPLE[family]
    done = await enter_family(world.ctx, world.kader, entered, by_chat=True)
    assert done.position is not None
    response_id = done.position.response_id

    instrument = world.ctx.instrument
    # Only the questions the engine asked are parsed: the reference scores the same answers.
    answers = {
        name: parse_answer(instrument, instrument.question(name), text)
        for name, text in entered.items()
        if name in {item.question for item in done.position.review.items}  # type: ignore[union-attr]
    }
    expected = score_family(instrument, answers, SAMPANAHAN)
    assert await _stored_scores(world, response_id) == dict(expected.scores)
    assert (expected.applicable, expected.met) == (applicable, met)

    assert done.score is not None
    assert done.score.score_pct == pytest.approx(100.0 * met / applicable)
    assert done.score.band == band
    assert done.position.status is ResponseStatus.SUBMITTED
    async with world.ctx.session_factory() as session:
        response = await session.get(Response, response_id)
        assert response is not None
        assert response.family_score_pct == pytest.approx(100.0 * met / applicable)
        assert response.family_band == band
        assert response.submitted_at is not None


async def test_second_submit_is_already_submitted_and_changes_nothing(world: World) -> None:
    done = await enter_family(world.ctx, world.kader, FAMILY_A)
    assert done.position is not None
    again = await submit(
        world.ctx, world.kader, done.position.response_id, done.position.version,
        next_update_id(),
    )
    assert again.kind == "already_submitted"
    assert again.position is not None and again.position.version == done.position.version
    async with world.ctx.session_factory() as session:
        count = await session.scalar(select(func.count()).select_from(FamilyScore))
    assert count == len(world.ctx.instrument.indicators)


async def test_submit_of_an_incomplete_family_names_the_missing_questions(world: World) -> None:
    started = await start_family(world.ctx, world.kader, SAMPANAHAN, PERIOD, next_update_id())
    assert started.position is not None
    rid, version = started.position.response_id, started.position.version
    recorded = await record_answer(
        world.ctx, world.kader, rid, "H_KEPALA", "Budi", version, next_update_id()
    )
    assert recorded.position is not None
    refused = await submit(world.ctx, world.kader, rid, recorded.position.version,
                           next_update_id())
    assert refused.kind == "incomplete"
    assert refused.missing[:2] == ("H_RT", "H_ANGGOTA")
    async with world.ctx.session_factory() as session:
        response = await session.get(Response, rid)
        assert response is not None and response.status is ResponseStatus.DRAFT
        count = await session.scalar(select(func.count()).select_from(FamilyScore))
    assert count == 0


async def test_submit_with_a_stale_review_card_is_refused(world: World) -> None:
    at_review = await enter_family(world.ctx, world.kader, FAMILY_B, submit_it=False)
    assert at_review.position is not None
    rid, version = at_review.position.response_id, at_review.position.version
    stale = await submit(world.ctx, world.kader, rid, version - 1, next_update_id())
    assert stale.kind == "stale"
    assert stale.position is not None and stale.position.status is ResponseStatus.DRAFT
    done = await submit(world.ctx, world.kader, rid, version, next_update_id())
    assert done.kind == "submitted"
