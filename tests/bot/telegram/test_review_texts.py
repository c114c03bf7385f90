"""What /periksa shows, as pure rendering: the button format, the queue's numbering across
pages, the hidden-answers note and the card's length limit."""

from __future__ import annotations

from bot.db.models import ReviewStatus
from bot.repositories.families import FamilyLabel
from bot.repositories.reviews import ReviewItem
from bot.services.family_review import PAGE_SIZE, AnswerLine, FamilyForReview, ReviewPage
from bot.telegram.review_texts import (
    CARD_LIMIT,
    NOTHING_WAITING,
    ReviewAction,
    ReviewButton,
    decode,
    family_message,
    queue_message,
)
from ikk_core.areas import AreaLevel


def item(family_id: int, status: ReviewStatus = ReviewStatus.PENDING,
         reason: str | None = None) -> ReviewItem:
    label = FamilyLabel(family_id, "63.02.12.2001", "Sepapah", AreaLevel.DESA, 2,
                        f"Kepala {family_id}", 2026)
    return ReviewItem(family_id, family_id + 100, label, "Siti <Kader>", status, reason, None,
                      "ikk", "1")


def test_buttons_round_trip_and_anything_else_is_refused() -> None:
    for action in ReviewAction:
        verdict = action in (ReviewAction.VERIFY, ReviewAction.CHECK)
        button = ReviewButton(action, 123456, 7 if verdict else None)
        assert decode(button.encode()) == button
    for garbage in ("rv1v:", "rv1x:1", "rv1v:01.1", "rv2v:1.1", "o1rc:63", None, "rv1v:1.1 ",
                    "rv1v:1", "rv1c:1", "rv1p:0.3", "rv1v:1.01"):
        assert decode(garbage) is None


def test_the_queue_numbers_families_across_pages_and_offers_the_way_back_and_on() -> None:
    page = ReviewPage(tuple(item(i) for i in range(3)), total=PAGE_SIZE + 3, page=1,
                      period=None)
    shown = queue_message(page)
    assert f"{PAGE_SIZE + 1}. Kepala 0 · RT 2 · Desa Sepapah" in shown.text
    assert "kader: Siti &lt;Kader&gt;" in shown.text and "halaman 2 dari 2" in shown.text
    assert shown.markup is not None
    rows = shown.markup.inline_keyboard
    assert rows[-1][0].text == "⬅️ Sebelumnya" and len(rows[-1]) == 1
    assert queue_message(ReviewPage((), 0, 0, None)).text == NOTHING_WAITING


def test_a_card_says_how_many_sensitive_answers_are_hidden_and_fits_telegram() -> None:
    answers = tuple(AnswerLine(f"Pertanyaan {n}", "x" * 90) for n in range(80))
    seen = FamilyForReview(item(7, ReviewStatus.NEEDS_CHECK, "RT <salah>"), answers, hidden=3)
    card = family_message(seen)
    assert "3 jawaban sensitif disembunyikan" in card.text
    assert "Alasan: RT &lt;salah&gt;" in card.text and "⚠️ perlu dicek" in card.text
    assert len(card.text) <= CARD_LIMIT + 200 and "…" in card.text
    assert card.markup is not None
    labels = [b.text for row in card.markup.inline_keyboard for b in row]
    assert labels[:2] == ["✅ Verifikasi", "⚠️ Perlu dicek"]
