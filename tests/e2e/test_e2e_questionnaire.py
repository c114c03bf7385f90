"""The questionnaire over real HTTP: the spec's worked example entered by a kader, back, edit,
review, submit, resume after a restart, lists, and the duplicate-family prompt."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db.models import Answer, AnswerChange, Family, Response, ResponseStatus
from tests.e2e.conftest import SEPAPAH, SUNGAI_BETUNG, BotHarness
from tests.e2e.kader_steps import (
    EXPECTED_SCORES,
    FAMILY_A,
    FAMILY_B,
    FAMILY_C,
    act,
    answer_until,
    current_question,
    give,
)


async def stored_scores(harness: BotHarness) -> dict[str, float | None]:
    async with harness.database.session_factory() as session:
        rows = await session.execute(
            select(Family.head_name, Response.family_score_pct, Response.status).join(
                Response, Response.family_id == Family.id
            )
        )
        return {
            head: score
            for head, score, status in rows.all()
            if status is ResponseStatus.SUBMITTED
        }


async def stored_answers(harness: BotHarness) -> dict[str, str | None]:
    async with harness.database.session_factory() as session:
        rows = await session.execute(select(Answer.question, Answer.value))
        return dict(rows.all())


async def test_the_worked_example_families_entered_by_a_kader_score_as_the_spec_says(
    harness: BotHarness,
) -> None:
    emu = harness.emulator
    siti = await harness.kader(1001)
    for family in (FAMILY_A, FAMILY_B, FAMILY_C):
        if family is FAMILY_A:
            await act(emu, siti, siti.send("/survei"))
        else:
            await act(emu, siti, siti.tap("➕ Keluarga berikutnya"))
        await answer_until(emu, siti, family)
        await act(emu, siti, siti.tap("✅ Kirim"))
        assert "sudah dikirim" in (siti.last_message().text or "")  # type: ignore[union-attr]

    scores = await stored_scores(harness)
    assert scores.keys() == EXPECTED_SCORES.keys()
    for head, expected in EXPECTED_SCORES.items():
        assert scores[head] == pytest.approx(expected)
    texts = [m.text or "" for m in siti.messages()]
    assert any("Skor keluarga: 100,00 (Baik)" in t for t in texts)
    assert any("Skor keluarga: 80,77 (Baik)" in t for t in texts)
    assert any("Skor keluarga: 80,95 (Baik)" in t for t in texts)
