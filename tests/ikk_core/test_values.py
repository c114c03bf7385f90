"""How typed or pasted answers become typed values, for the chat and the `score` command alike."""

from __future__ import annotations

import pytest

from ikk_core.instrument import (
    Band,
    Choice,
    Dimension,
    Indicator,
    Instrument,
    Question,
    Settings,
    Text,
)
from ikk_core.values import (
    AnswerError,
    check_answer,
    effective_answers,
    from_storage,
    parse_answer,
    parse_number,
    relevant_questions,
    soft_warning,
    to_storage,
)

YESNO = (Choice("ya", Text("Ya", "Yes")), Choice("tidak", Text("Tidak", "No")))


def _instrument() -> Instrument:
    questions = (
        Question("NAMA", "text", Text("Nama"), constraint="string-length(.) >= 2",
                 constraint_message=Text("Nama minimal 2 huruf.")),
        Question("ANGGOTA", "integer", Text("Jumlah anggota"), constraint=". >= 1 and . <= 30",
                 constraint_message=Text("Isi 1 sampai 30."), warn_max=15),
        Question("ANAK", "select_one", Text("Ada anak?"), list_name="yesno"),
        Question("BALITA", "select_one", Text("Ada balita?"), list_name="yesno",
                 relevant="${ANAK} = 'ya'"),
        Question("BADUTA", "select_one", Text("Ada baduta?"), list_name="yesno",
                 relevant="${BALITA} = 'ya'"),
        Question("GAJI", "integer", Text("Pendapatan"), required=False, appearance="currency"),
        Question("BERAT", "decimal", Text("Berat"), required=False),
        Question("PILIH", "select_multiple", Text("Pilih"), list_name="yesno", required=False),
        Question("INFO", "note", Text("Catatan")),
    )
    return Instrument(
        id="uji", version="1", title=Text("Uji"),
        settings=Settings(ikk_bands=(Band("K1", Text("a"), 0.0),),
                          family_bands=(Band("rendah", Text("rendah"), 0.0),)),
        dimensions=(Dimension("D", Text("D")),),
        questions=questions,
        choices={"yesno": YESNO},
        indicators=(Indicator("D1", "D", Text("d"), meets_if="${ANAK} = 'ya'"),),
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2.500.000", 2_500_000),
        ("2,5 juta", 2_500_000),
        ("2,5juta", 2_500_000),
        ("Rp 2.500.000", 2_500_000),
        ("Rp2.500.000,-", 2_500_000),
        ("rp. 750 ribu", 750_000),
        ("750rb", 750_000),
        ("2.5 juta", 2_500_000),
        ("1,000,000", 1_000_000),
        ("2500000", 2_500_000),
        ("12", 12),
        (" 7 ", 7),
        (3, 3),
        (4.0, 4),
    ],
)
def test_amounts_written_the_indonesian_way_are_read_as_numbers(raw: object, expected: int) -> None:
    instrument = _instrument()
    assert parse_answer(instrument, instrument.question("GAJI"), raw) == expected


@pytest.mark.parametrize("raw", ["dua", "2,5 kilo", "1..2x", "-", "ya", "1" * 200, "1 2 3 abc"])
def test_text_that_is_not_a_number_is_refused_with_an_example(raw: str) -> None:
    instrument = _instrument()
    with pytest.raises(AnswerError) as caught:
        parse_answer(instrument, instrument.question("GAJI"), raw)
    assert "angka" in caught.value.message


def test_an_integer_question_refuses_a_fraction() -> None:
    instrument = _instrument()
    with pytest.raises(AnswerError, match="bulat"):
        parse_answer(instrument, instrument.question("ANGGOTA"), "2,5")


def test_a_decimal_question_keeps_the_fraction() -> None:
    instrument = _instrument()
    assert parse_answer(instrument, instrument.question("BERAT"), "2,5") == 2.5
    assert parse_number("1.234,5") == parse_number("1234.5")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Ya", "ya"), ("YA", "ya"), ("iya", "ya"), ("1", "ya"), (1, "ya"), ("Tidak", "tidak"),
     ("tdk", "tidak"), ("0", "tidak"), (0.0, "tidak"), ("  nggak ", "tidak"), ("Yes", "ya")],
)
def test_yes_and_no_are_understood_however_they_are_typed(raw: object, expected: str) -> None:
    instrument = _instrument()
    assert parse_answer(instrument, instrument.question("ANAK"), raw) == expected


