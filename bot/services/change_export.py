"""Which comparison sheets an area's workbook gets: "Perubahan" when the report has a previous
period (built from the report as this reader sees it, so hidden cells stay hidden)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from openpyxl import Workbook

from bot.reporting.change_sheet import ChangeSheet, PeriodFigures
from bot.services.reports import AreaReport
from ikk_core.instrument import Instrument

__all__ = ["change_sheets"]


def change_sheets(
    report: AreaReport, instrument: Instrument, generated_at: datetime
) -> tuple[Callable[[Workbook], None], ...]:
    """The "Perubahan" sheet's writer, or nothing without a previous period."""
    previous, comparison = report.previous, report.comparison
    if previous is None or comparison is None:
        return ()
    sheet = ChangeSheet(
        now=PeriodFigures(report.period, report.result, report.submitted, report.coverage),
        before=PeriodFigures(previous.period, previous.result, previous.submitted,
                             previous.coverage),
        change=comparison,
        instrument=instrument,
        generated_at=generated_at,
    )
    return (sheet.write,)
