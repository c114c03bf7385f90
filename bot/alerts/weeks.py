"""Alert period keys and the human names of the weeks they stand for.

A key is what `alert_run.period_key` stores: "2026-W49" (an ISO week in WITA), with
"@<area>" for a run-now limited to one area and "#<n>" for a repeat forced by the operator
("2026-W49@63.01#2"). Officials and operators never see a key: they read
"Minggu ke-49, 30 Nov – 6 Des 2026". Month abbreviations are a small table (Babel's
Indonesian abbreviations, without the trailing period of "Des.").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

__all__ = [
    "ParsedKey",
    "date_label",
    "parse_key",
    "period_label",
    "run_label",
    "week_key",
    "week_label",
]

MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov",
                 "Des")
DAYS: Final = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")

_KEY: Final = re.compile(
    r"^(?:(?P<week>(?P<year>\d{4})-W(?P<number>\d{2}))"
    r"|(?P<manual>m-)?(?P<moment>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}))"
    r"(?:@(?P<area>[0-9.]+))?(?:#(?P<repeat>\d+))?$"
)


def week_key(moment: datetime, tz: ZoneInfo) -> str:
    """The key of the ISO week `moment` falls in, in `tz`: "2026-W49"."""
    year, week, _ = moment.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def _day(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


def week_label(year: int, week: int) -> str:
    """"Minggu ke-49, 30 Nov – 6 Des 2026"; both years across a year end
    ("Minggu ke-1, 29 Des 2025 – 4 Jan 2026")."""
    monday = date.fromisocalendar(year, week, 1)
    sunday = date.fromisocalendar(year, week, 7)
    start = _day(monday) if monday.year == sunday.year else f"{_day(monday)} {monday.year}"
    return f"Minggu ke-{week}, {start} – {_day(sunday)} {sunday.year}"


def date_label(moment: datetime) -> str:
    """"Senin, 30 Nov 2026 pukul 08.00" (the moment as given: convert to WITA first)."""
    return (
        f"{DAYS[moment.weekday()]}, {_day(moment.date())} {moment.year} "
        f"pukul {moment:%H.%M}"
    )


@dataclass(frozen=True)
class ParsedKey:
    label: str
    """The week (or moment) in words."""
    area: str | None
    repeat: int | None
    week: str | None
    """The bare week key ("2026-W49"), None for a run keyed by date and time."""


def parse_key(key: str) -> ParsedKey | None:
    """What a period key means, or None for a key of an unknown form."""
    match = _KEY.match(key)
    if match is None:
        return None
    repeat = int(match["repeat"]) if match["repeat"] else None
    if match["week"]:
        year, number = int(match["year"]), int(match["number"])
        try:
            label = week_label(year, number)
        except ValueError:  # "2026-W54"
            return None
        return ParsedKey(label, match["area"], repeat, match["week"])
    moment = datetime.strptime(match["moment"], "%Y-%m-%dT%H:%M")
    label = date_label(moment)
    if match["manual"]:
        label = f"manual {label}"
    return ParsedKey(label, match["area"], repeat, None)


def period_label(key: str) -> str:
    """The week an alert is about, as its header shows it (the key itself if unknown)."""
    parsed = parse_key(key)
    return key if parsed is None else parsed.label


def run_label(key: str) -> str:
    """A run as an admin or operator reads it: the week, and the area or repeat it was for
    ("Minggu ke-49, 30 Nov – 6 Des 2026 · wilayah 63.01 · kirim ulang ke-2")."""
    parsed = parse_key(key)
    if parsed is None:
        return key
    parts = [parsed.label]
    if parsed.area:
        parts.append(f"wilayah {parsed.area}")
    if parsed.repeat:
        parts.append(f"kirim ulang ke-{parsed.repeat}")
    return " · ".join(parts)
