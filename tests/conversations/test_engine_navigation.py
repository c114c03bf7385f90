"""Where the cadre is: skip logic, the cursor, back, edit, completeness."""

from __future__ import annotations

from small_instruments import NO_CHILDREN, WITH_CHILDREN, family_instrument

from conversations.engine import (
    Accepted,
    answer,
    back,
    current_question,
    edit,
    is_complete,
    missing_required,
    question_at,
    question_index,
)
from ikk_core.expressions import Value


def _name(question: object) -> str | None:
    return getattr(question, "name", None)


def _upto(answers: dict[str, Value], last: str) -> dict[str, Value]:
    """The answers up to and including `last`, as if the cadre had stopped there."""
    kept: dict[str, Value] = {}
    for name, value in answers.items():
        kept[name] = value
        if name == last:
            break
    return kept


def test_a_new_response_starts_at_the_first_question() -> None:
    assert _name(current_question(family_instrument(), {})) == "NAMA"


def test_questions_whose_condition_is_false_are_skipped() -> None:
    instrument = family_instrument()
    answers = _upto(NO_CHILDREN, "ANAK")
    # BALITA and SEKOLAH apply only with children: the next question is the income.
    assert _name(current_question(instrument, answers)) == "GAJI"


def test_questions_whose_condition_is_true_are_asked_in_order() -> None:
    instrument = family_instrument()
    answers = _upto(WITH_CHILDREN, "ANAK")
    assert _name(current_question(instrument, answers)) == "BALITA"


def test_a_whole_section_that_does_not_apply_is_skipped() -> None:
    instrument = family_instrument()
    answers = _upto(NO_CHILDREN, "A1")
    # A2 and the whole KF section (B1, B2) need children.
    assert _name(current_question(instrument, answers)) == "C1"


def test_every_relevant_question_answered_means_the_review_card() -> None:
    assert current_question(family_instrument(), NO_CHILDREN) is None
    assert current_question(family_instrument(), WITH_CHILDREN) is None


def test_a_skipped_optional_question_counts_as_answered_but_a_required_one_does_not() -> None:
    instrument = family_instrument()
    skipped_note = {**_upto(NO_CHILDREN, "GAJI"), "CATATAN": None}
    assert _name(current_question(instrument, skipped_note)) == "A1"
    empty_required = {**_upto(NO_CHILDREN, "ANGGOTA"), "RT": None}
    assert _name(current_question(instrument, empty_required)) == "RT"


def test_a_stale_answer_of_a_question_that_no_longer_applies_is_ignored() -> None:
    instrument = family_instrument()
    # BALITA was answered while ANAK was "ya"; with ANAK "tidak" it must not count.
    answers = {**_upto(NO_CHILDREN, "ANAK"), "BALITA": "ya", "B2": "ya"}
    assert _name(current_question(instrument, answers)) == "GAJI"
    assert missing_required(instrument, {**NO_CHILDREN, "BALITA": "ya"}) == ()


def test_the_cursor_question_is_shown_instead_of_the_frontier() -> None:
    instrument = family_instrument()
    answers = _upto(NO_CHILDREN, "A1")
    assert _name(current_question(instrument, answers, "RT")) == "RT"


def test_a_cursor_on_a_question_that_no_longer_applies_falls_back_to_the_frontier() -> None:
    instrument = family_instrument()
    answers = _upto(NO_CHILDREN, "A1")
    assert _name(current_question(instrument, answers, "BALITA")) == "C1"
    assert _name(current_question(instrument, answers, "NO_SUCH_QUESTION")) == "C1"


def test_back_button_returns_to_previous_applicable_question() -> None:
    instrument = family_instrument()
    answers = _upto(NO_CHILDREN, "A1")
    # At C1; A2, B1 and B2 (the whole KF section) do not apply: back goes to A1.
    assert back(instrument, answers) == "A1"


def test_back_skips_the_note_and_questions_that_do_not_apply_before_the_section() -> None:
    instrument = family_instrument()
    answers = _upto(NO_CHILDREN, "CATATAN")
    assert back(instrument, answers) == "CATATAN"
    assert back(instrument, answers, "CATATAN") == "GAJI"
    assert back(instrument, answers, "GAJI") == "ANAK"  # over BALITA and SEKOLAH


def test_back_twice_walks_back_two_applicable_questions() -> None:
    instrument = family_instrument()
    answers = _upto(WITH_CHILDREN, "B2")
    first = back(instrument, answers)
    assert first == "B2"
    assert back(instrument, answers, first) == "B1"


def test_back_at_the_first_question_gives_no_cursor() -> None:
    instrument = family_instrument()
    assert back(instrument, {}) is None
    assert back(instrument, _upto(NO_CHILDREN, "RT"), "NAMA") is None


def test_back_from_the_review_card_goes_to_the_last_applicable_question() -> None:
    instrument = family_instrument()
    assert back(instrument, NO_CHILDREN) == "C1"
    assert back(instrument, WITH_CHILDREN) == "C2"


