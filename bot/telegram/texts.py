"""Every Indonesian sentence the Telegram adapter says, in one place.

Question wording comes from the instrument and the engine's frame from `conversations.phrases`;
this module holds the adapter's own words (onboarding, help, errors, lists). Strings that take
database values are functions that escape them, because messages go out in HTML parse mode and
a village or a family head may be called "A & B <C>".
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Final

from bot.db.models import Role

# ------------------------------------------------------------------------------ access, invites

ACCESS: Final = (
    "Bot ini hanya untuk kader dan petugas program Indeks Kualitas Keluarga yang sudah "
    "terdaftar. Untuk mendapatkan akses, mintalah tautan undangan kepada operator DP3A di "
    "daerah Anda."
)
INVITE_UNKNOWN: Final = (
    "Kode undangan ini tidak dikenal. Periksa kembali tautannya, atau mintalah tautan undangan "
    "baru kepada operator DP3A."
)
INVITE_USED_UP: Final = (
    "Tautan undangan ini sudah terpakai. Setiap tautan hanya berlaku untuk jumlah orang yang "
    "ditentukan; mintalah tautan baru kepada operator DP3A."
)
INVITE_EXPIRED: Final = (
    "Tautan undangan ini sudah kedaluwarsa. Mintalah tautan undangan baru kepada operator DP3A."
)
INVITE_MALFORMED: Final = (
    "Kode undangan tidak sah. Pastikan Anda membuka tautan undangan secara lengkap, atau "
    "mintalah tautan baru kepada operator DP3A."
)

ROLE_NAMES: Final = {
    Role.KADER: "kader",
    Role.PEJABAT: "pejabat",
    Role.ADMIN: "admin (operator DP3A)",
    Role.SUPERVISOR: "supervisor (pemeriksa data keluarga)",
}


def role_conflict(role: Role) -> str:
    """An invite for another role does not change an active user's role."""
    return (
        f"Anda sudah terdaftar sebagai {ROLE_NAMES[role]}. Undangan ini untuk peran lain, "
        "jadi peran Anda tidak diubah."
    )


# ------------------------------------------------------------------------------ menus and help

COMMAND_DESCRIPTIONS: Final = {
    "start": "Mulai / tampilkan sambutan",
    "survei": "Mulai mendata keluarga baru",
    "lanjut": "Lanjutkan keluarga yang belum selesai",
    "keluarga": "Daftar keluarga yang sudah didata",
    "bantuan": "Petunjuk penggunaan",
    "jeda": "Jeda dulu — jawaban tersimpan",
}

KADER_HOWTO: Final = (
    "Untuk mendata keluarga, ketik /survei lalu jawab pertanyaannya satu per satu: ketuk "
    "tombol <b>Ya</b> atau <b>Tidak</b>, dan ketik angka bila diminta. Setiap jawaban langsung "
    "tersimpan, jadi Anda bisa berhenti kapan saja dan melanjutkannya nanti dengan /lanjut."
)
OFFICIAL_HOWTO: Final = (
    "Kader di wilayah Anda mendata keluarga lewat bot ini; hasilnya tersimpan untuk perhitungan "
    "Indeks Kualitas Keluarga."
)


def _command_lines(commands: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"/{name} — {escape(description)}" for name, description in commands)


def greeting(
    role: Role,
    name: str,
    areas: Sequence[str],
    commands: Sequence[tuple[str, str]],
) -> str:
    """Welcome by role: who they are registered as, for which area(s), and what they can do."""
    hello = f"Selamat datang, <b>{escape(name)}</b>!" if name.strip() else "Selamat datang!"
    where = ", ".join(escape(area) for area in areas) or "-"
    lines = [f"{hello} Anda terdaftar sebagai {ROLE_NAMES[role]} untuk {where}."]
    lines.append(KADER_HOWTO if role is Role.KADER else OFFICIAL_HOWTO)
    if commands:
        lines.append("Perintah yang tersedia:\n" + _command_lines(commands))
    return "\n\n".join(lines)


