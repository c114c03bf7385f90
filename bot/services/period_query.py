"""A year typed after an area name ("/ikk Sampanahan 2025"), and whether that year can be read.

Names of villages may hold digits ("Desa 12", "Km 17", even a four-digit number), so a trailing
token is only a candidate year: the caller first looks the whole text up as an area name and
only when that is not an area takes the token as the year. A candidate is a four-character
token starting with a digit and holding at least two ("2024", "20x5", "2O25": typos of a year
are answered with the years that have data, not with "area not found"), or anything after the
word "tahun" ("Sampanahan tahun lalu"). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["PeriodProblem", "YearQuery", "period_problem", "split_year"]

_TAHUN: Final = re.compile(r"^(?:(.*?)\s+)?tahun\s+(\S+)$", re.IGNORECASE | re.DOTALL)
_TOKEN: Final = re.compile(r"^(?:(.*?)\s+)?(\d[0-9A-Za-z]{3})$", re.DOTALL)

PeriodProblem = Literal["not_a_number", "future", "no_data"]


@dataclass(frozen=True)
class YearQuery:
    """What was typed, split into an area name and a candidate year."""

    text: str
    name: str
    token: str | None = None
    """The candidate year as typed (None: no year typed)."""

    @property
    def year(self) -> int | None:
        """The year as a number, None when no year was typed or it is not a number."""
        if self.token is None or not self.token.isdigit():
            return None
        return int(self.token)


def split_year(text: str) -> YearQuery:
    """ "Sampanahan 2024" → name "Sampanahan", token "2024"; "Desa 12" → no token."""
    text = text.strip()
    match = _TAHUN.match(text)
    if match is None:
        match = _TOKEN.match(text)
        if match is not None and sum(ch.isdigit() for ch in match.group(2)) < 2:
            match = None
    if match is None:
        return YearQuery(text, text)
    return YearQuery(text, (match.group(1) or "").strip(), match.group(2))


def period_problem(
    token: str, year: int | None, with_data: Sequence[int], current: int
) -> PeriodProblem | None:
    """Why the typed year cannot be read (None: it can)."""
    if year is None or not token.isdigit():
        return "not_a_number"
    if year > current:
        return "future"
    if year not in with_data:
        return "no_data"
    return None