def test_after_answering_a_question_gone_back_to_the_cadre_returns_to_where_she_stopped() -> None:
    instrument = family_instrument()
    answers = _upto(WITH_CHILDREN, "B1")
    cursor = back(instrument, answers, back(instrument, answers))  # A2, then B1... now A2
    assert cursor == "A2"
    outcome = answer(instrument, "A2", "Ya", answers, cursor)
    assert isinstance(outcome, Accepted)
    assert outcome.next_cursor is None
    assert outcome.next_question == "B2"
    assert _name(current_question(instrument, outcome.answers, outcome.next_cursor)) == "B2"


def test_edit_opens_an_answered_question_and_refuses_one_that_does_not_apply() -> None:
    instrument = family_instrument()
    assert edit(instrument, "ANAK", NO_CHILDREN) == "ANAK"
    assert edit(instrument, "BALITA", NO_CHILDREN) is None
    assert edit(instrument, "INFO_A", NO_CHILDREN) is None  # a note has no answer
    assert edit(instrument, "NO_SUCH_QUESTION", NO_CHILDREN) is None


def test_edit_never_opens_a_question_beyond_the_first_unanswered_one() -> None:
    instrument = family_instrument()
    answers = _upto(NO_CHILDREN, "ANAK")
    assert edit(instrument, "RT", answers) == "RT"
    assert edit(instrument, "GAJI", answers) == "GAJI"  # the frontier itself
    assert edit(instrument, "C1", answers) is None


def test_editing_a_profile_answer_clears_exactly_the_answers_that_no_longer_apply() -> None:
    instrument = family_instrument()
    cursor = edit(instrument, "ANAK", WITH_CHILDREN)
    outcome = answer(instrument, "ANAK", "Tidak", WITH_CHILDREN, cursor)
    assert isinstance(outcome, Accepted)
    assert outcome.changed
    assert outcome.cleared == ("BALITA", "SEKOLAH", "A2", "B1", "B2", "C2")
    assert set(outcome.answers) == set(WITH_CHILDREN) - set(outcome.cleared)
    assert outcome.next_question is None  # nothing new to ask: back to the review card
    assert outcome.notice is not None
    assert outcome.notice.splitlines() == [
        "Jawaban berikut dihapus karena tidak berlaku lagi:",
        "• Apakah ada anak balita?",
        "• Apakah ada anak usia sekolah?",
        "• Apakah semua anak memiliki akta kelahiran?",
        "• Apakah orang tua tidur terpisah dari anak?",
        "• Apakah balita tidak mengalami gizi kurang?",
        "• Apakah semua anak usia sekolah masih bersekolah?",
    ]


def test_editing_a_deeper_profile_answer_clears_only_what_depended_on_it() -> None:
    instrument = family_instrument()
    outcome = answer(instrument, "BALITA", "tidak", WITH_CHILDREN, "BALITA")
    assert isinstance(outcome, Accepted)
    assert outcome.cleared == ("B2",)


def test_editing_that_makes_new_questions_relevant_asks_them_next_then_the_review() -> None:
    instrument = family_instrument()
    cursor = edit(instrument, "ANAK", NO_CHILDREN)
    outcome = answer(instrument, "ANAK", "ya", NO_CHILDREN, cursor)
    assert isinstance(outcome, Accepted)
    assert outcome.cleared == ()
    assert outcome.notice is None

    asked: list[str] = []
    answers = dict(outcome.answers)
    cursor = outcome.next_cursor
    while (question := current_question(instrument, answers, cursor)) is not None:
        asked.append(question.name)
        step = answer(instrument, question.name, "ya", answers, cursor)
        assert isinstance(step, Accepted)
        answers, cursor = dict(step.answers), step.next_cursor
    assert asked == ["BALITA", "SEKOLAH", "A2", "B1", "B2", "C2"]
    assert is_complete(instrument, answers)


def test_unchanged_answer_to_an_edited_question_changes_nothing() -> None:
    instrument = family_instrument()
    outcome = answer(instrument, "ANAK", "ya", WITH_CHILDREN, "ANAK")
    assert isinstance(outcome, Accepted)
    assert not outcome.changed
    assert outcome.cleared == ()
    assert dict(outcome.answers) == WITH_CHILDREN


def test_complete_only_when_every_applicable_required_question_has_a_value() -> None:
    instrument = family_instrument()
    assert is_complete(instrument, NO_CHILDREN)
    assert missing_required(instrument, NO_CHILDREN) == ()
    partial = _upto(NO_CHILDREN, "GAJI")
    assert not is_complete(instrument, partial)
    assert missing_required(instrument, partial) == ("A1", "C1")
    with_children = {**NO_CHILDREN, "ANAK": "ya"}
    # B2 waits for BALITA and C2 for SEKOLAH: not missing yet.
    assert missing_required(instrument, with_children) == ("BALITA", "SEKOLAH", "A2", "B1")


def test_questions_have_stable_short_numbers_for_buttons() -> None:
    instrument = family_instrument()
    assert question_index(instrument, "NAMA") == 1
    assert question_index(instrument, "A1") == 11  # the note INFO_A is row 10
    question = question_at(instrument, 11)
    assert question is not None and question.name == "A1"
    assert question_at(instrument, 0) is None
    assert question_at(instrument, len(instrument.questions) + 1) is None
