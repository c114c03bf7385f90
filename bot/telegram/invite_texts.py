"""What the bot says about invites beyond registration itself: a revoked link, the question a
pejabat or admin gets before an invite moves her to another area, and the admin's /undangan."""

from __future__ import annotations

from html import escape
from typing import Final

__all__ = [
    "AREA_CHANGE_NO",
    "AREA_CHANGE_YES",
    "INVITE_NOT_FOUND",
    "INVITE_REVOKED",
    "NO_ACTIVE_INVITES",
    "UNDANGAN_ADMIN_ONLY",
    "UNDANGAN_DESCRIPTION",
    "already_revoked",
    "area_change_question",
    "area_changed",
    "area_kept",
    "invite_line",
    "invites_intro",
    "revoke_button",
    "revoked",
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


# ------------------------------------------------------------------ the admin's /undangan

UNDANGAN_DESCRIPTION: Final = "Daftar undangan aktif; cabut yang salah kirim (admin)"
UNDANGAN_ADMIN_ONLY: Final = (
    "Perintah /undangan hanya untuk admin (operator DP3A). Ketik /bantuan untuk melihat "
    "perintah yang bisa Anda pakai."
)
NO_ACTIVE_INVITES: Final = (
    "Tidak ada undangan aktif di wilayah Anda. Buat undangan kader dengan /undang nama desa."
)
INVITE_NOT_FOUND: Final = "Undangan itu tidak ditemukan di wilayah Anda."


def invite_line(number: int, role: str, area: str, uses: int, max_uses: int,
                expires: str) -> str:
    return (
        f"<b>No. {number}</b> · {escape(role)} · {escape(area)} · dipakai {uses}/{max_uses} · "
        f"berlaku sampai {escape(expires)}"
    )


def invites_intro(count: int, limit: int) -> str:
    more = f" ({limit} terbaru)" if count >= limit else ""
    return (
        f"<b>Undangan aktif{more}</b> — tekan tombol untuk mencabut undangan yang salah kirim. "
        "Tautan yang dicabut tidak bisa dipakai mendaftar."
    )


def revoke_button(number: int) -> str:
    return f"🚫 Cabut no. {number}"


def revoked(number: int) -> str:
    return f"Undangan no. {number} dicabut."


def already_revoked(number: int) -> str:
    return f"Undangan no. {number} sudah dicabut sebelumnya."
