"""The synthetic Desa Sampanahan: its profile, its determinism, and that it is stored as the
chat stores families (compared row by row with a family entered through the services)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import SessionFactory, run_in_transaction
from bot.db.models import Answer, Family, FamilyScore, Response, ResponseStatus, Role
from bot.demo.synthetic import (
    FAMILY_COUNT,
    NEGATIVE,
    SAMPANAHAN,
    draw_families,
    store_village,
    stored_answers,
    typed_answers,
    village_result,
)
from bot.repositories.areas import load_demo_areas
from bot.repositories.scores import count_rows, rebuild_counts
from bot.repositories.users import add_user
from bot.services.context import ServiceContext
from bot.services.families import start_family
from bot.services.reports import operator_report
from bot.services.submission import submit
from ikk_core.instrument_io import load_default_instrument
from tests.bot.services.conftest import answer_all, next_update_id

INSTRUMENT = load_default_instrument()
FAMILIES = draw_families(INSTRUMENT)
PERIOD = 2026


@pytest.fixture
def database_seed() -> str:
    return "demo"


def test_the_synthetic_village_lands_near_the_published_profile() -> None:
    # Published for a village of this kind: IKK about 76 with about nine red indicators.
    result = village_result(INSTRUMENT, FAMILIES)
    assert len(FAMILIES) == FAMILY_COUNT == 120
    assert result.ikk is not None and 74 <= result.ikk <= 78, result.ikk
    assert 7 <= len(result.red) <= 11, [i.code for i in result.red]
    assert result.category is not None and result.category.name == "Kategori 3"
    # Every indicator has a value: even the small groups (babies, births) have families.
    assert not result.no_value


def test_drawing_is_deterministic_and_the_seed_matters() -> None:
    assert draw_families(INSTRUMENT) == FAMILIES
    assert draw_families(INSTRUMENT, seed=1) != FAMILIES


def test_every_family_is_accepted_by_the_engine_and_stored_as_the_engine_keeps_it() -> None:
    assert len({f["H_KEPALA"] for f in FAMILIES}) == len(FAMILIES)
    for family in FAMILIES:
        # typed_answers raises if the engine refuses a reply or a question has none.
        answers = typed_answers(INSTRUMENT, family)
        assert set(answers) == set(family), family["H_KEPALA"]
        assert stored_answers(INSTRUMENT, family) == answers


def test_event_questions_are_answered_so_that_tidak_meets_them() -> None:
    # KSP1 "was there violence": a family answering Ya does not meet it.
    for family in FAMILIES:
        for question in NEGATIVE & set(family):
            assert family[question] in ("Ya", "Tidak")
    result = village_result(INSTRUMENT, FAMILIES)
    ksp3 = result.indicator("KSP3")
    said_no = sum(1 for f in FAMILIES if f["KSP3"] == "Tidak")
    assert ksp3.numerator == said_no


def test_a_family_with_more_than_fifteen_members_is_not_drawn() -> None:
    # The engine would ask "Yakin?" for it; the demo village never needs that.
    assert max(int(f["H_ANGGOTA"]) for f in FAMILIES) <= 15


# ------------------------------------------------------------------------ stored rows


async def _people(session_factory: SessionFactory) -> tuple[int, int]:
    async def work(session: AsyncSession) -> tuple[int, int]:
        await load_demo_areas(session)
        chat = await add_user(session, telegram_id=501, role=Role.KADER,
                              area_code=SAMPANAHAN, display_name="Kader Chat")
        bulk = await add_user(session, telegram_id=502, role=Role.KADER,
                              area_code=SAMPANAHAN, display_name="Kader Sintetis")
        return chat.id, bulk.id

    return await run_in_transaction(session_factory, work)


async def _rows(session_factory: SessionFactory, response_id: int) -> dict[str, Any]:
    """What a stored family looks like, without ids and times."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        response = await session.get(Response, response_id)
        assert response is not None
        family = await session.get(Family, response.family_id)
        assert family is not None
        answers = (await session.execute(
            select(Answer.question, Answer.value, Answer.answered_by, Answer.update_id)
            .where(Answer.response_id == response_id)
        )).all()
        scores = (await session.execute(
            select(FamilyScore.indicator, FamilyScore.score, FamilyScore.instrument_id,
                   FamilyScore.instrument_version)
            .where(FamilyScore.response_id == response_id)
        )).all()
        return {
            "family": (family.village_code, family.period, family.rt, family.head_name,
                       family.head_name_norm, family.created_by == response.cadre_id),
            "response": (response.status, response.instrument_id, response.instrument_version,
                         response.current_question, response.family_score_pct,
                         response.family_band, response.submitted_at is not None),
            "answers": {q: (v, by == response.cadre_id) for q, v, by, _ in answers},
            "scores": {i: (s, iid, iver) for i, s, iid, iver in scores},
        }

    return await run_in_transaction(session_factory, work)


async def _through_the_chat_services(
    ctx: ServiceContext, cadre: int, family: Mapping[str, str]
) -> int:
    started = await start_family(ctx, cadre, SAMPANAHAN, PERIOD, next_update_id())
    assert started.position is not None
    response_id = started.position.response_id
    at_review = await answer_all(ctx, cadre, response_id, family)
    assert at_review.position is not None
    done = await submit(ctx, cadre, response_id, at_review.position.version, next_update_id())
    assert done.kind == "submitted"
    return response_id


async def test_a_family_stored_in_bulk_leaves_the_rows_a_chat_submit_leaves(
    session_factory: SessionFactory,
) -> None:
    ctx = ServiceContext.create(session_factory)
    chat_kader, bulk_kader = await _people(session_factory)
    family = FAMILIES[0]
    by_chat = await _through_the_chat_services(ctx, chat_kader, family)
    stored = await store_village(ctx, [bulk_kader], [family], period=PERIOD)

    chat_rows = await _rows(session_factory, by_chat)
    bulk_rows = await _rows(session_factory, stored.response_ids[0])
    assert bulk_rows == chat_rows
    assert bulk_rows["response"][0] is ResponseStatus.SUBMITTED
    assert len(bulk_rows["scores"]) == 29

    # The village counts moved exactly as the score rows say (rebuilt from scratch = same).
    async def counts(session: AsyncSession) -> list[tuple[Any, ...]]:
        return sorted(await count_rows(session))

    kept = await run_in_transaction(session_factory, counts)

    async def rebuilt(session: AsyncSession) -> list[tuple[Any, ...]]:
        await rebuild_counts(session)
        return sorted(await count_rows(session))

    assert await run_in_transaction(session_factory, rebuilt) == kept


async def test_the_stored_village_reports_what_ikk_core_computes_from_the_draw(
    session_factory: SessionFactory,
) -> None:
    ctx = ServiceContext.create(session_factory)
    _, bulk_kader = await _people(session_factory)
    stored = await store_village(ctx, [bulk_kader], FAMILIES, period=PERIOD)
    assert len(stored.response_ids) == len(set(stored.response_ids)) == FAMILY_COUNT

    report = await operator_report(ctx, SAMPANAHAN, PERIOD)
    assert report is not None
    expected = village_result(INSTRUMENT, FAMILIES)
    assert report.submitted == FAMILY_COUNT
    assert report.result.ikk == pytest.approx(expected.ikk)
    assert [i.code for i in report.result.red] == [i.code for i in expected.red]
