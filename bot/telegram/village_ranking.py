"""The villages of a kecamatan, kabupaten or the province ranked from the lowest IKK up (issue 13).

What a sector office plans with: which villages first, how many red indicators each has, and
how much each figure stands on. Pure: an `AreaReport` in, one HTML block out. One line a village:

    1. Desa Sampanahan: 68,40 · 🔴 7 merah · 34 kel. dari 120 KK (28 %)

Only villages whose IKK the reader may see are ranked; a village under the minimum of families
("data belum cukup") comes after them without a figure. The red count is read from the village's
result as the reader sees it, so a suppressed indicator (too few families, or hidden against
differencing) is never counted. The list is capped so that a kabupaten of 200+ villages stays a
short message; the workbook (/ekspor) lists every village.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Final

from bot.services.reports import AreaLine, AreaReport
from ikk_core.formatting import format_integer, format_value

__all__ = ["RANKED_SHOWN", "family_coverage", "ranking_block", "red_count"]

RANKED_SHOWN: Final = 10
"""Village lines shown before "… dan N desa lain"."""
_NAMED_EMPTY: Final = 5
"""Villages without any family named before the rest are counted."""


def red_count(line: AreaLine) -> int:
    """Red indicators of the village as the reader sees it (suppressed cells never count)."""
    result = line.result
    return 0 if result is None else len(result.red)


def family_coverage(submitted: int, expected: int | None) -> str:
    """ "34 kel. dari 120 KK (28 %)" with a target, "34 keluarga" without one."""
    families = format_integer(submitted)
    if expected is None or expected <= 0:
        return f"{families} keluarga"
    share = format_value(100.0 * submitted / expected, 0)
    return f"{families} kel. dari {format_integer(expected)} KK ({share} %)"


def _ranked_line(number: int, line: AreaLine, expected: Mapping[str, int],
                 min_families: int) -> str:
    reds = red_count(line)
    red = f"🔴 {format_integer(reds)} merah" if reds else "✅ 0 merah"
    text = (
        f"{number}. {escape(line.label)}: <b>{format_value(line.ikk)}</b> · {red} · "
        f"{family_coverage(line.submitted, expected.get(line.code))}"
    )
    # Only the admin sees an IKK under the minimum: say that it does not yet stand for much.
    return text + (" · ⚠️ data belum cukup" if line.submitted < min_families else "")


def _thin_line(number: int, line: AreaLine, expected: Mapping[str, int],
               min_families: int) -> str:
    """A village without an IKK shown: too few families, or (with enough) hidden so that the
    kecamatan's figure minus the others' cannot give a small village's."""
    why = "data belum cukup" if line.submitted < min_families else "🔒 IKK disembunyikan"
    return (
        f"{number}. {escape(line.label)}: {why} · "
        f"{family_coverage(line.submitted, expected.get(line.code))}"
    )


def _order(villages: Sequence[AreaLine]) -> tuple[list[AreaLine], list[AreaLine], list[AreaLine]]:
    """(villages with an IKK shown, lowest first; with families but no IKK shown; without any
    submitted family)."""
    ranked = sorted((v for v in villages if v.ikk is not None),
                    key=lambda v: (v.ikk if v.ikk is not None else 0.0, v.code))
    thin = sorted((v for v in villages if v.ikk is None and v.submitted > 0),
                  key=lambda v: (-v.submitted, v.code))
    empty = [v for v in villages if v.submitted == 0]
    return ranked, thin, empty


def ranking_block(report: AreaReport, *, min_families: int, cap: int = RANKED_SHOWN) -> str | None:
    """Every village of the area from the lowest IKK up (None for a village, or no villages)."""
    if not report.villages:
        return None
    ranked, thin, empty = _order(report.villages)
    if not ranked and not thin:
        return None
    head = (
        f"<b>Peringkat desa/kelurahan ({format_integer(len(ranked) + len(thin))} dengan data)"
        "</b> — IKK terendah dulu, jumlah indikator merah, cakupan"
    )
    lines = [head]
    listed = [*ranked, *thin]
    for number, line in enumerate(listed[:cap], start=1):
        if line.ikk is not None:
            lines.append(_ranked_line(number, line, report.expected, min_families))
        else:
            lines.append(_thin_line(number, line, report.expected, min_families))
    rest = len(listed) - min(cap, len(listed))
    if rest:
        lines.append(
            f"… dan {format_integer(rest)} desa lain. Daftar lengkap ada di berkas Excel: "
            f"/ekspor {escape(report.name)}"
        )
    if empty:
        names = ", ".join(escape(v.label) for v in empty[:_NAMED_EMPTY])
        more = (f" dan {format_integer(len(empty) - _NAMED_EMPTY)} lainnya"
                if len(empty) > _NAMED_EMPTY else "")
        lines.append(f"Belum ada keluarga terkirim: {names}{more}")
    return "\n".join(lines)
