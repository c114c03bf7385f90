"""The services' own words to the cadre (Indonesian); question wording comes from the instrument."""

from __future__ import annotations

from ikk_core.formatting import format_value

NOT_FOUND = "Data keluarga itu tidak ditemukan."
STALE = (
    "Tombol itu sudah tidak berlaku (pertanyaan sudah berganti), jadi tidak dicatat. "
    "Ini pertanyaan yang sekarang:"
)
AT_REVIEW = (
    "Semua pertanyaan sudah dijawab, jadi pesan itu tidak dicatat. Silakan periksa ringkasan."
)
UNSEEN = (
    "Pesan itu terkirim sebelum pertanyaan ini muncul, jadi belum dicatat. "
    "Silakan jawab pertanyaan ini:"
)
NOT_EDITABLE = "Pertanyaan itu tidak dapat dibuka sekarang (tidak berlaku atau belum sampai)."
NOTHING_BEFORE = "Ini sudah pertanyaan pertama."
INCOMPLETE = "Belum bisa dikirim: masih ada pertanyaan wajib yang belum dijawab."
ALREADY_SUBMITTED = "Data keluarga ini sudah dikirim."
SUBMITTED = "Terima kasih, data keluarga sudah dikirim."
REOPENED = (
    "Perubahan ini memunculkan pertanyaan baru. Data keluarga kembali menjadi draf: "
    "jawab pertanyaan berikutnya, lalu kirim ulang."
)
CANCELLED = "Jeda dulu — semua jawaban tersimpan. Lanjutkan kapan saja dengan /lanjut."
DISCARDED = "Draf keluarga itu dihapus."
NOT_DISCARDABLE = "Data yang sudah pernah dikirim tidak dapat dihapus."
NOT_A_KADER_VILLAGE = "Desa/kelurahan itu tidak termasuk wilayah tugas Anda."

REASON_EDITED = "diubah setelah dikirim"


def reason_cleared(question: str) -> str:
    return f"tidak berlaku lagi setelah {question} diubah"


def rescored(score_pct: float | None, band_label: str | None) -> str:
    """e.g. "Skor keluarga dihitung ulang: 80,77 (Baik)."."""
    shown = format_value(score_pct)
    return f"Skor keluarga dihitung ulang: {shown}" + (f" ({band_label})." if band_label else ".")
