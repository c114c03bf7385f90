"""When the weekly alert is due, and which period a due time belongs to.

The schedule is a cron line in local time (setting `ALERT_SCHEDULE`, default ``0 8 * * mon``:
Mondays 08:00 WITA). Two traps are handled here:

- APScheduler's `CronTrigger.from_crontab` counts numeric days of the week from Monday = 0,
  while cron counts Sunday = 0 (and 7): "0 8 * * 1" would silently run on Tuesdays. Numeric
  days are therefore translated to names before APScheduler sees them.
- Jobs do not survive a restart, so the question "was a run due that has not happened?" is
  answered from the clock (`last_due`) and the `alert_run` table, keyed by `period_key`.

The clock is injectable everywhere (`Clock`), so tests run Monday 08:00 at any time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

__all__ = [
    "DISABLED",
    "WEEKLY_ALERT",
    "AlertSchedule",
    "Clock",
    "ScheduleError",
    "describe_schedule",
    "system_clock",
    "zone_word",
]

WEEKLY_ALERT: Final = "weekly"
"""The `alert_run.alert` name of the weekly low-indicator alert."""

DISABLED: Final = frozenset({"", "off", "mati", "none", "disabled"})
"""`ALERT_SCHEDULE` values that switch the scheduled alert off (run-now still works)."""

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware."""


def system_clock() -> datetime:
    return datetime.now(UTC)


class ScheduleError(ValueError):
    """An unusable cron line (message is Indonesian, for the operator)."""


_DAY_NAMES: Final = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAY_NUMBER: Final = {name: i for i, name in enumerate(_DAY_NAMES)}
_DOW_TOKEN: Final = re.compile(r"^(\*|[a-z]{3}|\d)(?:-([a-z]{3}|\d))?(?:/(\d+))?$")
_LOOKBACKS: Final = (
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=8),
    timedelta(days=32),
    timedelta(days=400),
)


def _day(text: str, cron: str) -> int:
    if text.isdigit():
        number = int(text)
        if number > 7:
            raise ScheduleError(f"hari {text} tidak ada dalam jadwal {cron!r} (0–7)")
        return number % 7
    if text not in _DAY_NUMBER:
        raise ScheduleError(f"hari {text!r} tidak dikenal dalam jadwal {cron!r}")
    return _DAY_NUMBER[text]


