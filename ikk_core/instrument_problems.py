"""Problems found in an instrument file, located the way a spreadsheet editor looks for them.

An operator fixing a workbook needs the sheet, the row number Excel shows and the column header,
then one plain Indonesian sentence. Every problem of a file is collected and reported at once, so
one round of editing fixes them all instead of one error per upload.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an instrument file.

    `sheet` is the sheet name ("" for the file as a whole), `row` the spreadsheet row number
    (header = row 1; in YAML the row the same entry has in the exported workbook), `column` the
    column header as the file writes it (for `settings`, the setting's key).
    """

    sheet: str
    row: int | None
    column: str | None
    message: str

    @property
    def location(self) -> str:
        """`survey baris 14, kolom relevant`; empty for a problem of the whole file."""
        place = self.sheet
        if self.row is not None:
            place = f"{place} baris {self.row}" if place else f"baris {self.row}"
        if self.column:
            place = f"{place}, kolom {self.column}" if place else f"kolom {self.column}"
        return place

    def __str__(self) -> str:
        return f"[{self.location}] {self.message}" if self.location else self.message


class InstrumentError(ValueError):
    """An instrument file that cannot be used; `problems` lists everything wrong with it."""

    def __init__(self, problems: Iterable[Problem], source: str = "") -> None:
        self.problems: list[Problem] = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        count = len(self.problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{head}{count} masalah pada instrumen\n{lines}")


class InstrumentFileError(InstrumentError):
    """The file could not be read at all (missing, not a workbook, not YAML): nothing to check.

    Kept apart from `InstrumentError` because a caller reacts differently: a broken file is
    re-exported or re-saved, a file with problems is corrected row by row.
    """

    def __init__(self, message: str, source: str = "") -> None:
        super().__init__([Problem("", None, None, message)], source)
        self.message = message
