"""The review card: grouping by section, stable numbers, and splitting under Telegram's limit."""

from __future__ import annotations

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from small_instruments import NO_CHILDREN, WITH_CHILDREN, family_instrument, make_instrument

from conversations.engine import (
    Review,
    ReviewItem,
    ReviewSection,
    render_review,
    review,
)
from ikk_core.expressions import Value
from ikk_core.instrument import Instrument, Question, Text


def test_the_review_groups_answers_by_section_in_questionnaire_order() -> None:
    card = review(family_instrument(), NO_CHILDREN)
    assert [(s.code, s.name) for s in card.sections] == [
        ("PROFIL", "Profil keluarga"),
        ("LS", "Legalitas dan Struktur"),
        ("KE", "Ketahanan Ekonomi"),
    ]
    assert [item.question for item in card.items] == [
        "NAMA", "RT", "ANGGOTA", "PASANGAN", "ANAK", "GAJI", "CATATAN", "A1", "C1",
    ]
    assert card.complete


def test_review_items_show_display_values_and_the_number_of_the_progress_line() -> None:
    card = review(family_instrument(), NO_CHILDREN)
    by_name = {item.question: item for item in card.items}
    # GAJI was "Pertanyaan 6" (BALITA and SEKOLAH were not asked); its row number is 8.
    assert by_name["GAJI"] == ReviewItem(
        8, "GAJI", "Perkiraan pendapatan keluarga per bulan (Rupiah)", "Rp 2.000.000", 6
    )
    assert by_name["PASANGAN"].value == "Ya"
    assert by_name["CATATAN"].value == "(dilewati)"
    assert (by_name["A1"].index, by_name["A1"].number) == (11, 8)  # row 10 is a note
    assert [item.number for item in card.items] == list(range(1, 10))


def test_the_review_leaves_out_questions_that_do_not_apply_even_with_a_stale_answer() -> None:
    answers = {**NO_CHILDREN, "BALITA": "ya", "B1": "ya"}
    names = [item.question for item in review(family_instrument(), answers).items]
    assert "BALITA" not in names and "B1" not in names


def test_an_incomplete_review_lists_what_is_missing() -> None:
    answers = {k: v for k, v in WITH_CHILDREN.items() if k not in ("B2", "C2")}
    card = review(family_instrument(), answers)
    assert card.missing == ("B2", "C2")
    assert not card.complete
    text = "\n".join(render_review(card))
    assert text.endswith("Belum lengkap: 2 pertanyaan wajib belum dijawab.")


def test_a_short_review_is_one_message_with_its_header_and_numbered_items() -> None:
    parts = render_review(review(family_instrument(), NO_CHILDREN))
    assert len(parts) == 1
    assert parts[0] == (
        "Ringkasan jawaban — periksa sebelum dikirim\n\n"
        "Profil keluarga\n"
        "1. Nama kepala keluarga: Siti Aminah\n"
        "2. Nomor RT: 3\n"
        "3. Jumlah anggota keluarga (orang): 2\n"
        "4. Apakah ada pasangan suami-istri?: Ya\n"
        "5. Apakah ada anak usia 0–17 tahun?: Tidak\n"
        "6. Perkiraan pendapatan keluarga per bulan (Rupiah): Rp 2.000.000\n"
        "7. Catatan untuk keluarga ini: (dilewati)\n\n"
        "Legalitas dan Struktur\n"
        "8. Apakah pasangan memiliki buku nikah?: Ya\n\n"
        "Ketahanan Ekonomi\n"
        "9. Apakah rumah milik sendiri?: Ya\n\n"
        "Untuk mengubah jawaban, pilih nomornya."
    )


def _long_instrument(sections: int, per_section: int) -> Instrument:
    questions = tuple(
        Question(f"S{s}Q{q}", "text",
                 Text(f"Pertanyaan panjang nomor {q} di bagian {s} tentang keadaan keluarga"),
                 section=f"S{s}")
        for s in range(sections)
        for q in range(per_section)
    )
    return make_instrument(questions)


