"""What the admin's /pengguna says: the people of her area and switching one off or on."""

from __future__ import annotations

from html import escape
from typing import Final

__all__ = [
    "NO_PEOPLE",
    "PENGGUNA_ADMIN_ONLY",
    "PENGGUNA_DESCRIPTION",
    "SELF",
    "USER_NOT_FOUND",
    "activate_button",
    "activated",
    "deactivate_button",
    "deactivated",
    "people_intro",
    "person_line",
    "unchanged",
]

PENGGUNA_DESCRIPTION: Final = "Pengguna di wilayah Anda; nonaktifkan yang berhenti (admin)"
PENGGUNA_ADMIN_ONLY: Final = (
    "Perintah /pengguna hanya untuk admin (operator DP3A). Ketik /bantuan untuk melihat "
    "perintah yang bisa Anda pakai."
)
NO_PEOPLE: Final = (
    "Belum ada pengguna lain di wilayah Anda. Undang kader dengan /undang nama desa."
)
USER_NOT_FOUND: Final = "Pengguna itu tidak ditemukan di wilayah Anda."
SELF: Final = "Anda tidak bisa menonaktifkan akun Anda sendiri."
_BUTTON_NAME = 24


def people_intro(count: int, limit: int) -> str:
    more = f" ({limit} pertama)" if count >= limit else ""
    return (
        f"<b>Pengguna di wilayah Anda{more}</b> — nonaktifkan orang yang sudah tidak bertugas: "
        "ia tidak bisa melihat data lagi, riwayatnya tetap tersimpan. Ubah peran atau wilayah "
        "dengan <code>ikk-bot users</code> di server."
    )


def person_line(name: str, role: str, area: str, active: bool) -> str:
    state = "aktif" if active else "nonaktif"
    return f"• {escape(name)} · {escape(role)} · {escape(area)} · <b>{state}</b>"


def _short(name: str) -> str:
    return name if len(name) <= _BUTTON_NAME else name[: _BUTTON_NAME - 1] + "…"


def deactivate_button(name: str) -> str:
    return f"⛔ Nonaktifkan {_short(name)}"


def activate_button(name: str) -> str:
    return f"✅ Aktifkan {_short(name)}"


def deactivated(name: str) -> str:
    return f"{_short(name)} dinonaktifkan."


def activated(name: str) -> str:
    return f"{_short(name)} diaktifkan lagi."


def unchanged(name: str, active: bool) -> str:
    return f"{_short(name)} memang sudah {'aktif' if active else 'nonaktif'}."
