"""The human names of alert weeks: what officials, admins and operators read instead of keys."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.alerts.weeks import period_label, run_label, week_key, week_label

WITA = ZoneInfo("Asia/Makassar")


def test_a_week_is_named_by_number_and_its_monday_to_sunday_dates() -> None:
    assert week_label(2026, 49) == "Minggu ke-49, 30 Nov – 6 Des 2026"
    assert week_label(2026, 50) == "Minggu ke-50, 7 Des – 13 Des 2026"


def test_a_week_across_the_year_end_names_both_years() -> None:
    assert week_label(2026, 1) == "Minggu ke-1, 29 Des 2025 – 4 Jan 2026"


def test_the_week_key_is_taken_in_wita_not_utc() -> None:
    # Sunday 6 Dec 2026 23:30 UTC is already Monday 7 Dec 07:30 WITA: week 50.
    assert week_key(datetime(2026, 12, 6, 23, 30, tzinfo=UTC), WITA) == "2026-W50"
    assert week_key(datetime(2026, 12, 6, 15, 0, tzinfo=UTC), WITA) == "2026-W49"


def test_an_alert_header_shows_the_week_never_the_key() -> None:
    assert period_label("2026-W49") == "Minggu ke-49, 30 Nov – 6 Des 2026"
    assert period_label("2026-W49@63.01#2") == "Minggu ke-49, 30 Nov – 6 Des 2026"
    assert period_label("2026-12-03T08:00") == "Kamis, 3 Des 2026 pukul 08.00"


def test_a_run_label_says_the_area_and_the_repeat() -> None:
    assert run_label("2026-W49@63.01#2") == (
        "Minggu ke-49, 30 Nov – 6 Des 2026 · wilayah 63.01 · kirim ulang ke-2"
    )
    assert run_label("m-2026-12-02T10:00@63.01") == (
        "manual Rabu, 2 Des 2026 pukul 10.00 · wilayah 63.01"
    )


def test_an_unknown_or_impossible_key_is_shown_as_it_is() -> None:
    assert period_label("2026-W54") == "2026-W54"
    assert run_label("something else") == "something else"