def _long_answers(instrument: Instrument, length: int) -> dict[str, Value]:
    return {
        q.name: (f"{q.name} " + "jawaban & <catatan> panjang " * 40)[:length]
        for q in instrument.questions
    }


def _item_lines(card: Review, escape: object = None) -> list[str]:
    lines = [f"{item.number}. {item.label}: {item.value}" for item in card.items]
    return [html.escape(line) for line in lines] if escape else lines


def test_a_long_review_is_split_into_parts_under_the_limit_without_cutting_an_item() -> None:
    instrument = _long_instrument(sections=5, per_section=12)
    card = review(instrument, _long_answers(instrument, 900))
    parts = render_review(card)
    assert len(parts) > 5
    assert all(len(part) <= 4096 for part in parts)
    assert parts[0].startswith("Ringkasan jawaban — periksa sebelum dikirim\n\n")
    assert all(part.startswith("Ringkasan jawaban (lanjutan)\n\n") for part in parts[1:])
    lines = [line for part in parts for line in part.splitlines()]
    for item_line in _item_lines(card):
        assert lines.count(item_line) == 1  # every item whole, exactly once


def test_a_section_split_over_two_parts_is_marked_as_continued() -> None:
    instrument = _long_instrument(sections=1, per_section=12)
    card = review(instrument, _long_answers(instrument, 900))
    parts = render_review(card)
    assert parts[0].splitlines()[2] == "S0"
    assert parts[1].splitlines()[2] == "S0 (lanjutan)"


def test_the_limit_is_measured_on_the_escaped_text_that_is_sent() -> None:
    instrument = _long_instrument(sections=3, per_section=10)
    card = review(instrument, _long_answers(instrument, 600))
    parts = render_review(card, escape=html.escape, bold=lambda s: f"<b>{s}</b>")
    assert all(len(part) <= 4096 for part in parts)
    assert parts[0].startswith("<b>Ringkasan jawaban — periksa sebelum dikirim</b>\n\n<b>S0</b>\n")
    lines = [line for part in parts for line in part.splitlines()]
    for item_line in _item_lines(card, escape=True):
        assert item_line in lines
    plain = render_review(card)
    assert len(parts) >= len(plain)  # escaping lengthens the text: never fewer parts


def test_an_item_longer_than_a_whole_part_has_its_value_shortened() -> None:
    items = (ReviewItem(1, "A", "Nama", "Siti", 1), ReviewItem(2, "Q", "Catatan", "a" * 1000, 2))
    card = Review((ReviewSection("S", "Bagian", items),), ())
    parts = render_review(card, limit=400)
    assert len(parts) == 3
    assert all(len(part) <= 400 for part in parts)
    assert parts[0].splitlines()[-1] == "1. Nama: Siti"
    second = parts[1].splitlines()
    assert second[:3] == ["Ringkasan jawaban (lanjutan)", "", "Bagian (lanjutan)"]
    assert second[3].startswith("2. Catatan: aaaa")
    assert second[3].endswith("a…")
    assert parts[2] == "Ringkasan jawaban (lanjutan)\n\nUntuk mengubah jawaban, pilih nomornya."


def test_a_tiny_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        render_review(review(family_instrument(), NO_CHILDREN), limit=100)


@settings(max_examples=60, deadline=None)
@given(
    limit=st.integers(min_value=300, max_value=4096),
    sections=st.integers(min_value=1, max_value=4),
    per_section=st.integers(min_value=1, max_value=15),
    length=st.integers(min_value=1, max_value=150),
)
def test_every_part_fits_and_every_item_appears_once_whole(
    limit: int, sections: int, per_section: int, length: int
) -> None:
    instrument = _long_instrument(sections, per_section)
    card = review(instrument, _long_answers(instrument, length))
    parts = render_review(card, limit)
    assert all(len(part) <= limit for part in parts)
    lines = [line for part in parts for line in part.splitlines()]
    for item_line in _item_lines(card):
        assert lines.count(item_line) == 1
    items_per_part = [
        sum(1 for line in part.splitlines() if line[:1].isdigit()) for part in parts
    ]
    assert all(count > 0 for count in items_per_part[:-1])  # no part without an item but the last
