"""The engine walking the shipped default instrument with the spec's worked-example families.

Each family is entered as a cadre would: yes/no by button value, numbers typed ("2 juta"). The
questions asked must be exactly the profile questions that apply plus one question per applicable
indicator (KE2 has none: it is computed from income and household size).
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from conversations.engine import (
    Accepted,
    answer,
    back,
    current_question,
    is_complete,
    prompt,
    render_review,
    review,
)
from ikk_core.expressions import Value
from ikk_core.instrument import Instrument
from ikk_core.instrument_io import load_default_instrument
from ikk_core.scoring import score_family
from tests.worked_example import FAMILY_A, FAMILY_B, FAMILY_C


@pytest.fixture(scope="module")
def instrument() -> Instrument:
    return load_default_instrument()


def _walk(instrument: Instrument, entered: Mapping[str, str]) -> tuple[list[str], dict[str, Value]]:
    """Answer whatever the engine asks until the review card; return the questions asked."""
    answers: dict[str, Value] = {}
    cursor: str | None = None
    asked: list[str] = []
    while (question := current_question(instrument, answers, cursor)) is not None:
        assert question.name not in asked, f"{question.name} asked twice"
        asked.append(question.name)
        shown = prompt(instrument, question, answers)
        assert shown.progress.index == len(asked)
        outcome = answer(instrument, question.name, entered[question.name], answers, cursor)
        assert isinstance(outcome, Accepted), outcome
        assert outcome.cleared == ()
        answers, cursor = dict(outcome.answers), outcome.next_cursor
    return asked, answers


def test_family_a_is_asked_the_profile_without_children_and_its_18_indicators(
    instrument: Instrument,
) -> None:
    asked, answers = _walk(instrument, FAMILY_A)
    assert asked == [
        "H_KEPALA", "H_RT", "H_ANGGOTA", "P_PASANGAN", "P_ANAK", "P_LANSIA", "P_PENDAPATAN",
        "LS1", "LS3", "KF1", "KF3", "KE1", "KE3", "KE6", "KE7",
        "KSP1", "KSP3", "KSP4", "KSP5", "KSP6", "KSB2", "KSB3", "KSB4", "KSB5",
    ]
    assert is_complete(instrument, answers)
    assert answers["P_PENDAPATAN"] == 2_000_000


def test_family_b_is_asked_exactly_the_questions_that_apply_to_it(instrument: Instrument) -> None:
    asked, answers = _walk(instrument, FAMILY_B)
    profile = ["H_KEPALA", "H_RT", "H_ANGGOTA", "P_PASANGAN", "P_ANAK", "P_BALITA", "P_BADUTA",
               "P_LAHIR2", "P_SEKOLAH", "P_LANSIA", "P_PENDAPATAN"]
    # 26 applicable indicators (spec) minus KE2, which has no question; no KF5 (no baduta),
    # no KF6 (no birth in 2 years), no KSB1 (no elderly).
    indicators = ["LS1", "LS2", "LS3", "KF1", "KF2", "KF3", "KF4",
                  "KE1", "KE3", "KE4", "KE5", "KE6", "KE7", "KE8",
                  "KSP1", "KSP2", "KSP3", "KSP4", "KSP5", "KSP6",
                  "KSB2", "KSB3", "KSB4", "KSB5", "KSB6"]
    assert asked == profile + indicators
    assert len(asked) == 36
    assert is_complete(instrument, answers)
    assert answers["P_PENDAPATAN"] == 2_000_000
    assert answers["H_ANGGOTA"] == 5
    assert (answers["KE8"], answers["KSP2"], answers["LS2"]) == ("ya", "ya", "tidak")


def test_family_c_without_a_couple_skips_every_couple_question(instrument: Instrument) -> None:
    asked, answers = _walk(instrument, FAMILY_C)
    assert asked == [
        "H_KEPALA", "H_RT", "H_ANGGOTA", "P_PASANGAN", "P_ANAK", "P_BALITA", "P_LAHIR2",
        "P_SEKOLAH", "P_LANSIA", "P_PENDAPATAN",
        "LS2", "KF1", "KF3", "KF4", "KE1", "KE3", "KE4", "KE5", "KE6", "KE7", "KE8",
        "KSP2", "KSP3", "KSP4", "KSB1", "KSB2", "KSB3", "KSB4", "KSB5", "KSB6",
    ]
    assert answers["P_PENDAPATAN"] == 1_500_000


def test_progress_on_the_default_instrument_ends_exact(instrument: Instrument) -> None:
    _, answers = _walk(instrument, FAMILY_B)
    first = prompt(instrument, instrument.question("H_KEPALA"), {})
    assert first.progress.line().startswith("Pertanyaan 1 dari sekitar ")
    last = prompt(instrument, instrument.question("KSB6"), answers)
    assert last.progress.line().startswith("Pertanyaan 36 dari 36 · ")


@pytest.mark.parametrize("entered", [FAMILY_A, FAMILY_B, FAMILY_C])
def test_every_question_keeps_its_number_from_the_progress_line_to_the_review_card(
    instrument: Instrument, entered: Mapping[str, str]
) -> None:
    """Issue 10: "Pertanyaan N dari M" and the review card's "N." count the same way, and M
    never grows while the kader answers."""
    answers: dict[str, Value] = {}
    cursor: str | None = None
    numbers: dict[str, int] = {}
    totals: list[int] = []
    while (question := current_question(instrument, answers, cursor)) is not None:
        shown = prompt(instrument, question, answers)
        numbers[question.name] = shown.progress.index
        totals.append(shown.progress.total)
        outcome = answer(instrument, question.name, entered[question.name], answers, cursor)
        assert isinstance(outcome, Accepted), outcome
        answers, cursor = dict(outcome.answers), outcome.next_cursor
    card = review(instrument, answers)
    assert {item.question: item.number for item in card.items} == numbers
    assert totals == sorted(totals, reverse=True), "the total grew while answering"
    assert totals[-1] == len(card.items)


def test_changing_children_to_no_clears_every_child_answer_of_family_b(
    instrument: Instrument,
) -> None:
    _, answers = _walk(instrument, FAMILY_B)
    outcome = answer(instrument, "P_ANAK", "Tidak", answers, "P_ANAK")
    assert isinstance(outcome, Accepted)
    assert outcome.cleared == (
        "P_BALITA", "P_BADUTA", "P_LAHIR2", "P_SEKOLAH",
        "LS2", "KF2", "KF4", "KE4", "KE5", "KE8", "KSP2", "KSB6",
    )
    assert outcome.next_question is None  # family A's shape: nothing new to ask


def test_back_from_the_first_indicator_of_family_a_skips_the_child_questions(
    instrument: Instrument,
) -> None:
    _, answers = _walk(instrument, FAMILY_A)
    assert back(instrument, answers, "LS1") == "P_PENDAPATAN"
    assert back(instrument, answers, "P_LANSIA") == "P_ANAK"


def test_the_review_of_family_b_fits_in_one_message(instrument: Instrument) -> None:
    _, answers = _walk(instrument, FAMILY_B)
    card = review(instrument, answers)
    assert len(card.items) == 36
    assert len({item.label for item in card.items}) == 36  # every line tells its question apart
    parts = render_review(card)
    assert len(parts) == 1
    assert "Rp 2.000.000" in parts[0]


@pytest.mark.parametrize(
    ("entered", "applicable", "met"),
    [(FAMILY_A, 18, 18), (FAMILY_B, 26, 21), (FAMILY_C, 21, 17)],
)
def test_answers_collected_by_the_engine_score_as_in_the_worked_example(
    instrument: Instrument, entered: Mapping[str, str], applicable: int, met: int
) -> None:
    _, answers = _walk(instrument, entered)
    result = score_family(instrument, answers, None)
    # Spec: A 18/18 = 100; B 21/26 = 80,77; C 17/21 = 80,95 (KE2 from income ÷ members).
    assert (result.applicable, result.met) == (applicable, met)
