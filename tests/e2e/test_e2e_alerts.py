"""Weekly alerts end to end: the real bot, its jobs and the emulator, on both databases.

The clock is a `ShiftedClock` (a chosen Monday or Tuesday that then runs at real speed);
delivery goes through the emulator with its fault injection. Every test asserts what each
official actually received.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.alerts.jobs import CATCH_UP_JOB, WEEKLY_JOB
from bot.alerts.schedule import WEEKLY_ALERT
from bot.db.database import Database
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import AlertRun, AlertSubscription, AppUser, DeliveryStatus, Role
from bot.emulator import Fault, TelegramEmulator
from bot.telegram import build_application
from tests.bot.alerts.conftest import MONDAY_0800, seed_village
from tests.bot.alerts.rates import max_in_window, min_gap_per_chat
from tests.e2e.alert_harness import AlertHarness, ShiftedClock
from tests.e2e.conftest import bot_settings

SEPAPAH = "63.02.12.2001"
BETUNG = "63.02.12.2002"
BATAKAN = "63.01.01.2001"
RED_SEPAPAH = {"KF1": (20, 40), "KE7": (28, 40)}
RED_BATAKAN = {"KF2": (10, 40)}

KOTABARU_ID, CAMAT_ID, TANAH_LAUT_ID, ADMIN_ID = 5001, 5002, 5003, 5004


@pytest.fixture
async def alerts(
    emulator: TelegramEmulator, e2e_database: Database, migrated_database_url: str
) -> AsyncIterator[AlertHarness]:
    """The harness, not started: each test sets the clock and the jobs first."""
    harness = AlertHarness(
        emulator, e2e_database, bot_settings(emulator, migrated_database_url),
        clock=ShiftedClock(MONDAY_0800),
    )
    await harness.add_tanah_laut()
    try:
        yield harness
    finally:
        await harness.stop()
    assert not emulator.state.internal_errors, emulator.state.internal_errors
    unanswered = [q for q in emulator.state.queries.values() if not q.answered]
    assert not unanswered, f"callback queries left spinning: {unanswered}"


async def _four_officials(h: AlertHarness) -> dict[str, int]:
    ids = {
        "kotabaru": await h.add_official(KOTABARU_ID, "63.02", "Pak Kadis Kotabaru"),
        "camat": await h.add_official(CAMAT_ID, "63.02.12", "Pak Camat"),
        "tanah_laut": await h.add_official(TANAH_LAUT_ID, "63.01", "Bu Kadis Tanah Laut"),
        "admin": await h.add_official(ADMIN_ID, "63", "Operator DP3A", Role.ADMIN),
    }
    kader = await h.add_kader(1001, SEPAPAH)
    await seed_village(h.database.session_factory, kader, SEPAPAH, RED_SEPAPAH)
    await seed_village(h.database.session_factory, kader, BATAKAN, RED_BATAKAN)
    return ids


async def _runs(h: AlertHarness) -> list[AlertRun]:
    async with h.database.session_factory() as session:
        return list((await session.scalars(select(AlertRun).order_by(AlertRun.id))).all())


async def _wait_for_alerts(h: AlertHarness, expected: dict[int, int], limit: float = 20) -> None:
    await h.emulator.wait_for(
        lambda: h.alerts_received() == expected, timeout=limit,
        what=f"alerts {expected}, got {h.alerts_received()}",
    )


async def _job_done(h: AlertHarness, name: str) -> None:
    """Wait until a one-off job has run (APScheduler drops it afterwards) and sent nothing more."""
    assert h.app is not None and h.app.job_queue is not None
    queue = h.app.job_queue
    await h.emulator.wait_for(lambda: not queue.get_jobs_by_name(name), timeout=10,
                              what=f"job {name}")
    await h.emulator.wait_for(lambda: not h.alerts._sending, timeout=20, what="sending to end")
    await h.emulator.wait_idle(quiet=0.2, timeout=20)


# ------------------------------------------------------------------------------ schedule


async def test_the_monday_0800_wita_job_sends_one_alert_per_official_with_their_villages(
    alerts: AlertHarness,
) -> None:
    h = alerts
    await _four_officials(h)
    h.clock.set(MONDAY_0800 - timedelta(minutes=1))
    app = await h.start()
    assert app.job_queue is not None
    (weekly,) = app.job_queue.get_jobs_by_name(WEEKLY_JOB)
    assert weekly.job.trigger.get_next_fire_time(None, h.clock()) == MONDAY_0800
    await weekly.run(app)  # 07:59: last week's run is more than a day old, nothing is due
    assert h.alert_calls() == [] and await _runs(h) == []

    h.clock.set(MONDAY_0800)
    await weekly.run(app)  # 08:00 WITA
    assert h.alerts_received() == {KOTABARU_ID: 1, CAMAT_ID: 1, TANAH_LAUT_ID: 1, ADMIN_ID: 1}
    (run,) = await _runs(h)
    assert (run.alert, run.period_key) == (WEEKLY_ALERT, "2026-W49")

    camat = h.emulator.messages(CAMAT_ID)[-1]
    assert "Peringatan mingguan IKK — Minggu ke-49, 30 Nov – 6 Des 2026" in camat.visible_text
    assert "W49" not in camat.visible_text  # never the internal key
    assert "Desa Sepapah" in camat.visible_text and "Batakan" not in camat.visible_text
    assert camat.buttons == [["✅ Sudah dibaca"]]
    tanah_laut = h.emulator.messages(TANAH_LAUT_ID)[-1].visible_text
    assert "Batakan" in tanah_laut and "Sepapah" not in tanah_laut
    admin = h.emulator.messages(ADMIN_ID)[-1].visible_text
    assert "Batakan" in admin and "Sepapah" in admin

    await weekly.run(app)  # the job firing again (a second scheduler, a late misfire)
    assert h.alerts_received() == {KOTABARU_ID: 1, CAMAT_ID: 1, TANAH_LAUT_ID: 1, ADMIN_ID: 1}


async def test_a_bot_down_from_sunday_to_tuesday_catches_up_once_at_start_up(
    alerts: AlertHarness,
) -> None:
    h = alerts
    await _four_officials(h)
    h.catch_up_at_start = True
    h.clock.set(MONDAY_0800 + timedelta(hours=23))  # Tuesday 07:00 WITA
    await h.start()
    everyone = {KOTABARU_ID: 1, CAMAT_ID: 1, TANAH_LAUT_ID: 1, ADMIN_ID: 1}
    await _wait_for_alerts(h, everyone)
    await _job_done(h, CATCH_UP_JOB)

    h.clock.jump(minutes=30)
    await h.restart()  # and once more
    await _job_done(h, CATCH_UP_JOB)
    assert h.alerts_received() == everyone
    assert [r.period_key for r in await _runs(h)] == ["2026-W49"]


async def test_two_processes_starting_together_send_once(
    alerts: AlertHarness, migrated_database_url: str
) -> None:
    h = alerts
    await _four_officials(h)
    h.catch_up_at_start = True
    h.clock.set(MONDAY_0800 + timedelta(minutes=5))
    # The second process: its own engine, application and alert service, not polling.
    engine = create_engine(migrated_database_url)
    other_db = Database(engine, create_session_factory(engine))
    other = build_application(h.settings, other_db, overall_max_rate=0)
    from bot.alerts.jobs import alert_service

    other_alerts = alert_service(other)
    assert other_alerts is not None
    other_alerts.clock = h.clock
    try:
        await other.initialize()
        await asyncio.gather(h.start(), other.start())
        everyone = {KOTABARU_ID: 1, CAMAT_ID: 1, TANAH_LAUT_ID: 1, ADMIN_ID: 1}
        await _wait_for_alerts(h, everyone)
        await _job_done(h, CATCH_UP_JOB)
        assert other.job_queue is not None
        await h.emulator.wait_for(
            lambda: not other.job_queue.get_jobs_by_name(CATCH_UP_JOB)  # type: ignore[union-attr]
            and not other_alerts._sending,
            timeout=10, what="the other process's catch-up",
        )
        await h.emulator.wait_idle(quiet=0.3, timeout=10)
        assert h.alerts_received() == everyone
        assert len(await _runs(h)) == 1
    finally:
        if other.running:
            await other.stop()
        await other.shutdown()
        await engine.dispose()


# ------------------------------------------------------------------------------ faults


async def test_429_storms_blocked_users_and_5xx_still_give_each_reachable_official_one_alert(
    alerts: AlertHarness,
) -> None:
    h = alerts
    kader = await h.add_kader(1001, SEPAPAH)
    await seed_village(h.database.session_factory, kader, SEPAPAH, RED_SEPAPAH)
    chats = list(range(7000, 7030))
    await h.add_officials(chats, "63.02.12")
    blocked = chats[3:6]
    for chat_id in blocked:
        h.emulator.set_blocked(chat_id)  # blocked without the bot having seen it
    await h.start()
    emu = h.emulator
    emu.faults.add("sendMessage", Fault.too_many_requests(1), times=3)  # a 429 storm
    emu.faults.add("sendMessage", Fault.server_error(502, "Bad Gateway"), chat_id=chats[10],
                   times=2)
    emu.faults.add("sendMessage", Fault.server_error(500), chat_id=chats[20])

    async def outage_midway() -> None:
        await emu.wait_for(lambda: len(h.alerts_received()) >= 15, timeout=30,
                           what="half of the alerts")
        emu.faults.outage(1.0, status=502, methods=["sendMessage"])

    outage = asyncio.ensure_future(outage_midway())
    outcome = await h.alerts.run_due()
    await outage
    assert outcome.report is not None
    assert (outcome.report.sent, outcome.report.blocked, outcome.report.failed) == (27, 3, 0)
    assert h.alerts_received() == {c: 1 for c in chats if c not in blocked}

    rows = {d.chat_id: d for d in await h.deliveries()}
    assert {c for c, d in rows.items() if d.status is DeliveryStatus.BLOCKED} == set(blocked)
    async with h.database.session_factory() as session:
        unreachable = set((await session.scalars(
            select(AppUser.telegram_id).where(AppUser.reachable.is_(False))
        )).all())
    assert unreachable == set(blocked)
    calls = h.alert_calls()
    assert sum(1 for c in calls if c.status == 429) == 3
    assert max_in_window([c.started for c in calls]) <= 25
    assert min_gap_per_chat((c.chat_id or 0, c.started) for c in calls) >= 1.0


async def test_a_crash_in_the_middle_of_a_run_then_a_restart_gives_everyone_exactly_one_alert(
    alerts: AlertHarness,
) -> None:
    h = alerts
    kader = await h.add_kader(1001, SEPAPAH)
    await seed_village(h.database.session_factory, kader, SEPAPAH, RED_SEPAPAH)
    chats = list(range(7100, 7140))
    await h.add_officials(chats, "63.02.12")
    await h.start()
    h.emulator.faults.add("sendMessage", Fault.slow(0.3), times=40)  # messages on the wire
    run = asyncio.ensure_future(h.alerts.run_due())
    await h.emulator.wait_for(lambda: len(h.alerts_received()) >= 8, timeout=20,
                              what="the run to be under way")
    run.cancel()  # the process is stopped mid-run ...
    with pytest.raises(asyncio.CancelledError):
        await run
    await h.stop()  # ... and goes away
    sent_before = h.alerts_received()
    assert 8 <= len(sent_before) < len(chats)
    assert all(n == 1 for n in sent_before.values())

    h.emulator.faults.clear()
    h.catch_up_at_start = True
    h.clock.jump(minutes=5)  # still Monday morning: the run is due and unfinished
    await h.start()
    await _wait_for_alerts(h, {c: 1 for c in chats}, limit=30)
    await _job_done(h, CATCH_UP_JOB)
    assert h.alerts_received() == {c: 1 for c in chats}
    assert {d.status for d in await h.deliveries()} == {DeliveryStatus.SENT}
    (run_row,) = await _runs(h)
    assert run_row.status.value == "done"


# ------------------------------------------------------------------------------ people


async def test_sudah_dibaca_is_stored_and_the_button_disappears(alerts: AlertHarness) -> None:
    h = alerts
    await _four_officials(h)
    await h.start()
    await h.alerts.run_due()
    camat = h.emulator.user(CAMAT_ID)
    alert = h.emulator.messages(CAMAT_ID)[-1]
    data = alert.button_data[0][0]
    assert data is not None
    await camat.tap("✅ Sudah dibaca", message=alert)
    await camat.wait_reply()
    answer = camat.last_callback_answer()
    assert answer is not None
    assert answer.text == "Terima kasih. Peringatan ini ditandai sudah dibaca."
    assert h.emulator.messages(CAMAT_ID)[-1].buttons == []
    rows = {d.chat_id: d for d in await h.deliveries()}
    assert rows[CAMAT_ID].acknowledged_at is not None
    assert rows[KOTABARU_ID].acknowledged_at is None

    await camat.tap_data(alert.message_id, data)  # an old copy of the button
    await camat.wait_reply()
    assert camat.last_callback_answer().text == "Peringatan ini telah ditandai sudah dibaca."  # type: ignore[union-attr]
    kotabaru = h.emulator.user(KOTABARU_ID)
    await kotabaru.tap_data(alert.message_id, data)  # someone else's alert
    await kotabaru.wait_reply()
    assert kotabaru.last_callback_answer().text == "Tombol ini bukan untuk Anda."  # type: ignore[union-attr]


async def test_blocking_the_bot_makes_an_official_unreachable_and_unblocking_brings_him_back(
    alerts: AlertHarness,
) -> None:
    h = alerts
    await _four_officials(h)
    await h.start()
    camat = h.emulator.user(CAMAT_ID)
    await camat.block()
    await h.settle()
    await h.alerts.run_due()
    assert CAMAT_ID not in h.alerts_received()
    assert {d.chat_id for d in await h.deliveries()} == {KOTABARU_ID, TANAH_LAUT_ID, ADMIN_ID}

    await camat.unblock()
    await h.settle()
    h.clock.jump(days=7)
    await h.alerts.run_due()
    assert h.alerts_received()[CAMAT_ID] == 1


async def test_peringatan_changes_the_settings_in_place_with_buttons(alerts: AlertHarness) -> None:
    h = alerts
    await h.start()
    pak = await h.register(6001, Role.PEJABAT, "63.02.12", first_name="Pak Camat")
    await pak.send("/peringatan")
    (settings,) = await pak.wait_reply()
    assert "Pengaturan peringatan mingguan" in settings.visible_text
    assert "setiap Senin pukul 08.00 WITA" in settings.visible_text
    assert "Status: 🔔 aktif" in settings.visible_text
    assert "Sektor: semua sektor" in settings.visible_text
    assert settings.buttons == [
        ["🔕 Matikan peringatan"], ["🏢 Sektor: semua"], ["⬜ Pesan minggu tanpa indikator merah"]
    ]

    await pak.tap("🔕 Matikan peringatan")
    await pak.wait_reply()
    edited = pak.last_message()
    assert edited is not None and edited.message_id == settings.message_id and edited.edited
    assert "Status: 🔕 mati" in edited.visible_text
    await pak.tap("⬜ Pesan minggu tanpa indikator merah")
    await pak.wait_reply()
    await pak.tap("🏢 Sektor: semua")
    await pak.wait_reply()
    sectors = pak.last_message()
    assert sectors is not None and sectors.message_id == settings.message_id
    assert sectors.buttons[0] == ["✅ Semua sektor"]
    assert ["⬜ Bappeda", "⬜ BPJS"] in sectors.buttons
    await pak.tap("⬜ Dinas Kesehatan")
    await pak.wait_reply()
    await pak.tap("⬜ BPJS")
    await pak.wait_reply()
    shown = pak.last_message()
    assert shown is not None and "Dipilih: BPJS, Dinas Kesehatan" in shown.visible_text
    assert "⬜ Semua sektor" in shown.buttons[0]
    await pak.tap("⬅️ Kembali")
    await pak.wait_reply()
    back = pak.last_message()
    assert back is not None and "Sektor: BPJS, Dinas Kesehatan" in back.visible_text
    assert back.buttons[1] == ["🏢 Sektor: 2 dipilih"]
    assert len(h.emulator.messages(6001)) == 2  # the greeting and one settings message

    async with h.database.session_factory() as session:
        user = (await session.scalars(select(AppUser).where(AppUser.telegram_id == 6001))).one()
        sub = await session.get(AlertSubscription, user.id)
    assert sub is not None
    assert (sub.enabled, sub.quiet_weeks, sub.sectors) == (False, True, "BPJS, Dinas Kesehatan")


async def test_the_sectors_chosen_in_peringatan_route_the_next_alert(alerts: AlertHarness) -> None:
    h = alerts
    kader = await h.add_kader(1001, SEPAPAH)
    await seed_village(h.database.session_factory, kader, SEPAPAH,
                       {"KF2": (10, 40), "KE1": (10, 40), "KE7": (10, 40)})
    await h.start()
    pak = await h.register(6002, Role.PEJABAT, "63.02", first_name="Pak Kadis")
    await pak.send("/peringatan")
    await pak.wait_reply()
    await pak.tap("🏢 Sektor: semua")
    await pak.wait_reply()
    await pak.tap("⬜ Dinas Perkim")
    await pak.wait_reply()
    await h.alerts.run_due()
    alert = h.emulator.messages(6002)[-1].visible_text
    assert "KE1" in alert and "KF2" not in alert and "KE7" not in alert
    assert "Sektor yang Anda ikuti: Dinas Perkim" in alert


async def test_peringatan_is_for_officials_and_status_peringatan_for_admins(
    alerts: AlertHarness,
) -> None:
    h = alerts
    await h.start()
    kader = await h.register(6101, Role.KADER, SEPAPAH, first_name="Siti")
    await kader.send("/peringatan")
    assert (await kader.wait_reply())[-1].visible_text == (
        "Peringatan mingguan hanya untuk pejabat dan admin."
    )
    stranger = h.emulator.user(6102, "Orang")
    await stranger.send("/peringatan")
    assert "hanya untuk kader dan petugas" in (await stranger.wait_reply())[-1].visible_text
    await stranger.send("/status_peringatan")
    assert "hanya untuk kader dan petugas" in (await stranger.wait_reply())[-1].visible_text
    pak = await h.register(6103, Role.PEJABAT, "63.02", first_name="Pak")
    await pak.send("/status_peringatan")
    assert (await pak.wait_reply())[-1].visible_text == (
        "Perintah ini hanya untuk admin (operator DP3A)."
    )
    # A settings button tapped by a kader (an old message, a forwarded keyboard) is refused.
    await kader.tap_data(1, "Ae0")
    await kader.wait_reply()
    assert kader.last_callback_answer().text == (  # type: ignore[union-attr]
        "Peringatan mingguan hanya untuk pejabat dan admin."
    )


async def test_garbage_alert_buttons_are_answered_and_change_nothing(alerts: AlertHarness) -> None:
    h = alerts
    await h.start()
    pak = await h.register(6201, Role.PEJABAT, "63.02.12", first_name="Pak")
    await pak.send("/peringatan")
    (settings,) = await pak.wait_reply()
    for garbage in ("Azz", "Ak", "As99.zzzz.1", "As0.0000.1", "Ae7", "A" + "k" * 63):
        await pak.tap_data(settings.message_id, garbage)
        await pak.wait_reply()
        answer = pak.last_callback_answer()
        assert answer is not None and "tidak berlaku" in (answer.text or ""), garbage
    async with h.database.session_factory() as session:
        sub = (await session.scalars(select(AlertSubscription))).one()
    assert (sub.enabled, sub.sectors, sub.quiet_weeks) == (True, None, False)


async def test_status_peringatan_shows_the_last_runs_and_who_cannot_be_reached(
    alerts: AlertHarness,
) -> None:
    h = alerts
    await _four_officials(h)
    h.emulator.set_blocked(TANAH_LAUT_ID)
    await h.start()
    await h.alerts.run_due()
    camat = h.emulator.user(CAMAT_ID)
    await camat.tap("✅ Sudah dibaca", message=h.emulator.messages(CAMAT_ID)[-1])
    await camat.wait_reply()
    admin = h.emulator.user(ADMIN_ID, "Operator")
    await admin.send("/status_peringatan")
    (status,) = await admin.wait_reply()
    text = status.visible_text
    assert "Status peringatan mingguan" in text and "Jadwal: setiap Senin pukul 08.00 WITA" in text
    assert "Minggu ke-49, 30 Nov – 6 Des 2026 (30/11/2026 08.00) — selesai" in text
    assert "W49" not in text
    assert "terkirim 3 · dibaca 1 · diblokir 1 · gagal 0 · menunggu 0" in text
    assert "Tidak dapat dihubungi" in text and "Bu Kadis Tanah Laut — pejabat, Kab. Tanah Laut" \
        in text


def test_the_monday_constant_is_monday_0800_wita() -> None:
    assert MONDAY_0800.weekday() == 0 and MONDAY_0800.hour == 8
    assert MONDAY_0800.utcoffset() == timedelta(hours=8)
    assert datetime.fromisoformat("2026-11-30T00:00:00+00:00") == MONDAY_0800


async def test_ikk_bot_alerts_run_now_sends_a_week_once_and_force_sends_it_again(
    alerts: AlertHarness, migrated_database_url: str
) -> None:
    from typer.testing import CliRunner, Result

    from bot.cli import app as cli

    h = alerts
    await _four_officials(h)
    env = {
        "DATABASE_URL": migrated_database_url,
        "TELEGRAM_BOT_TOKEN": h.emulator.token,
        "TELEGRAM_API_URL": h.emulator.url,
    }
    runner = CliRunner()

    async def run_now(*args: str, answer: str | None = None) -> Result:
        return await asyncio.to_thread(
            runner.invoke, cli, ["alerts", "run-now", *args], env=env, input=answer
        )

    result = await run_now("--area", "63.02")
    assert result.exit_code == 0, result.output
    assert "Peringatan Minggu ke-" in result.stdout and "wilayah 63.02: 2 penerima" in result.stdout
    assert "Terkirim 2, diblokir 0, gagal 0" in result.stdout
    assert h.alerts_received() == {KOTABARU_ID: 1, CAMAT_ID: 1}

    again = await run_now("--area", "63.02")  # the same week: nothing new, and how to force
    assert again.exit_code == 0, again.output
    assert "sudah dikirim" in again.stdout and "(terkirim 2 dari 2 penerima)" in again.stdout
    assert "Tidak ada yang dikirim lagi." in again.stdout
    assert "ikk-bot alerts run-now --force --area 63.02" in again.stdout
    assert h.alerts_received() == {KOTABARU_ID: 1, CAMAT_ID: 1}

    declined = await run_now("--area", "63.02", "--force", answer="n\n")
    assert declined.exit_code == 1
    assert "Kirim ulang? [y/N]" in declined.stdout and "Dibatalkan" in declined.stdout
    assert h.alerts_received() == {KOTABARU_ID: 1, CAMAT_ID: 1}

    forced = await run_now("--area", "63.02", "--force", "--yes")
    assert forced.exit_code == 0, forced.output
    assert "kirim ulang ke-2: 2 penerima" in forced.stdout
    assert h.alerts_received() == {KOTABARU_ID: 2, CAMAT_ID: 2}

    # The whole week now: only the officials not told yet this week.
    everyone = await run_now()
    assert everyone.exit_code == 0, everyone.output
    assert h.alerts_received() == {KOTABARU_ID: 2, CAMAT_ID: 2, TANAH_LAUT_ID: 1, ADMIN_ID: 1}
    keys = [r.period_key for r in await _runs(h)]
    assert [k.split("-W")[1][2:] for k in keys] == ["@63.02", "@63.02#2", ""]
    outputs = result.output + again.output + declined.output + forced.output + everyone.output
    assert h.emulator.token not in outputs
    assert "weekly" not in outputs and "-W" not in outputs  # Indonesian, no internal keys
