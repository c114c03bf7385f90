"""Rendering positions as Telegram messages: escaped HTML, compact buttons, split review cards."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.db.models import ResponseStatus
from bot.repositories.families import FamilyLabel
from bot.repositories.responses import ResponseRow
from bot.services.outcomes import Position, build_position
from bot.telegram import render
from bot.telegram.callback_data import MAX_BYTES, Kind, decode
from conversations.engine import Review, ReviewItem, ReviewSection
from ikk_core.areas import AreaLevel
from ikk_core.instrument_io import load_default_instrument
from ikk_core.values import parse_answer, to_storage

INSTRUMENT = load_default_instrument()


def position(answers: dict[str, str], *, status: ResponseStatus = ResponseStatus.DRAFT,
             head: str | None = "Budi <b>& Co</b>") -> Position:
    stored = {
        name: to_storage(parse_answer(INSTRUMENT, INSTRUMENT.question(name), raw))
        for name, raw in answers.items()
    }
    row = ResponseRow(
        id=4321, version=17, status=status, cadre_id=1, cursor=None, submitted_at=None,
        updated_at=datetime.now(UTC), score_pct=None, band=None,
        instrument_id=INSTRUMENT.id, instrument_version=INSTRUMENT.version,
        family=FamilyLabel(1, "63.02.12.2001", "Sepapah <Hulu>", AreaLevel.DESA, 2, head, 2026),
    )
    return build_position(INSTRUMENT, row, stored)


def all_data(markup: object) -> list[str]:
    rows = getattr(markup, "inline_keyboard", ())
    return [b.callback_data for row in rows for b in row]


def test_the_first_question_has_no_back_button_and_escapes_the_family_header() -> None:
    shown = position({})
    assert shown.prompt is not None
    message = render.position_messages(INSTRUMENT, shown, header=True)[0]

    assert message.markup is None  # a typed question with nothing before it
    assert "Budi &lt;b&gt;&amp; Co&lt;/b&gt;" in message.text
    assert "Desa Sepapah &lt;Hulu&gt;" in message.text
    assert "<b>Nama kepala keluarga</b>" in message.text


def test_a_yes_no_question_has_ya_tidak_and_kembali_carrying_response_question_version() -> None:
    shown = position({"H_KEPALA": "Budi", "H_RT": "2", "H_ANGGOTA": "4"})
    message = render.position_messages(INSTRUMENT, shown)[0]
    assert message.markup is not None
    labels = [[b.text for b in row] for row in message.markup.inline_keyboard]

    assert labels == [["Ya", "Tidak"], ["⬅️ Kembali"]]
    decoded = [decode(d) for d in all_data(message.markup)]
    assert [d.kind for d in decoded if d] == [Kind.ANSWER, Kind.ANSWER, Kind.BACK]
    for data in decoded:
        assert data is not None
        assert (data.response_id, data.question, data.version) == (4321, 4, 17)


def test_the_review_card_has_an_edit_button_per_answer_and_kirim_when_complete() -> None:
    answers = {"H_KEPALA": "Budi", "H_RT": "2", "H_ANGGOTA": "2", "P_PASANGAN": "ya",
               "P_ANAK": "tidak", "P_LANSIA": "tidak", "P_PENDAPATAN": "2000000"}
    for name in ("LS1", "LS3", "KF1", "KF3", "KE1", "KE3", "KE6", "KE7", "KSP4", "KSP5", "KSP6",
                 "KSB2", "KSB3", "KSB4"):
        answers[name] = "ya"
    for name in ("KSP1", "KSP3", "KSB5"):
        answers[name] = "tidak"
    shown = position(answers)
    assert shown.review is not None

    messages = render.position_messages(INSTRUMENT, shown)
    markup = messages[-1].markup
    assert markup is not None
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert labels[-2:] == ["⬅️ Kembali", "✅ Kirim"]
    assert len([label for label in labels if label.startswith("Ubah ")]) == 24
    assert all(len(d.encode()) <= MAX_BYTES for d in all_data(markup))


def test_a_long_review_is_split_below_4096_characters_with_the_keyboard_on_the_last_part() -> None:
    items = tuple(
        ReviewItem(i, f"Q{i}", f"Pertanyaan nomor {i} " + "panjang " * 8, "jawaban <x> " * 6, i)
        for i in range(1, 131)
    )
    card = Review((ReviewSection("S", "Bagian & lain", items),), ())
    shown = position({"H_KEPALA": "Budi"})

    messages = render.review_messages(INSTRUMENT, shown, card)

    assert len(messages) > 1
    assert all(len(m.text) <= 4096 for m in messages)
    assert [m.markup is not None for m in messages] == [False] * (len(messages) - 1) + [True]
    buttons = [b for row in messages[-1].markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert len(buttons) <= 100
    assert "jawaban &lt;x&gt;" in messages[0].text


def test_a_submitted_familys_card_shows_the_score_and_no_kirim() -> None:
    shown = position({"H_KEPALA": "Budi"}, status=ResponseStatus.SUBMITTED)
    card = Review((), ())
    messages = render.review_messages(INSTRUMENT, shown, card)
    assert "Skor keluarga" in messages[0].text
    assert all("Kirim" not in b.text for m in messages if m.markup
               for row in m.markup.inline_keyboard for b in row)


def test_the_live_card_heads_the_next_question_with_the_escaped_answer_it_replaced() -> None:
    shown = position({"H_KEPALA": "Budi", "H_RT": "2", "H_ANGGOTA": "4"})
    answered = render.answered_line("Nama <kepala>", "A & B")
    message = render.position_messages(INSTRUMENT, shown, answered=answered)[0]

    assert message.text.startswith("✔️ Nama &lt;kepala&gt;: <b>A &amp; B</b>\n\n")
    assert "<b>Apakah ada pasangan" in message.text
    assert message.markup is not None


def test_the_review_card_that_replaces_the_live_card_starts_with_the_last_answer() -> None:
    shown = position({"H_KEPALA": "Budi", "H_RT": "2", "H_ANGGOTA": "4"})
    review = Review(sections=(), missing=("KSB5",))
    answered = render.answered_line("Ada pasangan", "Ya")
    messages = render.review_messages(INSTRUMENT, shown, review, answered=answered)

    assert messages[0].text.startswith("✔️ Ada pasangan: <b>Ya</b>\n\n📋 ")
