"""What /merah says (Indonesian, HTML): the red villages of one indicator, and every refusal.

Pure: a `RedAnswer` in, message texts (and buttons to choose an area) out. Names from the
database and whatever the person typed are escaped. A long list is capped (`RED_SHOWN` lines)
and whatever is left is split below Telegram's 4096 characters.
"""

from __future__ import annotations

from html import escape
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.services.red_villages import RedAnswer, RedVillage, RedVillages
from bot.telegram.period_texts import bad_period_message
from bot.telegram.render import Rendered
from bot.telegram.report_text import split_blocks
from ikk_core.areas import display_name
from ikk_core.coverage import coverage_text
from ikk_core.formatting import format_integer, format_value
from ikk_core.instrument import Instrument

__all__ = [
    "EXAMPLE",
    "FORBIDDEN",
    "PREFIX",
    "RED_SHOWN",
    "decode_button",
    "encode_button",
    "indicator_help",
    "red_messages",
    "refusal",
]

RED_SHOWN: Final = 30
"""Red villages listed before "… dan N desa lain"."""
EXAMPLE: Final = "/merah KSP1 Sampanahan"
FORBIDDEN: Final = (
    "Daftar desa merah hanya untuk pejabat dan admin. Ketik /ikk untuk melihat IKK desa Anda."
)
PREFIX: Final = "mr1"
"""Callback data of the area buttons: "mr1:<indicator>:<area code>[:<year>]" (ASCII, under 45
bytes with an indicator code of up to 16 characters)."""


def encode_button(indicator: str, code: str, period: int | None = None) -> str:
    return f"{PREFIX}:{indicator}:{code}" + (f":{period}" if period is not None else "")


def decode_button(data: str | None) -> tuple[str, str, int | None] | None:
    """(indicator, area code, year or None) of a /merah area button; None for anything else."""
    parts = (data or "").split(":")
    if len(parts) not in (3, 4) or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    if len(parts) == 4 and not (parts[3].isascii() and parts[3].isdigit() and len(parts[3]) == 4):
        return None
    return parts[1], parts[2], int(parts[3]) if len(parts) == 4 else None


def indicator_help(instrument: Instrument, typed: str = "") -> str:
    """Unknown or missing code: the valid codes (short) and an example."""
    codes = ", ".join(i.code for i in instrument.indicators)
    first = (
        f"Kode indikator “{escape(typed)}” tidak dikenal." if typed
        else "Ketik kode indikator setelah /merah."
    )
    return (
        f"{first}\nKode yang ada: {escape(codes)}.\n"
        f"Contoh: <code>/merah KSP1</code> (wilayah Anda) atau <code>{EXAMPLE}</code>."
    )


def refusal(answer: RedAnswer, instrument: Instrument) -> Rendered:
    """Every answer that is not a list: the same area messages as /ikk, worded for /merah."""
    status = answer.status
    if status == "forbidden":
        return Rendered(FORBIDDEN)
    if status in ("need_indicator", "unknown_indicator"):
        return Rendered(indicator_help(instrument, answer.typed_indicator))
    if status == "bad_period" and answer.lookup is not None and answer.indicator is not None:
        text = bad_period_message(answer.lookup)
        return Rendered(text.replace("Contoh: /ikk", f"Contoh: /merah {answer.indicator.code}"))
    query = escape(answer.query)
    if status in ("choose", "suggest") and answer.indicator is not None:
        code = answer.indicator.code
        text = (
            f"Wilayah “{query}” tidak ditemukan di wilayah Anda. Mungkin yang dimaksud salah "
            "satu dari ini:" if status == "suggest"
            else f"Ada beberapa wilayah bernama “{query}”. Pilih yang dimaksud:"
        )
        markup = InlineKeyboardMarkup([
            [InlineKeyboardButton(option.label, callback_data=encode_button(code, option.code,
                                                                   answer.period))]
            for option in answer.options
        ])
        return Rendered(text, markup)
    if status == "too_long":
        return Rendered(
            "Nama wilayah itu terlalu panjang. Ketik nama desa, kecamatan, atau kabupaten saja, "
            f"mis. {EXAMPLE}."
        )
    if answer.query:
        return Rendered(
            f"Wilayah “{query}” tidak ditemukan di wilayah Anda. Periksa ejaannya, lalu coba "
            f"lagi (mis. {EXAMPLE}), atau ketik /merah dan kodenya saja untuk wilayah Anda "
            "sendiri."
        )
    return Rendered("Wilayah itu tidak ditemukan di wilayah Anda.")


def _village_line(number: int, village: RedVillage) -> str:
    where = f" ({escape(village.parent)})" if village.parent else ""
    return (
        f"{number}. {escape(village.label)}{where}: <b>{format_value(village.value)} %</b> · "
        f"{format_integer(village.met)} dari {format_integer(village.applicable)} keluarga"
    )


def _left_out(found: RedVillages) -> list[str]:
    lines: list[str] = []
    if found.too_thin:
        why = (f"kurang dari {format_integer(found.min_cell)} keluarga yang berlaku, atau agar "
               "tidak dapat dihitung dari angka wilayah lain")
        lines.append(f"🔒 {format_integer(found.too_thin)} desa tidak ditampilkan: data belum "
                     f"cukup ({why}).")
    if found.not_applicable:
        lines.append(f"{format_integer(found.not_applicable)} desa tanpa keluarga yang "
                     "berlaku untuk indikator ini.")
    if found.without_data:
        lines.append(f"{format_integer(found.without_data)} desa belum ada keluarga terkirim.")
    return lines


def red_messages(found: RedVillages, *, cap: int = RED_SHOWN) -> list[str]:
    """The red villages, lowest first, with their families; then what was left out."""
    ind = found.indicator
    threshold = format_value(found.red_threshold, 0)
    sector = f"\nSektor: {escape(ind.sector)}" if ind.sector else ""
    head = [
        f"🔴 <b>{escape(ind.code)} {escape(ind.name.get('id'))}</b>",
        f"{escape(display_name(found.area_level, found.area_name))} · periode {found.period}"
        f"{sector}",
    ]
    if found.coverage is not None:
        head.append(f"<b>{escape(coverage_text(found.coverage))}</b>")
    blocks = ["\n".join(head)]
    if found.red:
        shown = found.red[:cap]
        lines = [f"<b>Desa dengan {escape(ind.code)} merah ({format_integer(len(found.red))})"
                 f"</b> — di bawah {threshold} %, terendah dulu"]
        lines += [_village_line(n, v) for n, v in enumerate(shown, start=1)]
        if len(found.red) > len(shown):
            lines.append(f"… dan {format_integer(len(found.red) - len(shown))} desa lain. "
                         "Ketik nama kecamatan untuk daftar yang lebih pendek.")
        blocks.append("\n".join(lines))
    else:
        blocks.append(f"✅ Tidak ada desa dengan {escape(ind.code)} merah (di bawah "
                      f"{threshold} %) di antara desa yang datanya cukup.")
    if found.not_red:
        other = " lain" if found.red else ""
        blocks.append(f"{format_integer(found.not_red)} desa{other} tidak merah ({threshold} % "
                      "ke atas).")
    left_out = _left_out(found)
    if left_out:
        blocks.append("\n".join(left_out))
    return split_blocks(blocks)
