"""What the cadre sees for one question: progress, label, hint, current answer, error, buttons."""

from __future__ import annotations

import html

import pytest
from small_instruments import NO_CHILDREN, WITH_CHILDREN, family_instrument, make_instrument

from conversations.display import distinct_short_labels
from conversations.engine import (
    ChoiceOption,
    current_question,
    display_value,
    progress,
    prompt,
    short_label,
)
from ikk_core.expressions import Value
from ikk_core.instrument import Question, Text


def _before(answers: dict[str, Value], question: str) -> dict[str, Value]:
    names = list(answers)
    return {name: answers[name] for name in names[: names.index(question)]}


def test_the_total_counts_every_question_that_may_still_apply_and_says_sekitar() -> None:
    instrument = family_instrument()
    start = progress(instrument, {}, instrument.question("NAMA"))
    # Nothing is answered yet: all 15 questions may apply (8 always, 7 depending on answers).
    assert (start.index, start.total, start.exact) == (1, 15, False)
    assert start.line() == "Pertanyaan 1 dari sekitar 15 · Profil keluarga"
    assert "±" not in start.line()


def test_the_total_never_grows_while_the_kader_answers() -> None:
    """Issue 10: "Pertanyaan 6 dari 13" followed by "Pertanyaan 7 dari 14" reads as if
    the questionnaire kept getting longer; the total starts at the most it can be."""
    instrument = family_instrument()
    totals = []
    for name in WITH_CHILDREN:
        step = progress(instrument, _before(WITH_CHILDREN, name), instrument.question(name))
        totals.append(step.total)
    assert totals == [15] * 15
    couple_with_children = _before(WITH_CHILDREN, "BALITA")
    at_balita = progress(instrument, couple_with_children, instrument.question("BALITA"))
    # B2 still waits for BALITA, C2 for SEKOLAH: counted, and the total says "sekitar".
    assert (at_balita.index, at_balita.total, at_balita.exact) == (6, 15, False)
    answers = _before(WITH_CHILDREN, "GAJI")
    at_gaji = progress(instrument, answers, instrument.question("GAJI"))
    assert (at_gaji.index, at_gaji.total, at_gaji.exact) == (8, 15, True)


def test_the_total_only_shrinks_on_the_way_to_the_end() -> None:
    instrument = family_instrument()
    totals = [
        progress(instrument, _before(NO_CHILDREN, name), instrument.question(name)).total
        for name in NO_CHILDREN
    ]
    assert totals == sorted(totals, reverse=True)
    assert (totals[0], totals[-1]) == (15, 9)


def test_the_total_shrinks_when_an_answer_makes_questions_not_apply() -> None:
    instrument = family_instrument()
    answers = _before(NO_CHILDREN, "GAJI")
    at_gaji = progress(instrument, answers, instrument.question("GAJI"))
    # Couple, no children: 8 unconditional + A1 = 9, and nothing can change any more.
    assert (at_gaji.index, at_gaji.total, at_gaji.exact) == (6, 9, True)
    assert at_gaji.line() == "Pertanyaan 6 dari 9 · Profil keluarga"


def test_the_total_is_approximate_while_the_shown_question_can_still_change_it() -> None:
    instrument = family_instrument()
    # Back at ANAK with everything answered: changing ANAK would change the total.
    again = progress(instrument, NO_CHILDREN, instrument.question("ANAK"))
    assert (again.index, again.total, again.exact) == (5, 9, False)
    last = progress(instrument, NO_CHILDREN, instrument.question("C1"))
    assert (last.index, last.total, last.exact) == (9, 9, True)


def test_progress_names_the_section_by_its_dimension() -> None:
    instrument = family_instrument()
    answers = _before(WITH_CHILDREN, "B1")
    where = progress(instrument, answers, instrument.question("B1"))
    assert where.section_code == "KF"
    assert where.section_name == "Ketahanan Fisik"
    assert where.line() == "Pertanyaan 12 dari 15 · Ketahanan Fisik"
    assert where.line("en") == "Question 12 of 15 · Ketahanan Fisik"
    assert progress(instrument, answers, instrument.question("B1"), "en").section_name == (
        "Physical Resilience"
    )


def test_progress_of_a_question_that_does_not_apply_is_an_error() -> None:
    instrument = family_instrument()
    with pytest.raises(ValueError, match="BALITA"):
        progress(instrument, NO_CHILDREN, instrument.question("BALITA"))


def test_a_yes_no_prompt_has_buttons_and_reads_top_down() -> None:
    instrument = family_instrument()
    answers = _before(NO_CHILDREN, "PASANGAN")
    shown = prompt(instrument, instrument.question("PASANGAN"), answers)
    assert shown.question == "PASANGAN"
    assert shown.choices == (ChoiceOption("ya", "Ya"), ChoiceOption("tidak", "Tidak"))
    assert shown.input == "choice"
    assert not shown.expects_text
    assert shown.can_go_back
    assert not shown.can_skip
    assert shown.current_answer is None
    assert shown.title == "Apakah ada pasangan suami-istri?"
    assert shown.text == (
        "Pertanyaan 4 dari sekitar 15 · Profil keluarga\n\nApakah ada pasangan suami-istri?"
    )


def test_the_first_question_has_no_back_button() -> None:
    instrument = family_instrument()
    shown = prompt(instrument, instrument.question("NAMA"), {})
    assert not shown.can_go_back
    assert shown.expects_text
    assert shown.input == "text"
    assert shown.choices == ()


