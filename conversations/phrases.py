"""The engine's own words (progress line, review header, button labels), Indonesian first.

Question wording comes from the instrument; only the frame around it lives here, in one small
table so that the shell's buttons and the engine's messages always use the same words. English is
optional: a missing English phrase falls back to Indonesian, the users' language.
"""

from __future__ import annotations

from collections.abc import Mapping

PHRASES: Mapping[str, Mapping[str, str]] = {
    "progress": {
        "id": "Pertanyaan {index} dari {total}",
        "en": "Question {index} of {total}",
    },
    "about": {"id": "sekitar ", "en": "about "},
    "current_answer": {"id": "Jawaban sekarang: {value}", "en": "Current answer: {value}"},
    "error_line": {"id": "⚠️ {message}", "en": "⚠️ {message}"},
    "skipped": {"id": "(dilewati)", "en": "(skipped)"},
    "instruction_integer": {"id": "Ketik angka.", "en": "Type a number."},
    "instruction_decimal": {
        "id": "Ketik angka, misalnya 2,5.",
        "en": "Type a number, for example 2.5.",
    },
    "instruction_amount": {
        "id": "Ketik jumlah dalam Rupiah, misalnya 2.500.000 atau 2,5 juta.",
        "en": "Type the amount in Rupiah, for example 2.500.000 or 2,5 juta.",
    },
    "instruction_text": {"id": "Ketik jawabannya.", "en": "Type the answer."},
    "instruction_multiple": {
        "id": "Ketik pilihan Anda, pisahkan dengan koma.",
        "en": "Type your choices, separated by commas.",
    },
    "instruction_optional": {
        "id": "Boleh dilewati.",
        "en": "You may skip this question.",
    },
    "too_long": {
        "id": "Pesan terlalu panjang (maks. 1.000 karakter). "
        "Mohon kirim jawaban yang lebih singkat.",
        "en": "The message is too long (max. 1,000 characters). Please send a shorter answer.",
    },
    "unknown_question": {
        "id": "Pertanyaan itu tidak ada di kuesioner ini, jadi tidak dicatat.",
        "en": "That question is not part of this questionnaire, so nothing was recorded.",
    },
    "not_relevant": {
        "id": "Pertanyaan itu tidak berlaku untuk keluarga ini, jadi tidak dicatat.",
        "en": "That question does not apply to this family, so nothing was recorded.",
    },
    "not_current": {
        "id": "Itu jawaban untuk pertanyaan lain, jadi tidak dicatat. "
        "Silakan jawab pertanyaan yang sekarang.",
        "en": "That answer belongs to another question, so nothing was recorded. "
        "Please answer the current question.",
    },
    "not_current_done": {
        "id": "Itu jawaban untuk pertanyaan lain, jadi tidak dicatat. "
        "Semua pertanyaan sudah dijawab; silakan periksa ringkasan.",
        "en": "That answer belongs to another question, so nothing was recorded. "
        "Every question is answered; please check the summary.",
    },
    "already_recorded": {"id": "Sudah tercatat.", "en": "Already recorded."},
    "cleared_intro": {
        "id": "Jawaban berikut dihapus karena tidak berlaku lagi:",
        "en": "These answers were removed because they no longer apply:",
    },
    "cleared_more": {"id": "… dan {count} lainnya", "en": "… and {count} more"},
    "review_header": {
        "id": "Ringkasan jawaban — periksa sebelum dikirim",
        "en": "Answer summary — check before sending",
    },
    "review_continued": {
        "id": "Ringkasan jawaban (lanjutan)",
        "en": "Answer summary (continued)",
    },
    "section_continued": {"id": "{name} (lanjutan)", "en": "{name} (continued)"},
    "review_missing": {
        "id": "Belum lengkap: {count} pertanyaan wajib belum dijawab.",
        "en": "Not complete: {count} required questions are not answered yet.",
    },
    "review_edit_hint": {
        "id": "Untuk mengubah jawaban, pilih nomornya.",
        "en": "To change an answer, choose its number.",
    },
    "button_back": {"id": "⬅️ Kembali", "en": "⬅️ Back"},
    "button_submit": {"id": "✅ Kirim", "en": "✅ Submit"},
    "button_skip": {"id": "Lewati ➡️", "en": "Skip ➡️"},
    "button_confirm": {"id": "Ya, benar", "en": "Yes, correct"},
    "button_change": {"id": "Ubah", "en": "Change"},
    "button_edit_item": {"id": "Ubah {index}", "en": "Change {index}"},
}


def phrase(key: str, lang: str = "id", **values: object) -> str:
    """The phrase `key` in `lang` (Indonesian when there is no such translation), filled in."""
    table = PHRASES[key]
    template = table.get(lang) or table["id"]
    return template.format(**values) if values else template
