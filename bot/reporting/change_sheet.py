"""The workbook's "Perubahan" sheet: the IKK and each dimension in two periods, the change, and
what each period's figures stand on.

Only figures the reader may see are written: a value hidden in a period (too few families,
`ikk_core.disclosure`) reads "data belum cukup", and then the change too; a change between
figures measured on different indicators or instruments reads "tidak sebanding"
(`ikk_core.period_change` decides). The change of two published figures is their difference,
so the sheet reveals nothing the two reports do not. No family appears here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from bot.reporting.workbook import (  # the workbook's own cell helpers, one look
    _BOLD,
    HIDDEN,
    INTEGER,
    NO_VALUE,
    _area_label,
    _preamble,
    _section,
    _Sheet,
)
from ikk_core.coverage import Coverage, coverage_text
from ikk_core.instrument import Instrument
from ikk_core.period_change import IKK, Change, PeriodChange
from ikk_core.results import AreaResult

__all__ = ["SHEET_CHANGE", "ChangeSheet", "PeriodFigures"]

SHEET_CHANGE = "Perubahan"


@dataclass(frozen=True)
class PeriodFigures:
    """One period's result as this reader sees it, with its coverage."""

    period: int
    result: AreaResult
    families: int
    coverage: Coverage | None


@dataclass(frozen=True)
class ChangeSheet:
    """What the sheet needs; `write` adds it to a workbook being built."""

    now: PeriodFigures
    before: PeriodFigures
    change: PeriodChange
    instrument: Instrument
    generated_at: datetime

    def write(self, workbook: Workbook) -> None:
        sheet = _Sheet(workbook, SHEET_CHANGE, (12, 36, 14, 14, 16, 18))
        now, before = self.now, self.before
        _preamble(sheet, f"Perubahan sejak {before.period} — {_area_label(now.result)}",
                  self.instrument, now.period, self.generated_at)
        sheet.append(sheet.header(["Periode", "Cakupan data", "Jumlah keluarga"]))
        for figures in (now, before):
            covered = coverage_text(figures.coverage) if figures.coverage is not None else ""
            sheet.append([sheet.number(figures.period, INTEGER), sheet.text(covered, wrap=True),
                          sheet.number(figures.families, INTEGER)])
        sheet.append([])
        _section(sheet, "IKK dan indeks dimensi")
        sheet.append(sheet.header(["Kode", "Nama", f"Nilai {now.period}",
                                   f"Nilai {before.period}", "Perubahan (poin)", "Arah"]))
        for line in self.change.lines:
            sheet.append(self._row(sheet, line))
        sheet.append([])
        sheet.append([sheet.text(
            "Tidak sebanding: kedua periode dihitung dari indikator atau instrumen yang berbeda. "
            f"{HIDDEN[0].upper()}{HIDDEN[1:]}: terlalu sedikit keluarga di salah satu periode "
            "untuk ditampilkan.", wrap=True,
        )])

    def _row(self, sheet: _Sheet, line: Change) -> list[WriteOnlyCell]:
        points = (sheet.number(line.points) if line.has_arrow
                  else sheet.text(line.direction.value))
        return [
            sheet.text(line.code),
            sheet.text(line.name if line.code != IKK else "Indeks Kualitas Keluarga"),
            _value(sheet, line.now, self.now.result, line.code),
            _value(sheet, line.before, self.before.result, line.code),
            points,
            sheet.text(line.direction.value),
        ]


def _value(sheet: _Sheet, value: float | None, result: AreaResult, code: str) -> WriteOnlyCell:
    """The value, "data belum cukup" where it is hidden, "–" where nobody is concerned."""
    if value is not None:
        return sheet.number(value, font=_BOLD if code == IKK else None)
    hidden = any(i.suppressed for i in result.indicators if code == IKK or i.dimension == code)
    return sheet.text(HIDDEN if hidden else NO_VALUE)