def test_a_question_answered_before_shows_its_current_answer_and_selected_button() -> None:
    instrument = family_instrument()
    shown = prompt(instrument, instrument.question("ANAK"), NO_CHILDREN)
    assert shown.current_answer == "Tidak"
    assert shown.text.splitlines()[-1] == "Jawaban sekarang: Tidak"
    assert [c.selected for c in shown.choices] == [False, True]


def test_an_amount_prompt_explains_how_to_type_it_and_shows_rupiah() -> None:
    instrument = family_instrument()
    question = instrument.question("GAJI")
    fresh = prompt(instrument, question, _before(NO_CHILDREN, "GAJI"))
    assert fresh.input == "amount"
    assert "2,5 juta" in fresh.text
    answered = prompt(instrument, question, WITH_CHILDREN)
    assert answered.current_answer == "Rp 2.500.000"


def test_an_error_line_follows_the_question_when_it_is_asked_again() -> None:
    instrument = family_instrument()
    shown = prompt(
        instrument, instrument.question("RT"), _before(NO_CHILDREN, "RT"),
        error="RT harus angka 1 sampai 99.",
    )
    assert shown.error == "RT harus angka 1 sampai 99."
    assert shown.text == (
        "Pertanyaan 2 dari sekitar 15 · Profil keluarga\n\nNomor RT\nKetik angka.\n"
        "⚠️ RT harus angka 1 sampai 99."
    )


def test_an_optional_question_with_a_hint_can_be_skipped() -> None:
    instrument = family_instrument()
    shown = prompt(instrument, instrument.question("CATATAN"), _before(NO_CHILDREN, "CATATAN"))
    assert shown.can_skip
    assert [line.kind for line in shown.lines] == ["progress", "title", "hint", "instruction"]
    assert shown.lines[2].text == "Misalnya: rumah di ujung gang."
    assert shown.lines[3].text == "Boleh dilewati."


def test_a_note_above_a_question_is_shown_with_it() -> None:
    instrument = family_instrument()
    answers = _before(NO_CHILDREN, "A1")
    shown = prompt(instrument, instrument.question("A1"), answers)
    assert [line.kind for line in shown.lines] == ["progress", "note", "title"]
    assert shown.text == (
        "Pertanyaan 8 dari 9 · Legalitas dan Struktur\n\n"
        "Bagian berikut tentang legalitas keluarga.\n\n"
        "Apakah pasangan memiliki buku nikah?"
    )


def test_rendering_escapes_every_part_and_emphasises_the_title() -> None:
    question = Question("Q", "text", Text("Pendapatan < 1 juta & lebih?"),
                        hint=Text("Tulis <angka>"), section="S")
    instrument = make_instrument((question,))
    shown = prompt(instrument, question, {}, error="Salah <lagi>")
    rendered = shown.render(html.escape, lambda s: f"<b>{s}</b>", lambda s: f"<i>{s}</i>")
    assert rendered == (
        "Pertanyaan 1 dari 1 · S\n\n<b>Pendapatan &lt; 1 juta &amp; lebih?</b>\n"
        "<i>Tulis &lt;angka&gt;</i>\n⚠️ Salah &lt;lagi&gt;"
    )


def test_english_labels_are_used_where_the_instrument_has_them() -> None:
    instrument = family_instrument()
    shown = prompt(instrument, instrument.question("NAMA"), {}, lang="en")
    assert shown.title == "Name of the head of family"
    assert shown.lines[0].text == "Question 1 of about 15 · Family profile"
    # RT has no English label: Indonesian it is.
    rt = prompt(instrument, instrument.question("RT"), {"NAMA": "Siti"}, lang="en")
    assert rt.title == "Nomor RT"


def test_the_prompt_for_the_current_question_matches_current_question() -> None:
    instrument = family_instrument()
    answers = _before(WITH_CHILDREN, "B2")
    question = current_question(instrument, answers)
    assert question is not None
    assert prompt(instrument, question, answers).question == "B2"


def test_answers_are_displayed_as_the_cadre_writes_them() -> None:
    instrument = family_instrument()
    assert display_value(instrument, instrument.question("GAJI"), 2_500_000) == "Rp 2.500.000"
    assert display_value(instrument, instrument.question("ANGGOTA"), 1250) == "1.250"
    assert display_value(instrument, instrument.question("ANAK"), "ya") == "Ya"
    assert display_value(instrument, instrument.question("ANAK"), "ya", "en") == "Yes"
    assert display_value(instrument, instrument.question("CATATAN"), None) == "(dilewati)"
    decimal = Question("BERAT", "decimal", Text("Berat"))
    assert display_value(instrument, decimal, 2.5) == "2,5"


def test_long_labels_are_shortened_at_a_word_boundary() -> None:
    text = "Apakah semua anggota keluarga bebas dari penyakit kronis atau disabilitas"
    assert short_label(text, 40) == "Apakah semua anggota keluarga bebas…"
    assert short_label("Nomor RT", 40) == "Nomor RT"


def test_shortened_labels_that_would_look_the_same_are_lengthened_until_they_differ() -> None:
    texts = [
        "Dalam 6 bulan terakhir, apakah ada anggota keluarga yang ikut kegiatan sosial?",
        "Dalam 6 bulan terakhir, apakah ada anggota keluarga yang ikut kegiatan keagamaan?",
        "Nomor RT",
    ]
    shorts = distinct_short_labels(texts, 40)
    assert len(set(shorts)) == 3
    assert shorts[2] == "Nomor RT"
    assert all(len(s) <= len(t) for s, t in zip(shorts, texts, strict=True))
    assert short_label(texts[0], 40) == short_label(texts[1], 40)  # what it avoids