KADER_HELP_INTRO: Final = (
    "<b>Petunjuk untuk kader</b>\n\n"
    "Satu keluarga (satu Kartu Keluarga) didata dengan satu kuesioner. Bot menanyakan satu "
    "pertanyaan per pesan: ketuk tombol <b>Ya</b> atau <b>Tidak</b> (atau ketik \"ya\" / "
    "\"tidak\"), dan ketik angka untuk jumlah anggota, RT, atau pendapatan (boleh \"2,5 juta\"). "
    "Tombol ⬅️ Kembali membuka pertanyaan sebelumnya. Di akhir ada ringkasan: periksa, ubah bila "
    "perlu, lalu ketuk ✅ Kirim."
)
OFFICIAL_HELP_INTRO: Final = "<b>Petunjuk</b>\n\n" + OFFICIAL_HOWTO


def help_text(role: Role, commands: Sequence[tuple[str, str]]) -> str:
    """/bantuan: what the user's role can do, with the commands of their menu."""
    intro = KADER_HELP_INTRO if role is Role.KADER else OFFICIAL_HELP_INTRO
    return f"{intro}\n\nPerintah:\n{_command_lines(commands)}"


# ------------------------------------------------------------------------------ robustness

TROUBLE: Final = "Maaf, terjadi gangguan. Coba lagi sebentar."
TEXT_ONLY: Final = (
    "Maaf, bot ini hanya membaca pesan teks dan tombol. Ketik jawaban Anda, atau ketuk salah "
    "satu tombol di bawah pertanyaan."
)
EDITED_IGNORED: Final = "Pesan yang diedit tidak mengubah jawaban; kirim jawaban baru."
TOO_LONG: Final = (
    "Pesan terlalu panjang (lebih dari 1.000 karakter). Mohon kirim jawaban yang lebih singkat."
)
PRIVATE_ONLY: Final = (
    "Bot ini hanya melayani lewat obrolan pribadi. Buka obrolan dengan bot dan kirim /start."
)
UNKNOWN_COMMAND: Final = (
    "Perintah itu tidak dikenal. Ketik /bantuan untuk melihat perintah yang tersedia."
)
KADER_IDLE: Final = (
    "Tidak ada keluarga yang sedang didata. Ketik /survei untuk mendata keluarga baru, atau "
    "/bantuan untuk petunjuk."
)
OFFICIAL_IDLE: Final = "Ketik /bantuan untuk melihat perintah yang tersedia."
KADER_ONLY: Final = "Perintah ini hanya untuk kader yang mendata keluarga."
BUTTON_EXPIRED: Final = "Tombol ini sudah tidak berlaku."
ALREADY_RECORDED: Final = "Sudah tercatat."
NOTHING_TO_PAUSE: Final = (
    "Saat ini Anda sedang tidak mendata keluarga. Ketik /survei untuk mendata keluarga baru, "
    "atau /lanjut untuk meneruskan keluarga yang belum selesai."
)


def jeda_saved(head_name: str | None) -> str:
    """/jeda (or the old /batal) with an open draft: nothing is deleted, and how to come back."""
    who = f" keluarga <b>{escape(head_name)}</b>" if head_name else ""
    return (
        f"Baik, jeda dulu. Semua jawaban{who} sudah tersimpan; ketik /lanjut kapan saja untuk "
        "melanjutkan."
    )


# ------------------------------------------------------------------------------ questionnaire

CHOOSE_VILLAGE: Final = "Keluarga baru ini tinggal di desa/kelurahan mana?"
OPEN_EXISTING: Final = "📂 Buka data yang sudah ada"
CONTINUE_AS_NEW: Final = "➡️ Lanjut, ini keluarga lain"
NEXT_FAMILY: Final = "➕ Keluarga berikutnya"
NO_DRAFTS: Final = (
    "Semua keluarga yang Anda data sudah selesai. Ketik /survei untuk mendata keluarga baru."
)
DRAFTS_INTRO: Final = "<b>Keluarga yang belum selesai</b> — pilih untuk melanjutkan:"
NO_FAMILIES: Final = (
    "Belum ada keluarga yang Anda data tahun ini. Ketik /survei untuk mulai."
)
FAMILIES_INTRO: Final = (
    "<b>Keluarga yang Anda data tahun ini</b> — pilih untuk melihat atau mengubah jawaban:"
)
OTHER_FAMILY: Final = "Tombol itu milik keluarga lain, jadi tidak dicatat. Ini pertanyaan sekarang:"
NOT_FOUND: Final = "Data keluarga itu tidak ditemukan."


def more_items(count: int) -> str:
    """A list cut short."""
    return f"… dan {count} lainnya"
