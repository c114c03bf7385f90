"""Taking a reply: parsing in context, checks, "Yakin?", stale and double input."""

from __future__ import annotations

from small_instruments import (
    NO_CHILDREN,
    WITH_CHILDREN,
    family_instrument,
    make_instrument,
    yes_no,
)

from conversations.engine import (
    MAX_MESSAGE_LENGTH,
    Accepted,
    NeedsConfirmation,
    Rejected,
    answer,
)
from ikk_core.expressions import Value


def _upto(answers: dict[str, Value], last: str) -> dict[str, Value]:
    kept: dict[str, Value] = {}
    for name, value in answers.items():
        kept[name] = value
        if name == last:
            break
    return kept


def _at(question: str) -> dict[str, Value]:
    """Answers of a family with children just before `question` is asked."""
    names = list(WITH_CHILDREN)
    return {name: WITH_CHILDREN[name] for name in names[: names.index(question)]}


def test_a_valid_answer_is_accepted_and_the_next_question_follows() -> None:
    outcome = answer(family_instrument(), "NAMA", "  Siti   Aminah ", {})
    assert isinstance(outcome, Accepted)
    assert outcome.value == "Siti Aminah"
    assert outcome.next_question == "RT"
    assert outcome.next_cursor is None
    assert outcome.cleared == ()
    assert dict(outcome.answers) == {"NAMA": "Siti Aminah"}


def test_a_constraint_failure_is_rejected_with_the_instrument_message() -> None:
    outcome = answer(family_instrument(), "RT", "150", _at("RT"))
    assert outcome == Rejected("RT", "RT harus angka 1 sampai 99.", "invalid")


def test_text_that_is_not_a_number_is_rejected_with_an_example() -> None:
    outcome = answer(family_instrument(), "RT", "tiga", _at("RT"))
    assert isinstance(outcome, Rejected)
    assert outcome.reason == "invalid"
    assert "angka" in outcome.message


def test_a_required_question_cannot_be_skipped() -> None:
    outcome = answer(family_instrument(), "RT", None, _at("RT"))
    assert outcome == Rejected("RT", "Pertanyaan ini wajib dijawab.", "invalid")


def test_an_optional_question_can_be_skipped_and_is_then_answered() -> None:
    instrument = family_instrument()
    outcome = answer(instrument, "CATATAN", None, _at("CATATAN"))
    assert isinstance(outcome, Accepted)
    assert outcome.value is None
    assert "CATATAN" in outcome.answers
    assert outcome.next_question == "A1"


def test_an_unusual_number_asks_for_confirmation_first() -> None:
    instrument = family_instrument()
    answers = _at("ANGGOTA")
    outcome = answer(instrument, "ANGGOTA", "18", answers)
    assert outcome == NeedsConfirmation("ANGGOTA", 18, "Lebih dari 15 orang. Yakin?")
    confirmed = answer(instrument, "ANGGOTA", 18, answers, confirmed=True)
    assert isinstance(confirmed, Accepted)
    assert confirmed.value == 18
    assert confirmed.next_question == "PASANGAN"


def test_confirmation_does_not_bypass_the_hard_constraint() -> None:
    outcome = answer(family_instrument(), "ANGGOTA", "31", _at("ANGGOTA"), confirmed=True)
    assert outcome == Rejected("ANGGOTA", "Jumlah anggota harus 1 sampai 30.", "invalid")


def test_a_usual_number_needs_no_confirmation() -> None:
    assert isinstance(answer(family_instrument(), "ANGGOTA", "5", _at("ANGGOTA")), Accepted)


def test_typed_yes_and_no_are_accepted_where_buttons_are_shown() -> None:
    instrument = family_instrument()
    answers = _at("PASANGAN")
    for typed, expected in (("ya", "ya"), ("Tidak", "tidak"), ("iya", "ya"), ("0", "tidak"),
                            ("YA ", "ya"), ("tidak", "tidak")):
        outcome = answer(instrument, "PASANGAN", typed, answers)
        assert isinstance(outcome, Accepted), typed
        assert outcome.value == expected, typed


def test_an_unknown_word_for_a_yes_no_question_names_the_buttons() -> None:
    outcome = answer(family_instrument(), "PASANGAN", "mungkin", _at("PASANGAN"))
    assert isinstance(outcome, Rejected)
    assert '"Ya" / "Tidak"' in outcome.message


