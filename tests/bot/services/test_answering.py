"""Recording answers: idempotency, the version check, back, edit, cleared answers, audit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from bot.db.models import Answer, AnswerChange, AppUser, FamilyScore, ProcessedUpdate, Response
from bot.db.models import ResponseStatus as Status
from bot.services.answering import (
    cancel,
    current_position,
    go_back,
    open_for_edit,
    record_answer,
    skip,
)
from bot.services.context import ServiceContext
from bot.services.families import start_family
from bot.services.outcomes import Outcome
from bot.services.reports import area_report
from bot.services.submission import submit
from tests.bot.services.conftest import (
    FAMILY_A,
    FAMILY_B,
    PERIOD,
    SAMPANAHAN,
    World,
    enter_family,
    next_update_id,
)


async def _start(world: World, actor: int | None = None) -> Outcome:
    started = await start_family(
        world.ctx, actor or world.kader, SAMPANAHAN, PERIOD, next_update_id()
    )
    assert started.kind == "started" and started.position is not None
    return started


async def _answers(world: World, response_id: int) -> dict[str, str | None]:
    async with world.ctx.session_factory() as session:
        rows = await session.execute(
            select(Answer.question, Answer.value).where(Answer.response_id == response_id)
        )
        return dict(rows.all())  # type: ignore[arg-type]


async def _count(world: World, model: type, **where: object) -> int:
    async with world.ctx.session_factory() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(await session.scalar(query) or 0)


async def _answer(world: World, response_id: int, question: str, raw: str,
                  version: int, actor: int | None = None) -> Outcome:
    return await record_answer(world.ctx, actor or world.kader, response_id, question, raw,
                               version, next_update_id())


async def test_an_answer_is_stored_with_who_and_which_update_and_moves_to_the_next_question(
    world: World,
) -> None:
    started = await _start(world)
    position = started.position
    assert position is not None and position.question == "H_KEPALA"
    update_id = next_update_id()
    outcome = await record_answer(
        world.ctx, world.kader, position.response_id, "H_KEPALA", "  Budi   Santoso ",
        position.version, update_id,
    )
    assert outcome.kind == "recorded"
    assert outcome.position is not None
    assert outcome.position.question == "H_RT"
    assert outcome.position.version == position.version + 1
    assert outcome.position.family.head_name == "Budi Santoso"
    async with world.ctx.session_factory() as session:
        row = (await session.scalars(select(Answer))).one()
    assert (row.question, row.value, row.answered_by, row.update_id) == (
        "H_KEPALA", "Budi Santoso", world.kader, update_id
    )
    assert row.answered_at.tzinfo is not None


async def test_a_redelivered_update_id_is_already_processed_and_leaves_exactly_one_answer(
    world: World,
) -> None:
    position = (await _start(world)).position
    assert position is not None
    rid = position.response_id
    update_id = next_update_id()
    first = await record_answer(world.ctx, world.kader, rid, "H_KEPALA", "Budi",
                                position.version, update_id)
    again = await record_answer(world.ctx, world.kader, rid, "H_KEPALA", "Budi",
                                position.version, update_id)
    assert first.kind == "recorded"
    assert again.kind == "already_processed"
    assert again.position is not None and again.position.question == "H_RT"
    assert again.position.version == first.position.version  # type: ignore[union-attr]
    # Even a redelivery carrying another text (it cannot, but the rule holds) stores nothing.
    third = await record_answer(world.ctx, world.kader, rid, "H_RT", "3", None, update_id)
    assert third.kind == "already_processed"
    assert await _answers(world, rid) == {"H_KEPALA": "Budi"}
    assert await _count(world, ProcessedUpdate, update_id=update_id) == 1


async def test_a_stale_version_stores_nothing_and_shows_the_current_question(
    world: World,
) -> None:
    position = (await _start(world)).position
    assert position is not None
    rid, v0 = position.response_id, position.version
    first = await _answer(world, rid, "H_KEPALA", "Budi", v0)
    assert first.kind == "recorded"
    # An old keyboard (version v0) for the same question with another answer: stale.
    stale = await _answer(world, rid, "H_KEPALA", "Joko", v0)
    assert stale.kind == "stale"
    assert stale.position is not None and stale.position.question == "H_RT"
    assert stale.message
    assert await _answers(world, rid) == {"H_KEPALA": "Budi"}


async def test_a_double_tap_is_already_recorded_and_does_not_move_on(world: World) -> None:
    started = await _start(world)
    assert started.position is not None
    rid = started.position.response_id
    position = started.position
    for question in ("H_KEPALA", "H_RT", "H_ANGGOTA"):
        outcome = await _answer(world, rid, question, FAMILY_A[question], position.version)
        assert outcome.position is not None
        position = outcome.position
    assert position.question == "P_PASANGAN"
    tap = await _answer(world, rid, "P_PASANGAN", "ya", position.version)
    double = await _answer(world, rid, "P_PASANGAN", "ya", position.version)
    assert tap.kind == "recorded"
    assert double.kind == "already_recorded"
    assert double.message == "Sudah tercatat."
    assert double.position is not None
    assert double.position.question == tap.position.question == "P_ANAK"  # type: ignore[union-attr]
    assert (await _answers(world, rid))["P_PASANGAN"] == "ya"
    assert await _count(world, Answer, question="P_PASANGAN") == 1


async def test_typed_text_without_a_version_answers_the_question_being_asked(
    world: World,
) -> None:
    position = (await _start(world)).position
    assert position is not None
    outcome = await record_answer(world.ctx, world.kader, position.response_id, None,
                                  "Siti Aminah", None, next_update_id())
    assert outcome.kind == "recorded"
    assert await _answers(world, position.response_id) == {"H_KEPALA": "Siti Aminah"}


async def test_an_invalid_answer_is_refused_with_the_reason_shown_on_the_question(
    world: World,
) -> None:
    position = (await _start(world)).position
    assert position is not None
    rid = position.response_id
    named = await _answer(world, rid, "H_KEPALA", "Budi", position.version)
    assert named.position is not None
    refused = await _answer(world, rid, "H_RT", "seratus", named.position.version)
    assert refused.kind == "invalid"
    assert refused.position is not None and refused.position.question == "H_RT"
    assert refused.position.version == named.position.version  # nothing written, no bump
    assert refused.position.prompt is not None
    assert refused.position.prompt.error == refused.message
    out_of_range = await _answer(world, rid, "H_RT", "120", named.position.version)
    assert out_of_range.kind == "invalid"
    assert out_of_range.message == "Ketik nomor RT saja, misalnya 3."
    assert await _answers(world, rid) == {"H_KEPALA": "Budi"}


async def test_an_unusual_number_asks_yakin_and_is_stored_once_confirmed(world: World) -> None:
    position = (await _start(world)).position
    assert position is not None
    rid = position.response_id
    for question in ("H_KEPALA", "H_RT"):
        position = (await _answer(world, rid, question, FAMILY_A[question],
                                  position.version)).position
        assert position is not None
    ask = await _answer(world, rid, "H_ANGGOTA", "16", position.version)
    assert ask.kind == "confirm" and ask.pending_value == "16"
    assert ask.message is not None and "Yakin" in ask.message
    assert "H_ANGGOTA" not in await _answers(world, rid)
    done = await record_answer(world.ctx, world.kader, rid, "H_ANGGOTA", ask.pending_value,
                               position.version, next_update_id(), confirmed=True)
    assert done.kind == "recorded"
    assert (await _answers(world, rid))["H_ANGGOTA"] == "16"


async def test_back_goes_to_the_previous_question_and_a_double_tap_on_back_is_stale(
    world: World,
) -> None:
    position = (await _start(world)).position
    assert position is not None
    rid = position.response_id
    for question in ("H_KEPALA", "H_RT"):
        position = (await _answer(world, rid, question, FAMILY_A[question],
                                  position.version)).position
        assert position is not None
    assert position.question == "H_ANGGOTA"
    back = await go_back(world.ctx, world.kader, rid, position.version, next_update_id())
    again = await go_back(world.ctx, world.kader, rid, position.version, next_update_id())
    assert back.kind == "moved"
    assert back.position is not None and back.position.question == "H_RT"
    assert back.position.prompt is not None and back.position.prompt.current_answer == "1"
    assert again.kind == "stale"
    assert again.position is not None and again.position.question == "H_RT"
    # Answering the question gone back to returns to where she stopped.
    changed = await _answer(world, rid, "H_RT", "4", back.position.version)
    assert changed.position is not None and changed.position.question == "H_ANGGOTA"
    assert (await _answers(world, rid))["H_RT"] == "4"


async def test_back_on_the_first_question_stays_there(world: World) -> None:
    position = (await _start(world)).position
    assert position is not None
    outcome = await go_back(world.ctx, world.kader, position.response_id, position.version)
    assert outcome.kind == "shown"
    assert outcome.position is not None and outcome.position.question == "H_KEPALA"
    assert outcome.position.version == position.version


async def test_skipping_a_required_question_is_refused(world: World) -> None:
    position = (await _start(world)).position
    assert position is not None
    outcome = await skip(world.ctx, world.kader, position.response_id, "H_KEPALA",
                         position.version, next_update_id())
    assert outcome.kind == "invalid"
    assert outcome.message == "Pertanyaan ini wajib dijawab."


async def test_changing_a_profile_answer_deletes_the_answers_that_no_longer_apply(
    world: World,
) -> None:
    at_review = await enter_family(world.ctx, world.kader, FAMILY_B, submit_it=False)
    assert at_review.position is not None and at_review.position.at_review
    rid = at_review.position.response_id
    opened = await open_for_edit(world.ctx, world.kader, rid, "P_ANAK",
                                 at_review.position.version, next_update_id())
    assert opened.kind == "moved"
    assert opened.position is not None and opened.position.question == "P_ANAK"
    changed = await _answer(world, rid, "P_ANAK", "tidak", opened.position.version)
    assert changed.kind == "recorded"
    children = {"P_BALITA", "P_BADUTA", "P_LAHIR2", "P_SEKOLAH", "LS2", "KF2", "KF4", "KE4",
                "KE5", "KE8", "KSP2", "KSB6"}
    assert set(changed.cleared) == children
    assert changed.notices and "tidak berlaku lagi" in changed.notices[0]
    stored = await _answers(world, rid)
    assert not children & set(stored)
    assert stored["P_ANAK"] == "tidak"
    assert changed.position is not None and changed.position.at_review
    assert await _count(world, AnswerChange) == 0  # never submitted: no audit


async def test_editing_a_submitted_family_is_audited_rescored_and_changes_the_report(
    world: World,
) -> None:
    done = await enter_family(world.ctx, world.kader, FAMILY_A)
    assert done.position is not None
    rid = done.position.response_id
    before = await area_report(world.ctx, world.admin, SAMPANAHAN)
    assert before is not None and before.result.indicator("KE1").value == 100.0

    opened = await open_for_edit(world.ctx, world.kader, rid, "KE1", done.position.version)
    assert opened.position is not None and opened.position.question == "KE1"
    changed = await _answer(world, rid, "KE1", "tidak", opened.position.version)
    assert changed.kind == "recorded"
    assert changed.score is not None
    assert changed.score.score_pct == pytest.approx(100 * 17 / 18)
    assert any("dihitung ulang" in n for n in changed.notices)
    assert changed.position is not None and changed.position.status is Status.SUBMITTED

    async with world.ctx.session_factory() as session:
        audit = (await session.scalars(select(AnswerChange))).one()
        ke1 = await session.scalar(
            select(FamilyScore.score).where(
                FamilyScore.response_id == rid, FamilyScore.indicator == "KE1"
            )
        )
        response = await session.get(Response, rid)
    assert (audit.question, audit.old_value, audit.new_value, audit.changed_by) == (
        "KE1", "ya", "tidak", world.kader
    )
    assert audit.reason == "diubah setelah dikirim"
    assert ke1 == 0
    assert response is not None and response.family_score_pct == pytest.approx(100 * 17 / 18)

    after = await area_report(world.ctx, world.admin, SAMPANAHAN)
    assert after is not None and after.result.indicator("KE1").value == 0.0
    assert after.result.ikk is not None and after.result.ikk < before.result.ikk  # type: ignore[operator]


async def test_a_profile_change_after_submit_audits_every_cleared_answer(world: World) -> None:
    done = await enter_family(world.ctx, world.kader, FAMILY_B)
    assert done.position is not None
    rid = done.position.response_id
    opened = await open_for_edit(world.ctx, world.kader, rid, "P_BALITA", done.position.version)
    assert opened.position is not None
    changed = await _answer(world, rid, "P_BALITA", "tidak", opened.position.version)
    # P_BADUTA is asked only with a balita; KF2 applies only to one (KF5 was never asked).
    assert changed.cleared == ("P_BADUTA", "KF2")
    assert changed.position is not None and changed.position.status is Status.SUBMITTED
    async with world.ctx.session_factory() as session:
        audit = {a.question: (a.old_value, a.new_value) for a in
                 (await session.scalars(select(AnswerChange))).all()}
        kf2 = await session.scalar(
            select(FamilyScore.score).where(
                FamilyScore.response_id == rid, FamilyScore.indicator == "KF2"
            )
        )
    assert audit == {
        "P_BALITA": ("ya", "tidak"), "P_BADUTA": ("tidak", None), "KF2": ("tidak", None)
    }
    assert kf2 is None  # no balita any more: KF2 does not apply


async def test_a_change_after_submit_that_opens_new_questions_makes_it_a_draft_again(
    world: World,
) -> None:
    done = await enter_family(world.ctx, world.kader, FAMILY_A)
    assert done.position is not None
    rid = done.position.response_id
    opened = await open_for_edit(world.ctx, world.kader, rid, "P_ANAK", done.position.version)
    assert opened.position is not None
    changed = await _answer(world, rid, "P_ANAK", "ya", opened.position.version)
    assert changed.kind == "recorded"
    assert changed.position is not None
    assert changed.position.status is Status.DRAFT
    assert changed.position.question == "P_BALITA"
    assert any("kembali menjadi draf" in n for n in changed.notices)
    assert await _count(world, FamilyScore, response_id=rid) == 0
    report = await area_report(world.ctx, world.admin, SAMPANAHAN, PERIOD)
    assert report is not None and (report.submitted, report.drafts) == (0, 1)
    # Further answers to the reopened family are still audited.
    more = await _answer(world, rid, "P_BALITA", "tidak", changed.position.version)
    assert more.kind == "recorded"
    assert await _count(world, AnswerChange, question="P_BALITA") == 1


async def test_another_kader_or_an_official_cannot_touch_a_response(world: World) -> None:
    position = (await _start(world)).position
    assert position is not None
    rid, version = position.response_id, position.version
    for intruder in (world.kader2, world.kader_sepapah, world.pejabat_kotabaru, world.admin):
        outcomes = [
            await record_answer(world.ctx, intruder, rid, "H_KEPALA", "X", version,
                                next_update_id()),
            await go_back(world.ctx, intruder, rid, version, next_update_id()),
            await open_for_edit(world.ctx, intruder, rid, "H_KEPALA", version),
            await submit(world.ctx, intruder, rid, version, next_update_id()),
            await current_position(world.ctx, intruder, rid),
            await cancel(world.ctx, intruder, rid),
        ]
        assert {o.kind for o in outcomes} == {"not_found"}
        assert all(o.position is None for o in outcomes)
    unknown = await current_position(world.ctx, world.kader, rid + 1000)
    assert unknown.kind == "not_found" and unknown.message == (
        await current_position(world.ctx, world.kader2, rid)
    ).message
    assert await _answers(world, rid) == {}


async def test_a_deactivated_kader_reaches_nothing(world: World) -> None:
    position = (await _start(world)).position
    assert position is not None
    async with world.ctx.session_factory() as session, session.begin():
        await session.execute(
            update(AppUser).where(AppUser.id == world.kader).values(active=False)
        )
    outcome = await _answer(world, position.response_id, "H_KEPALA", "Budi", position.version)
    assert outcome.kind == "not_found"


async def test_cancel_leaves_the_draft_saved_and_says_so(world: World) -> None:
    position = (await _start(world)).position
    assert position is not None
    named = await _answer(world, position.response_id, "H_KEPALA", "Budi", position.version)
    assert named.position is not None
    cancelled = await cancel(world.ctx, world.kader, position.response_id)
    assert cancelled.kind == "cancelled" and cancelled.message and "/lanjut" in cancelled.message
    assert cancelled.position is not None and cancelled.position.question == "H_RT"
    assert await _answers(world, position.response_id) == {"H_KEPALA": "Budi"}


async def test_the_period_is_the_survey_year_in_local_time(world: World) -> None:
    ctx: ServiceContext = world.ctx
    # 31 Dec 2025 16:30 UTC is 1 Jan 2026 00:30 WITA (UTC+8).
    assert ctx.current_period(datetime(2025, 12, 31, 16, 30, tzinfo=UTC)) == 2026
    assert ctx.current_period(datetime(2025, 12, 31, 15, 30, tzinfo=UTC)) == 2025