def test_an_unknown_choice_lists_the_options() -> None:
    instrument = _instrument()
    with pytest.raises(AnswerError) as caught:
        parse_answer(instrument, instrument.question("ANAK"), "mungkin")
    assert '"Ya" / "Tidak"' in caught.value.message


def test_multiple_choices_are_stored_in_list_order_without_duplicates() -> None:
    instrument = _instrument()
    assert parse_answer(instrument, instrument.question("PILIH"), "tidak, ya, Ya") == "ya tidak"


def test_empty_input_is_no_answer_and_a_note_cannot_be_answered() -> None:
    instrument = _instrument()
    assert parse_answer(instrument, instrument.question("NAMA"), "   ") is None
    assert parse_answer(instrument, instrument.question("NAMA"), float("nan")) is None
    with pytest.raises(AnswerError):
        parse_answer(instrument, instrument.question("INFO"), "x")


def test_text_answers_are_trimmed_and_inner_spaces_collapsed() -> None:
    instrument = _instrument()
    typed = "  Siti   Aminah "
    assert parse_answer(instrument, instrument.question("NAMA"), typed) == "Siti Aminah"


def test_constraint_failure_returns_the_instrument_message() -> None:
    instrument = _instrument()
    assert check_answer(instrument, instrument.question("ANGGOTA"), 31, {}) == "Isi 1 sampai 30."
    assert check_answer(instrument, instrument.question("ANGGOTA"), 30, {}) is None
    assert check_answer(instrument, instrument.question("NAMA"), "S", {}) == "Nama minimal 2 huruf."


def test_a_required_question_left_empty_is_refused_and_an_optional_one_is_not() -> None:
    instrument = _instrument()
    assert check_answer(instrument, instrument.question("ANAK"), None, {}) is not None
    assert check_answer(instrument, instrument.question("GAJI"), None, {}) is None


def test_a_number_outside_the_soft_range_asks_for_confirmation() -> None:
    instrument = _instrument()
    question = instrument.question("ANGGOTA")
    assert soft_warning(question, 16) == "Jawaban 16 tidak biasa. Yakin?"
    assert soft_warning(question, 15) is None
    assert soft_warning(instrument.question("ANAK"), "ya") is None


def test_answers_left_by_questions_no_longer_relevant_do_not_count() -> None:
    instrument = _instrument()
    answers = {"ANAK": "tidak", "BALITA": "ya", "BADUTA": "ya", "NAMA": "Siti"}
    assert effective_answers(instrument, answers) == {"ANAK": "tidak", "NAMA": "Siti"}
    names = [q.name for q in relevant_questions(instrument, answers)]
    assert "BALITA" not in names and "BADUTA" not in names
    assert "INFO" not in names


def test_relevance_cascades_through_a_chain_of_questions() -> None:
    instrument = _instrument()
    names = [q.name for q in relevant_questions(instrument, {"ANAK": "ya", "BALITA": "ya"})]
    assert names.index("BALITA") < names.index("BADUTA")


def test_storage_round_trips_every_type() -> None:
    instrument = _instrument()
    for name, value in [("ANGGOTA", 4), ("ANAK", "ya"), ("BERAT", 2.5), ("NAMA", "Siti")]:
        question = instrument.question(name)
        stored = to_storage(value)
        assert isinstance(stored, str)
        assert from_storage(question, stored) == value
    assert to_storage(None) is None and to_storage("") is None
    assert to_storage(3.0) == "3"


def test_control_characters_in_typed_text_are_dropped_not_stored() -> None:
    instrument = _instrument()
    question = instrument.question("NAMA")
    assert parse_answer(instrument, question, "Ahmad\x00Fauzi") == "Ahmad Fauzi"
    assert parse_answer(instrument, question, "\x00\x07") is None
