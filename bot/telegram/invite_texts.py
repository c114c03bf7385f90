"""What the bot says about invites beyond registration itself: a revoked link, and the question
a pejabat or admin gets before an invite moves her to another area."""

from __future__ import annotations

from html import escape
from typing import Final

__all__ = [
    "AREA_CHANGE_NO",
    "AREA_CHANGE_YES",
    "INVITE_REVOKED",
    "area_change_question",
    "area_changed",
    "area_kept",
]

INVITE_REVOKED: Final = (
    "Tautan undangan ini sudah dicabut oleh operator DP3A dan tidak bisa dipakai. "
    "Mintalah tautan undangan baru bila Anda memang perlu mendaftar."
)
AREA_CHANGE_YES: Final = "✅ Ya, pindah"
AREA_CHANGE_NO: Final = "❌ Tidak"


def area_change_question(current: str, new: str) -> str:
    """Asked before an invite of her own role moves an official to another area."""
    return (
        f"Area Anda akan berubah dari <b>{escape(current)}</b> ke <b>{escape(new)}</b>. "
        "Lanjutkan?\n\nSetelah pindah, Anda hanya melihat data wilayah yang baru."
    )


def area_kept(current: str) -> str:
    return (
        f"Baik, tidak ada yang berubah. Area Anda tetap <b>{escape(current)}</b>; "
        "tautan undangan itu belum terpakai."
    )


def area_changed(new: str) -> str:
    return f"Area Anda sekarang <b>{escape(new)}</b>."
