"""The "Perubahan sejak 2024" block of the /ikk report: both periods' coverage, then one line for
the IKK and each dimension with ▲/▼/tetap, or why there is no arrow.

Pure: an `AreaReport` in, HTML out. The comparison itself (what is comparable, the points) is
decided in `ikk_core.period_change`; this module only words it for a low-literacy reader.
"""

from __future__ import annotations

from html import escape

from bot.services.reports import AreaReport
from ikk_core.coverage import Coverage
from ikk_core.formatting import format_integer, format_value
from ikk_core.period_change import IKK, Change, Direction

__all__ = ["arrow_text", "change_block", "ikk_change_line", "period_coverage"]


def arrow_text(change: Change) -> str:
    """ "▲ 2,30", "▼ 1,05", "tetap", "tidak sebanding" or "data belum cukup"."""
    if change.direction is Direction.UP:
        return f"▲ {format_value(change.points)}"
    if change.direction is Direction.DOWN:
        return f"▼ {format_value(abs(change.points or 0.0))}"
    return change.direction.value


def period_coverage(period: int, coverage: Coverage | None, families: int) -> str:
    """ "2025: 80 keluarga dari 3 desa/kelurahan" (a village: "2025: 80 keluarga")."""
    text = f"{period}: {format_integer(families)} keluarga"
    if coverage is None or coverage.is_village:
        return text
    return f"{text} dari {format_integer(coverage.villages_with_data)} desa/kelurahan"


def ikk_change_line(report: AreaReport) -> str | None:
    """Under the IKK: "▲ 2,30 dibanding 2024 (IKK 82,70, 60 keluarga)", only with an arrow."""
    comparison, previous = report.comparison, report.previous
    if comparison is None or previous is None or not comparison.ikk.has_arrow:
        return None
    return (
        f"{arrow_text(comparison.ikk)} dibanding {previous.period} "
        f"(IKK {format_value(previous.result.ikk)}, "
        f"{format_integer(previous.submitted)} keluarga)"
    )


def _line(change: Change) -> str:
    label = "IKK" if change.code == IKK else f"{escape(change.code)} · {escape(change.name)}"
    values = (
        f" ({format_value(change.before)} → {format_value(change.now)})"
        if change.direction is not Direction.HIDDEN else ""
    )
    return f"{label}: <b>{escape(arrow_text(change))}</b>{values}"


def change_block(report: AreaReport) -> str | None:
    """The whole comparison with the previous period, or None without one."""
    comparison, previous = report.comparison, report.previous
    if comparison is None or previous is None:
        return None
    lines = [
        f"<b>Perubahan sejak {previous.period}</b>",
        period_coverage(report.period, report.coverage, report.submitted) + " · "
        + period_coverage(previous.period, previous.coverage, previous.submitted),
        *(_line(change) for change in comparison.lines),
    ]
    directions = {change.direction for change in comparison.lines}
    if Direction.NOT_COMPARABLE in directions:
        lines.append(
            "Tidak sebanding: angka dua periode dihitung dari indikator atau instrumen yang "
            "berbeda, jadi naik/turunnya tidak dapat dibaca."
        )
    if Direction.HIDDEN in directions:
        lines.append(
            "Data belum cukup: di salah satu periode keluarganya terlalu sedikit untuk "
            "ditampilkan, jadi tidak dibandingkan."
        )
    return "\n".join(lines)
