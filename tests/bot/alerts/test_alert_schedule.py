"""The alert schedule: Monday 08:00 WITA, cron day numbers as cron means them, period keys,
and the jobs registered at start-up with an explicit misfire grace time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram.ext import ApplicationBuilder

from bot.alerts.jobs import (
    CATCH_UP_JOB,
    SWEEP_JOB,
    WEEKLY_JOB,
    alert_service,
    register_alert_jobs,
)
from bot.alerts.schedule import AlertSchedule, ScheduleError, describe_schedule
from bot.db.database import Database
from bot.db.engine import create_engine, create_session_factory
from bot.settings import Settings
from bot.telegram.deps import Deps
from tests.bot.alerts.conftest import INSTRUMENT, MONDAY_0800, WITA

DEFAULT = AlertSchedule.parse("0 8 * * mon", "Asia/Makassar")


def test_the_default_schedule_is_monday_0800_wita() -> None:
    sunday_evening = datetime(2026, 11, 29, 20, 0, tzinfo=WITA)
    assert DEFAULT.next_due(sunday_evening) == MONDAY_0800
    assert DEFAULT.next_due(sunday_evening).utcoffset() == timedelta(hours=8)
    assert Settings(_env_file=None).alert_schedule == "0 8 * * mon"  # type: ignore[call-arg]


def test_last_due_is_the_latest_due_time_at_or_before_now() -> None:
    assert DEFAULT.last_due(MONDAY_0800) == MONDAY_0800
    assert DEFAULT.last_due(MONDAY_0800 - timedelta(seconds=1)) == MONDAY_0800 - timedelta(days=7)
    tuesday = MONDAY_0800 + timedelta(days=1, hours=3)
    assert DEFAULT.last_due(tuesday) == MONDAY_0800
    # The same moment seen from UTC: due at 00:00 UTC on Monday.
    assert DEFAULT.last_due(MONDAY_0800.astimezone(UTC)) == MONDAY_0800


@pytest.mark.parametrize(
    ("cron", "weekday"),
    [("0 8 * * 1", 0), ("0 8 * * mon", 0), ("0 8 * * MON", 0), ("0 8 * * 0", 6),
     ("0 8 * * 7", 6), ("0 8 * * sun", 6), ("0 8 * * 5", 4)],
)
def test_cron_day_numbers_count_from_sunday_as_in_cron_not_from_monday_as_in_apscheduler(
    cron: str, weekday: int
) -> None:
    due = AlertSchedule.parse(cron).next_due(datetime(2026, 11, 29, 0, 0, tzinfo=WITA))
    assert due.weekday() == weekday and (due.hour, due.minute) == (8, 0)


def test_day_ranges_lists_and_steps_are_understood() -> None:
    workdays = AlertSchedule.parse("30 7 * * 1-5")
    start = datetime(2026, 11, 29, 0, 0, tzinfo=WITA)  # a Sunday
    days = []
    moment = start
    for _ in range(6):
        moment = workdays.next_due(moment + timedelta(seconds=1))
        days.append(moment.weekday())
    assert days == [0, 1, 2, 3, 4, 0]
    weekend = AlertSchedule.parse("0 9 * * 5-7")
    assert {weekend.next_due(start + timedelta(days=d)).weekday() for d in range(7)} == {4, 5, 6}
    every_other = AlertSchedule.parse("0 9 * * */2")
    assert {every_other.next_due(start + timedelta(days=d)).weekday() for d in range(7)} == {
        6, 1, 3, 5
    }


@pytest.mark.parametrize("cron", ["", "0 8 * *", "0 8 * * mon extra", "61 8 * * mon",
                                  "0 8 * * 8", "0 8 * * funday", "0 8 * * 5-1", "0 8 * * 1/0",
                                  "x 8 * * mon"])
def test_an_unusable_cron_line_is_refused_in_indonesian(cron: str) -> None:
    with pytest.raises(ScheduleError) as error:
        AlertSchedule.parse(cron)
    assert "jadwal" in str(error.value) or "hari" in str(error.value)


def test_the_period_key_is_the_iso_week_of_the_due_time() -> None:
    assert DEFAULT.period_key(MONDAY_0800) == "2026-W49"
    assert DEFAULT.period_key(datetime(2026, 12, 28, 8, tzinfo=WITA)) == "2026-W53"
    assert DEFAULT.period_key(datetime(2027, 1, 4, 8, tzinfo=WITA)) == "2027-W01"


def test_a_schedule_firing_twice_a_week_gets_a_key_per_firing() -> None:
    twice = AlertSchedule.parse("0 8 * * mon,thu")
    monday = twice.last_due(MONDAY_0800 + timedelta(hours=1))
    thursday = twice.last_due(MONDAY_0800 + timedelta(days=3, hours=1))
    assert monday is not None and thursday is not None
    assert twice.period_key(monday) == "2026-11-30T08:00"
    assert twice.period_key(thursday) == "2026-12-03T08:00"


def test_the_schedule_in_words_for_officials() -> None:
    assert describe_schedule("0 8 * * mon", "Asia/Makassar") == "setiap Senin pukul 08.00 WITA"
    assert describe_schedule("30 7 * * 1-5", "Asia/Makassar") == (
        "setiap Senin, Selasa, Rabu, Kamis, Jumat pukul 07.30 WITA"
    )
    assert describe_schedule("0 8 * * *", "Asia/Makassar") == "setiap hari pukul 08.00 WITA"
    assert describe_schedule("*/30 8 * * mon", "Asia/Makassar") == "*/30 8 * * mon (WITA)"
    assert describe_schedule("off", "Asia/Makassar").startswith("tidak terjadwal")


# ------------------------------------------------------------------------------ the jobs


def _deps(tmp_path: Path, **settings: object) -> Deps:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'never-opened.db'}")
    values = {"telegram_bot_token": "123456:" + "A" * 35, **settings}
    return Deps(
        settings=Settings(_env_file=None, **values),  # type: ignore[call-arg, arg-type]
        database=Database(engine, create_session_factory(engine)),
        instrument=INSTRUMENT,
    )


def test_the_weekly_job_is_a_cron_job_with_an_explicit_misfire_grace_time(
    tmp_path: Path,
) -> None:
    deps = _deps(tmp_path)
    application = ApplicationBuilder().token("123456:" + "A" * 35).build()
    service = register_alert_jobs(application, deps)
    assert alert_service(application) is service
    assert application.job_queue is not None
    (weekly,) = application.job_queue.get_jobs_by_name(WEEKLY_JOB)
    job = weekly.job
    assert job.misfire_grace_time == 24 * 3600  # not APScheduler's default of 1 s
    assert job.coalesce is True and job.max_instances == 1
    sunday = datetime(2026, 11, 29, 23, 0, tzinfo=WITA)
    assert job.trigger.get_next_fire_time(None, sunday) == MONDAY_0800
    (catch_up,) = application.job_queue.get_jobs_by_name(CATCH_UP_JOB)
    assert catch_up.job.misfire_grace_time == 24 * 3600
    (sweep,) = application.job_queue.get_jobs_by_name(SWEEP_JOB)
    assert sweep.job.coalesce is True


def test_alerts_switched_off_register_no_weekly_job_but_still_resume_outboxes(
    tmp_path: Path,
) -> None:
    application = ApplicationBuilder().token("123456:" + "A" * 35).build()
    register_alert_jobs(application, _deps(tmp_path, alert_schedule="off"))
    assert application.job_queue is not None
    assert application.job_queue.get_jobs_by_name(WEEKLY_JOB) == ()
    assert len(application.job_queue.get_jobs_by_name(SWEEP_JOB)) == 1


def test_a_bad_schedule_stops_the_bot_at_start_up_not_on_monday(tmp_path: Path) -> None:
    application = ApplicationBuilder().token("123456:" + "A" * 35).build()
    with pytest.raises(ScheduleError):
        register_alert_jobs(application, _deps(tmp_path, alert_schedule="0 8 * * 8"))
