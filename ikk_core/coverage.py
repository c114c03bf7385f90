"""How much of an area a figure stands on: villages with data, families, and the expected families.

A kabupaten IKK built from 1 village out of 200 must say so before anything else, so every
area figure (report, chart, workbook, alert) carries this one line, written here once.
Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from ikk_core.formatting import format_integer, format_value

__all__ = ["Coverage", "coverage_text"]


@dataclass(frozen=True)
class Coverage:
    """Collection behind an area figure in one period.

    `villages` are all villages of the area (1 for a village), `villages_with_data` those with at
    least one submitted family. `expected` is the sum of the expected families
    (`ikk-bot areas targets`) of the `villages_with_target` villages that have one.
    """

    villages_with_data: int
    villages: int
    families: int
    expected: int = 0
    villages_with_target: int = 0
    is_village: bool = False

    @property
    def share(self) -> float | None:
        """Submitted families as a percentage of the expected ones, when every village has a
        target (a partial target would make the share look bigger than it is)."""
        if self.villages == 0 or self.villages_with_target < self.villages or self.expected <= 0:
            return None
        return 100.0 * self.families / self.expected


def coverage_text(coverage: Coverage) -> str:
    """ "Data dari 1 dari 10 desa/kelurahan (120 keluarga) · 120 dari 480 KK (25 %)"."""
    families = format_integer(coverage.families)
    if coverage.is_village:
        text = f"Data dari {families} keluarga"
    else:
        text = (
            f"Data dari {format_integer(coverage.villages_with_data)} dari "
            f"{format_integer(coverage.villages)} desa/kelurahan ({families} keluarga)"
        )
    share = coverage.share
    if share is not None:
        text += (
            f" · {families} dari {format_integer(coverage.expected)} KK "
            f"({format_value(share, 0)} %)"
        )
    elif coverage.villages_with_target > 0:
        text += (
            f" · jumlah KK yang diharapkan baru diketahui untuk "
            f"{format_integer(coverage.villages_with_target)} dari "
            f"{format_integer(coverage.villages)} desa/kelurahan"
        )
    return text
