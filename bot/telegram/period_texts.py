"""What /ikk says when the typed year cannot be read: why, and the years that can.

Pure: an `Answer` with status "bad_period" in, HTML out.
"""

from __future__ import annotations

from html import escape
from typing import Any

from bot.services.official import Answer
from ikk_core.areas import display_name

__all__ = ["bad_period_message"]


def bad_period_message(answer: Answer[Any]) -> str:
    """ "Belum ada data tahun 2030 ... Tahun yang ada datanya: 2025, 2024. Contoh: ..." """
    area = answer.area
    where = escape(display_name(area.level, area.name)) if area is not None else "wilayah ini"
    typed = escape(answer.year_typed)
    if answer.problem == "not_a_number":
        first = f"“{typed}” bukan tahun. Tulis tahunnya dengan angka, mis. 2024."
    elif answer.problem == "future":
        first = f"Tahun {typed} belum datang, jadi belum ada datanya."
    else:
        first = f"Belum ada keluarga terkirim di {where} untuk tahun {typed}."
    if not answer.periods:
        return f"{first}\nBelum ada tahun yang ada datanya untuk {where}."
    years = ", ".join(str(p) for p in answer.periods)
    name = escape(answer.query) if answer.query else ""
    example = f"/ikk {name} {answer.periods[0]}".replace("  ", " ")
    return f"{first}\nTahun yang ada datanya untuk {where}: {years}.\nContoh: {example}"