def test_amounts_are_read_the_way_cadres_write_them() -> None:
    instrument = family_instrument()
    answers = _at("GAJI")
    for typed in ("2,5 juta", "Rp 2.500.000", "2.500.000", "2500000", "2500 rb"):
        outcome = answer(instrument, "GAJI", typed, answers)
        assert isinstance(outcome, Accepted), typed
        assert outcome.value == 2_500_000, typed


def test_a_message_over_a_thousand_characters_is_refused_before_parsing() -> None:
    instrument = family_instrument()
    outcome = answer(instrument, "CATATAN", "x" * (MAX_MESSAGE_LENGTH + 1), _at("CATATAN"))
    assert isinstance(outcome, Rejected)
    assert outcome.reason == "too_long"
    assert outcome.message.startswith("Pesan terlalu panjang (maks. 1.000 karakter)")
    at_limit = answer(instrument, "CATATAN", "x" * MAX_MESSAGE_LENGTH, _at("CATATAN"))
    assert isinstance(at_limit, Accepted)


def test_an_answer_to_a_question_that_is_not_the_current_one_is_rejected() -> None:
    instrument = family_instrument()
    answers = _at("ANAK")  # ANAK is being asked
    outcome = answer(instrument, "C1", "ya", answers)
    assert isinstance(outcome, Rejected)
    assert outcome.reason == "not_current"
    assert "tidak dicatat" in outcome.message


def test_a_tap_on_an_old_keyboard_with_another_value_is_not_recorded() -> None:
    instrument = family_instrument()
    answers = _at("ANAK")
    outcome = answer(instrument, "PASANGAN", "tidak", answers)  # was "ya"
    assert isinstance(outcome, Rejected)
    assert outcome.reason == "not_current"


def test_a_double_tap_is_recognised_as_already_recorded() -> None:
    instrument = family_instrument()
    answers = _at("PASANGAN")
    first = answer(instrument, "PASANGAN", "ya", answers)
    assert isinstance(first, Accepted)
    second = answer(instrument, "PASANGAN", "ya", first.answers, first.next_cursor)
    assert second == Rejected("PASANGAN", "Sudah tercatat.", "already_recorded")


def test_a_stale_tap_after_the_last_question_points_to_the_review() -> None:
    outcome = answer(family_instrument(), "A1", "tidak", NO_CHILDREN)
    assert isinstance(outcome, Rejected)
    assert outcome.reason == "not_current"
    assert "ringkasan" in outcome.message


def test_an_answer_to_a_question_that_does_not_apply_is_rejected() -> None:
    outcome = answer(family_instrument(), "BALITA", "ya", _upto(NO_CHILDREN, "ANAK"))
    assert isinstance(outcome, Rejected)
    assert outcome.reason == "not_relevant"


def test_an_answer_to_an_unknown_question_or_a_note_is_rejected() -> None:
    instrument = family_instrument()
    unknown = answer(instrument, "NOPE", "ya", {})
    assert isinstance(unknown, Rejected) and unknown.reason == "unknown_question"
    note = answer(instrument, "INFO_A", "ya", _at("A1"))
    assert isinstance(note, Rejected) and note.reason == "not_relevant"


def test_english_falls_back_to_indonesian_where_the_instrument_has_no_english() -> None:
    instrument = family_instrument()
    outcome = answer(instrument, "RT", "150", _at("RT"), lang="en")
    assert outcome == Rejected("RT", "RT harus angka 1 sampai 99.", "invalid")
    too_long = answer(instrument, "RT", "1" * 1001, _at("RT"), lang="en")
    assert isinstance(too_long, Rejected)
    assert too_long.message.startswith("The message is too long")


def test_the_notice_of_cleared_answers_is_shortened_when_the_list_is_long() -> None:
    dependent = [
        yes_no(f"D{i}", f"Pertanyaan tentang anak nomor {i}", section="S",
               relevant="${ROOT} = 'ya'")
        for i in range(1, 12)
    ]
    questions = (yes_no("ROOT", "Ada anak?", section="S"), *dependent)
    instrument = make_instrument(questions)
    answers: dict[str, Value] = {q.name: "ya" for q in questions}
    outcome = answer(instrument, "ROOT", "tidak", answers, "ROOT")
    assert isinstance(outcome, Accepted)
    assert outcome.cleared == tuple(f"D{i}" for i in range(1, 12))
    assert outcome.notice is not None
    lines = outcome.notice.splitlines()
    assert lines[0] == "Jawaban berikut dihapus karena tidak berlaku lagi:"
    assert lines[1:9] == [f"• Pertanyaan tentang anak nomor {i}" for i in range(1, 9)]
    assert lines[9:] == ["… dan 3 lainnya"]
