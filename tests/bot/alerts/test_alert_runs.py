"""Alert runs on both databases: claimed once per period, caught up once after downtime, the
right villages to the right people, new/worse/recovered against what each official was told."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select, update

from bot.alerts.buttons import AlertButton, Op, decode
from bot.alerts.content import Skip
from bot.alerts.runs import claim_run
from bot.alerts.schedule import WEEKLY_ALERT
from bot.alerts.subscriptions import update_subscription
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import AlertRun, AlertRunStatus, AppUser, DeliveryStatus
from bot.services.context import ServiceContext
from tests.bot.alerts.conftest import (
    BATAKAN,
    BETUNG,
    INSTRUMENT,
    MONDAY_0800,
    SEPAPAH,
    AlertWorld,
    chat,
    deliveries,
    set_village,
    texts_to,
)

RED_SEPAPAH = {"KF1": (20, 40), "KE7": (28, 40)}  # 50 % and 70 %
RED_BATAKAN = {"KF2": (10, 40)}  # 25 %


async def _subscribe(world: AlertWorld, who: int, **values: object) -> None:
    async def work(session):  # type: ignore[no-untyped-def]
        await update_subscription(session, who, **values)  # type: ignore[arg-type]

    await world.ctx.write(work)


async def _runs(world: AlertWorld) -> list[AlertRun]:
    async with world.session_factory() as session:
        return list((await session.scalars(select(AlertRun).order_by(AlertRun.id))).all())


# ------------------------------------------------------------------------------ schedule


async def test_the_monday_job_at_0800_wita_sends_the_week_49_alert(world: AlertWorld) -> None:
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    outcome = await world.service().run_due()
    assert outcome.claimed and outcome.period_key == "2026-W49"
    assert outcome.report is not None and outcome.report.sent == 3  # kotabaru, camat, admin
    (run,) = await _runs(world)
    assert run.status is AlertRunStatus.DONE and run.due_at == MONDAY_0800
    (text,) = texts_to(world, "pejabat_kecamatan")
    assert "Peringatan mingguan IKK — Minggu ke-49, 30 Nov – 6 Des 2026" in text
    assert "Desa Sepapah" in text and "W49" not in text


async def test_a_minute_before_0800_the_previous_week_was_done_so_nothing_is_sent(
    world: AlertWorld,
) -> None:
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    world.clock.now = MONDAY_0800 - timedelta(minutes=1)
    outcome = await world.service().run_due()
    # Week 48's run was due last Monday, more than 24 hours ago: too late to catch up.
    assert not outcome.claimed and outcome.period_key is None
    assert world.sender.sent == [] and await _runs(world) == []


async def test_a_process_down_from_sunday_to_tuesday_catches_up_once_at_start_up(
    world: AlertWorld,
) -> None:
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    world.clock.now = MONDAY_0800 + timedelta(hours=23)  # Tuesday 07:00 WITA
    first = await world.service().run_due()  # the start-up catch-up
    assert first.claimed and first.period_key == "2026-W49"
    assert len(world.sender.sent) == 3
    world.clock.advance(minutes=30)
    again = await world.service().run_due()  # another restart, or the sweep
    assert not again.claimed and again.period_key == "2026-W49"
    assert len(world.sender.sent) == 3 and len(await _runs(world)) == 1


async def test_a_run_due_more_than_24_hours_ago_is_not_sent_late(world: AlertWorld) -> None:
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    world.clock.now = MONDAY_0800 + timedelta(hours=24, minutes=1)  # Tuesday 08:01
    outcome = await world.service().run_due()
    assert not outcome.claimed and world.sender.sent == []


async def test_two_processes_starting_together_send_once(world: AlertWorld) -> None:
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    # A second "process": its own engine and connection pool on the same database.
    url = world.session_factory.kw["bind"].url
    other_engine = create_engine(url.render_as_string(hide_password=False))
    try:
        other_ctx = ServiceContext(create_session_factory(other_engine), INSTRUMENT)
        first = world.service()
        second = world.service(ctx=other_ctx)
        outcomes = await asyncio.gather(first.run_due(), second.run_due(), first.run_due())
    finally:
        await other_engine.dispose()
    assert sum(o.claimed for o in outcomes) == 1
    assert sorted(m.chat_id for m in world.sender.sent) == sorted(
        [chat(world, "pejabat_kotabaru"), chat(world, "pejabat_kecamatan"), chat(world, "admin")]
    )
    assert len(await _runs(world)) == 1


async def test_ten_concurrent_claims_of_one_period_have_exactly_one_winner(
    world: AlertWorld,
) -> None:
    results = await asyncio.gather(*[
        claim_run(world.ctx, WEEKLY_ALERT, "2026-W49", [], now=MONDAY_0800) for _ in range(10)
    ])
    assert len([r for r in results if r is not None]) == 1


async def test_a_run_with_no_recipient_is_claimed_and_done_at_once(world: AlertWorld) -> None:
    outcome = await world.service().run_due()  # no data: nothing red anywhere
    assert outcome.claimed and outcome.deliveries == 0
    (run,) = await _runs(world)
    assert run.status is AlertRunStatus.DONE
    assert world.sender.sent == []


async def test_an_unusable_schedule_switched_off_sends_nothing_scheduled(
    world: AlertWorld,
) -> None:
    world.settings = world.settings.model_copy(update={"alert_schedule": "off"})
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    outcome = await world.service().run_due()
    assert not outcome.claimed and world.sender.sent == []


# ------------------------------------------------------------------------------ content


async def test_an_official_never_receives_another_kabupatens_villages(world: AlertWorld) -> None:
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    await set_village(world, BATAKAN, RED_BATAKAN)
    await world.service().run_due()
    (kotabaru,) = texts_to(world, "pejabat_kotabaru")
    (tanah_laut,) = texts_to(world, "pejabat_tanah_laut")
    (admin,) = texts_to(world, "admin")
    assert "Sepapah" in kotabaru and "Batakan" not in kotabaru
    assert "Batakan" in tanah_laut and "Sepapah" not in tanah_laut
    assert "Batakan" in admin and "Sepapah" in admin


async def test_the_minimum_families_rule_applies_to_each_indicators_applicable_families(
    world: AlertWorld,
) -> None:
    # Betung has only 9 families applicable to KF1 (all failing): not reported.
    await set_village(world, BETUNG, {"KF1": (0, 9)}, families=9)
    await set_village(world, SEPAPAH, {"KF1": (0, 10)}, families=10)
    await world.service().run_due()
    (text,) = texts_to(world, "pejabat_kecamatan")
    assert "Desa Sepapah" in text and "Sungai Betung" not in text
    assert "minimal 10 keluarga" in text


async def test_the_minimum_families_setting_is_configurable(world: AlertWorld) -> None:
    world.settings = world.settings.model_copy(update={"min_families": 5})
    # MIN_FAMILIES also lets the report service show a village of 9 families (as
    # ServiceContext.create does from the same settings in production).
    world.ctx = replace(world.ctx, min_families=5)
    await set_village(world, BETUNG, {"KF1": (0, 9)}, families=9)
    await world.service().run_due()
    (text,) = texts_to(world, "pejabat_kecamatan")
    assert "Sungai Betung" in text and "minimal 5 keluarga" in text


async def test_an_official_following_a_sector_receives_only_its_indicators(
    world: AlertWorld,
) -> None:
    await set_village(world, SEPAPAH, {"KF2": (10, 40), "KE1": (10, 40), "KE7": (10, 40)})
    await _subscribe(world, world.people.pejabat_kecamatan, sectors=["BPJS"])
    await _subscribe(world, world.people.pejabat_kotabaru, sectors=["Dinas Perkim"])
    await world.service().run_due()
    (bpjs,) = texts_to(world, "pejabat_kecamatan")
    (perkim,) = texts_to(world, "pejabat_kotabaru")
    assert "KE7" in bpjs and "KF2" not in bpjs and "KE1" not in bpjs
    assert "Sektor yang Anda ikuti: BPJS" in bpjs
    assert "KE1" in perkim and "KE7" not in perkim


async def test_quiet_weeks_send_a_short_note_only_to_those_who_asked(world: AlertWorld) -> None:
    await set_village(world, SEPAPAH, {})  # data, but nothing red
    await _subscribe(world, world.people.pejabat_kecamatan, quiet_weeks=True)
    outcome = await world.service().run_due()
    assert outcome.deliveries == 1
    (note,) = texts_to(world, "pejabat_kecamatan")
    assert "Tidak ada indikator merah minggu ini." in note
    assert texts_to(world, "pejabat_kotabaru") == []


async def test_officials_who_switched_alerts_off_or_blocked_the_bot_get_no_row(
    world: AlertWorld,
) -> None:
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    await _subscribe(world, world.people.pejabat_kecamatan, enabled=False)

    async def block(session):  # type: ignore[no-untyped-def]
        await session.execute(
            update(AppUser).where(AppUser.id == world.people.admin).values(reachable=False)
        )

    await world.ctx.write(block)
    service = world.service()
    plans = {p.official.user_id: p for p in await service.plan("2026-W49")}
    assert plans[world.people.pejabat_kecamatan].skip is Skip.DISABLED
    assert plans[world.people.admin].skip is Skip.UNREACHABLE
    assert plans[world.people.pejabat_tanah_laut].skip is Skip.NOTHING
    assert world.people.kader not in plans  # cadres get no alert
    await service.run_due()
    assert {d.user_id for d in await deliveries(world)} == {world.people.pejabat_kotabaru}


async def test_new_worse_and_recovered_across_two_weeks_compare_with_what_was_told(
    world: AlertWorld,
) -> None:
    await set_village(world, SEPAPAH, {"KF1": (24, 40), "KE7": (28, 40)})  # 60 %, 70 %
    await world.service().run_due()
    (week49,) = texts_to(world, "pejabat_kecamatan")
    assert "🆕 KF1" in week49 and "🆕 KE7" in week49

    # Week 50: KF1 worse (50 %), KE7 recovered (87,5 %), KE4 new (25 %).
    await set_village(world, SEPAPAH, {"KF1": (20, 40), "KE7": (35, 40), "KE4": (10, 40)})
    world.clock.advance(days=7)
    outcome = await world.service().run_due()
    assert outcome.period_key == "2026-W50"
    week50 = texts_to(world, "pejabat_kecamatan")[1]
    assert "⬇️ KF1 Kecukupan pangan: <b>50,00 %</b> (sebelumnya 60,00 %)" in week50
    assert "🆕 KE4" in week50 and "🆕 KF1" not in week50
    assert "Membaik" in week50 and "KE7 Jaminan kesehatan 87,50 % (sebelumnya 70,00 %)" in week50


async def test_the_comparison_is_with_the_last_alert_actually_sent_not_with_old_data(
    world: AlertWorld,
) -> None:
    await set_village(world, SEPAPAH, {"KF1": (24, 40)})  # 60 %
    await _subscribe(world, world.people.pejabat_kecamatan, enabled=False)
    await world.service().run_due()  # week 49: the camat had alerts off and was told nothing
    await _subscribe(world, world.people.pejabat_kecamatan, enabled=True)
    await set_village(world, SEPAPAH, {"KF1": (20, 40)})  # 50 %
    world.clock.advance(days=7)
    await world.service().run_due()
    (camat,) = texts_to(world, "pejabat_kecamatan")
    assert "🆕 KF1" in camat  # new to HIM, although the data was red last week too
    kotabaru = texts_to(world, "pejabat_kotabaru")
    assert len(kotabaru) == 2 and "⬇️ KF1" in kotabaru[1]


async def test_a_new_survey_year_is_compared_with_the_last_alert_of_the_previous_year(
    world: AlertWorld,
) -> None:
    await set_village(world, SEPAPAH, {"KF1": (24, 40), "KE7": (28, 40)})
    await world.service().run_due()
    await set_village(world, SEPAPAH, {"KF1": (10, 20)}, families=20, period=2026)
    world.clock.advance(days=7)
    await world.service().run_due()
    text = texts_to(world, "pejabat_kecamatan")[1]
    assert "data tahun 2026" in text
    assert "⬇️ KF1" in text and "KE7 Jaminan kesehatan 100,00 % (sebelumnya 70,00 %)" in text


async def test_blocked_deliveries_do_not_count_as_told(world: AlertWorld) -> None:
    from telegram.error import Forbidden

    await set_village(world, SEPAPAH, {"KF1": (24, 40)})
    world.sender.fail(Forbidden("bot was blocked by the user"),
                      chat_id=chat(world, "pejabat_kecamatan"))
    await world.service().run_due()
    assert texts_to(world, "pejabat_kecamatan") == []

    async def unblock(session):  # type: ignore[no-untyped-def]
        await session.execute(
            update(AppUser)
            .where(AppUser.id == world.people.pejabat_kecamatan)
            .values(reachable=True)
        )

    await world.ctx.write(unblock)
    world.clock.advance(days=7)
    await world.service().run_due()
    (text,) = texts_to(world, "pejabat_kecamatan")
    assert "🆕 KF1" in text


async def test_run_now_for_an_area_sends_its_week_once_and_leaves_next_week_alone(
    world: AlertWorld,
) -> None:
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    await set_village(world, BATAKAN, RED_BATAKAN)
    world.clock.now = MONDAY_0800 + timedelta(days=2, hours=2)  # Wednesday 10:00, week 49
    outcome = await world.service().run_now(area="63.01")
    assert outcome.claimed and outcome.period_key == "2026-W49@63.01"
    assert [m.chat_id for m in world.sender.sent] == [chat(world, "pejabat_tanah_laut")]
    world.clock.advance(hours=3)  # later the same week: nothing new
    again = await world.service().run_now(area="63.01")
    assert not again.claimed and len(world.sender.sent) == 1
    assert again.earlier is not None and again.earlier.period_key == "2026-W49@63.01"
    assert (again.earlier.sent, again.earlier.total) == (1, 1)
    world.clock.now = MONDAY_0800 + timedelta(days=7)
    assert (await world.service().run_due()).period_key == "2026-W50"


async def test_run_now_after_the_scheduled_week_sends_nothing_and_force_makes_a_separate_run(
    world: AlertWorld,
) -> None:
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    scheduled = await world.service().run_due()
    assert len(world.sender.sent) == 3
    world.clock.advance(days=1)
    outcome = await world.service().run_now()
    assert not outcome.claimed and outcome.run_id is None and len(world.sender.sent) == 3
    assert outcome.earlier is not None and outcome.earlier.id == scheduled.run_id
    assert outcome.earlier.status is AlertRunStatus.DONE and outcome.earlier.sent == 3
    assert outcome.earlier.finished_at == MONDAY_0800

    forced = await world.service().run_now(force=True)
    assert forced.claimed and forced.period_key == "2026-W49#2"
    assert forced.report is not None and forced.report.sent == 3 and len(world.sender.sent) == 6
    again = await world.service().run_now(force=True)
    assert again.period_key == "2026-W49#3"
    # The scheduled run's record is as it was.
    runs = await _runs(world)
    assert [r.period_key for r in runs] == ["2026-W49", "2026-W49#2", "2026-W49#3"]
    assert runs[0].finished_at == MONDAY_0800
    first = await deliveries(world, scheduled.run_id)
    assert len(first) == 3 and {r.sent_at for r in first} == {MONDAY_0800}


async def test_the_week_after_an_area_run_now_does_not_tell_that_area_again(
    world: AlertWorld,
) -> None:
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    await set_village(world, BATAKAN, RED_BATAKAN)
    world.clock.now = MONDAY_0800 - timedelta(hours=1)  # Monday 07:00, before the schedule
    await world.service().run_now(area="63.01")
    assert [m.chat_id for m in world.sender.sent] == [chat(world, "pejabat_tanah_laut")]
    world.clock.now = MONDAY_0800
    outcome = await world.service().run_due()
    assert outcome.claimed and outcome.period_key == "2026-W49" and outcome.deliveries == 3
    receivers = sorted(m.chat_id for m in world.sender.sent)
    assert receivers.count(chat(world, "pejabat_tanah_laut")) == 1


async def test_a_delivery_stores_its_parts_and_snapshot_and_the_run_is_done(
    world: AlertWorld,
) -> None:
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    outcome = await world.service().run_due()
    rows = await deliveries(world, outcome.run_id)
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    camat = next(r for r in rows if r.user_id == world.people.pejabat_kecamatan)
    assert camat.parts_sent == 1 and camat.telegram_message_id is not None
    assert camat.sent_at == MONDAY_0800 and camat.lease_owner is None
    assert '"KF1":50.0' in (camat.snapshot or "")
    (message,) = world.sender.to(chat(world, "pejabat_kecamatan"))
    assert message.message_id == camat.telegram_message_id
    assert message.markup is not None
    (button,) = message.markup.inline_keyboard[0]
    assert button.text == "✅ Sudah dibaca"
    assert decode(button.callback_data) == AlertButton(Op.ACK, number=camat.id)