def _days_of_week(field: str, cron: str) -> str:
    """The cron day-of-week field as APScheduler day names (cron: 0 and 7 are Sunday)."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for token in field.lower().split(","):
        match = _DOW_TOKEN.match(token)
        if match is None:
            raise ScheduleError(f"bagian hari {token!r} tidak dipahami dalam jadwal {cron!r}")
        start_text, end_text, step_text = match.groups()
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ScheduleError(f"langkah 0 tidak boleh dalam jadwal {cron!r}")
        if start_text == "*":
            start, end = 0, 6
        else:
            start = _day(start_text, cron)
            end = start if end_text is None and step_text is None else (
                6 if end_text is None else _day(end_text, cron)
            )
            if end_text == "7":
                end = 7
        if end < start:
            raise ScheduleError(f"rentang hari {token!r} terbalik dalam jadwal {cron!r}")
        days.update(d % 7 for d in range(start, end + 1, step))
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


@dataclass(frozen=True)
class AlertSchedule:
    """A cron schedule in a time zone, with the questions the alert jobs ask of it."""

    cron: str
    tz: ZoneInfo
    trigger: CronTrigger

    @classmethod
    def parse(cls, cron: str, timezone: str = "Asia/Makassar") -> AlertSchedule:
        """Raise `ScheduleError` unless `cron` is five cron fields (minute hour day month
        day-of-week)."""
        fields = cron.split()
        if len(fields) != 5:
            raise ScheduleError(
                f"jadwal {cron!r} harus berisi 5 bagian cron: menit jam tanggal bulan hari "
                "(mis. '0 8 * * mon' untuk Senin pukul 08.00)"
            )
        minute, hour, day, month, dow = fields
        tz = ZoneInfo(timezone)
        try:
            trigger = CronTrigger(
                minute=minute,
                hour=hour,
                day=day,
                month=month,
                day_of_week=_days_of_week(dow, cron),
                timezone=tz,
            )
        except ValueError as exc:
            raise ScheduleError(f"jadwal {cron!r} tidak dapat dipakai: {exc}") from None
        return cls(cron=" ".join(fields), tz=tz, trigger=trigger)

    def next_due(self, now: datetime) -> datetime:
        """The first due time at or after `now`."""
        found: datetime | None = self.trigger.get_next_fire_time(None, now.astimezone(self.tz))
        if found is None:  # a cron line never ends; keep mypy and a broken trigger honest
            raise ScheduleError(f"jadwal {self.cron!r} tidak pernah jatuh tempo")
        return found

    def last_due(self, now: datetime) -> datetime | None:
        """The latest due time at or before `now` (None if none within about a year)."""
        local = now.astimezone(self.tz)
        for lookback in _LOOKBACKS:
            candidate: datetime | None = self.trigger.get_next_fire_time(None, local - lookback)
            if candidate is None or candidate > local:
                continue
            while True:
                following: datetime | None = self.trigger.get_next_fire_time(
                    candidate, candidate + timedelta(seconds=1)
                )
                if following is None or following > local:
                    return candidate
                candidate = following
        return None

    def previous_due(self, due: datetime) -> datetime | None:
        """The due time before `due`."""
        return self.last_due(due - timedelta(seconds=1))

    def period_key(self, due: datetime) -> str:
        """The key of the run due at `due`: its ISO week ("2026-W49") when the schedule fires
        at most once in that week, else the local date and time ("2026-12-03T08:00")."""
        local = due.astimezone(self.tz)
        year, week, _ = local.isocalendar()
        before = self.previous_due(local)
        after = self.next_due(local + timedelta(seconds=1))
        same_week = [
            other for other in (before, after)
            if other is not None and other.astimezone(self.tz).isocalendar()[:2] == (year, week)
        ]
        if not same_week:
            return f"{year}-W{week:02d}"
        return local.strftime("%Y-%m-%dT%H:%M")


_DAY_WORDS: Final = {
    "mon": "Senin", "tue": "Selasa", "wed": "Rabu", "thu": "Kamis", "fri": "Jumat",
    "sat": "Sabtu", "sun": "Minggu",
}
_ZONE_WORDS: Final = {"Asia/Makassar": "WITA", "Asia/Jakarta": "WIB", "Asia/Jayapura": "WIT"}


def zone_word(timezone: str) -> str:
    """"WITA" for Asia/Makassar (WIB, WIT likewise); any other zone by its name."""
    return _ZONE_WORDS.get(timezone, timezone)


def describe_schedule(cron: str, timezone: str) -> str:
    """The schedule in words for officials ("setiap Senin pukul 08.00 WITA"), or the cron line
    itself when it is not a simple weekly or daily time."""
    if cron.strip().lower() in DISABLED:
        return "tidak terjadwal (dimatikan operator)"
    zone = _ZONE_WORDS.get(timezone, timezone)
    try:
        AlertSchedule.parse(cron, timezone)
    except ScheduleError:
        return f"{cron} ({zone})"
    minute, hour, day, month, dow = cron.split()
    if not (minute.isdigit() and hour.isdigit() and day == "*" and month == "*"):
        return f"{cron} ({zone})"
    at = f"pukul {int(hour):02d}.{int(minute):02d} {zone}"
    names = _days_of_week(dow, cron)
    if names == "*" or names == ",".join(_DAY_NAMES[d] for d in range(7)):
        return f"setiap hari {at}"
    days = [_DAY_WORDS[n] for n in names.split(",")]
    return f"setiap {', '.join(days)} {at}"
