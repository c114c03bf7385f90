"""The outbox sender against scripted Telegram answers, on both databases: what each error does
to a row, long alerts in parts, leases, crashes and restarts, acknowledgements."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import warnings
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.alerts.delivery import AckOutcome, acknowledge
from bot.alerts.owner import process_owner
from bot.alerts.runs import EXPIRED_ERROR
from bot.db.models import AlertDelivery, AlertRun, AlertRunStatus, AppUser, DeliveryStatus
from tests.bot.alerts.conftest import (
    CODES_ALL,
    SEPAPAH,
    AlertWorld,
    FakeSender,
    chat,
    deliveries,
    set_village,
)

RED = {"KF1": (20, 40)}


def _flood(seconds: float) -> RetryAfter:
    """A 429 answer (PTB warns about its own constructor; that warning is not ours)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return RetryAfter(timedelta(seconds=seconds))


async def _row(world: AlertWorld, who: int) -> AlertDelivery:
    rows = [d for d in await deliveries(world) if d.user_id == who]
    assert len(rows) >= 1
    return rows[-1]


async def _reachable(world: AlertWorld, user_id: int) -> bool:
    async with world.session_factory() as session:
        user = await session.get(AppUser, user_id)
        assert user is not None
        return bool(user.reachable)


@pytest.fixture
async def red(world: AlertWorld) -> AlertWorld:
    await set_village(world, SEPAPAH, RED)
    return world


async def test_retry_after_pauses_and_the_same_message_goes_out_once(red: AlertWorld) -> None:
    world = red
    world.sender.fail(_flood(0.2), times=2)
    outcome = await world.service().run_due()
    assert outcome.report is not None and outcome.report.sent == 3
    assert sorted(m.chat_id for m in world.sender.sent) == [201, 202, 301]
    assert len(world.sender.attempts) == 5
    assert {d.status for d in await deliveries(world)} == {DeliveryStatus.SENT}


async def test_forbidden_marks_the_row_blocked_and_the_user_unreachable_without_retry(
    red: AlertWorld,
) -> None:
    world = red
    camat = chat(world, "pejabat_kecamatan")
    world.sender.fail(Forbidden("Forbidden: bot was blocked by the user"), chat_id=camat)
    outcome = await world.service().run_due()
    assert outcome.report is not None
    assert (outcome.report.sent, outcome.report.blocked) == (2, 1)
    assert world.sender.attempts.count(camat) == 1
    row = await _row(world, world.people.pejabat_kecamatan)
    assert row.status is DeliveryStatus.BLOCKED and "blocked" in (row.last_error or "")
    assert not await _reachable(world, world.people.pejabat_kecamatan)
    assert (await world.service().run_due()).report is None  # nothing left to send


async def test_chat_not_found_fails_the_row_without_retry(red: AlertWorld) -> None:
    world = red
    admin = chat(world, "admin")
    world.sender.fail(BadRequest("Chat not found"), chat_id=admin)
    await world.service().run_due()
    row = await _row(world, world.people.admin)
    assert row.status is DeliveryStatus.FAILED and "Chat not found" in (row.last_error or "")
    assert world.sender.attempts.count(admin) == 1
    assert await _reachable(world, world.people.admin)


async def test_a_timeout_is_retried_once_and_the_second_timeout_gives_up(red: AlertWorld) -> None:
    world = red
    camat, admin = chat(world, "pejabat_kecamatan"), chat(world, "admin")
    world.sender.fail(TimedOut(), chat_id=camat)
    world.sender.fail(TimedOut(), chat_id=admin, times=5)
    await world.service().run_due()
    assert world.sender.attempts.count(camat) == 2 and len(world.sender.to(camat)) == 1
    assert world.sender.attempts.count(admin) == 2 and world.sender.to(admin) == []
    row = await _row(world, world.people.admin)
    assert row.status is DeliveryStatus.FAILED and row.uncertain == 2
    assert "mungkin sudah terkirim" in (row.last_error or "")


async def test_a_timeout_after_telegram_took_the_message_causes_at_most_one_copy_more(
    red: AlertWorld,
) -> None:
    world = red
    camat = chat(world, "pejabat_kecamatan")
    world.sender.delivered_then_raise[camat] = TimedOut()
    await world.service().run_due()
    assert len(world.sender.to(camat)) == 2  # the accepted cost of "maybe delivered"
    assert (await _row(world, world.people.pejabat_kecamatan)).status is DeliveryStatus.SENT


async def test_server_errors_back_off_and_retry_until_sent(red: AlertWorld) -> None:
    world = red
    world.sender.fail(NetworkError("Bad Gateway"), times=3)
    outcome = await world.service().run_due()
    assert outcome.report is not None and outcome.report.sent == 3
    assert sorted(m.chat_id for m in world.sender.sent) == [201, 202, 301]


async def test_a_row_failing_on_every_attempt_ends_failed_and_the_run_ends(
    red: AlertWorld,
) -> None:
    world = red
    admin = chat(world, "admin")
    world.sender.fail(NetworkError("Bad Gateway"), chat_id=admin, times=50)
    await world.service().run_due()
    row = await _row(world, world.people.admin)
    assert row.status is DeliveryStatus.FAILED and "percobaan" in (row.last_error or "")
    assert world.sender.attempts.count(admin) == 8
    async with world.session_factory() as session:
        (run,) = (await session.scalars(select(AlertRun))).all()
    assert run.status is AlertRunStatus.DONE


async def test_a_migrated_chat_is_followed_to_its_new_id(red: AlertWorld) -> None:
    world = red
    admin = chat(world, "admin")
    world.sender.fail(ChatMigrated(-100123), chat_id=admin)
    await world.service().run_due()
    assert len(world.sender.to(-100123)) == 1
    assert (await _row(world, world.people.admin)).chat_id == -100123


# ------------------------------------------------------------------------------ parts


async def test_a_long_alert_goes_in_parts_with_the_read_button_on_the_last_only(
    world: AlertWorld,
) -> None:
    everything_red = {code: (5, 40) for code in CODES_ALL}
    for village in ("63.02.12.2001", "63.02.12.2002"):
        await set_village(world, village, everything_red)
    await world.service().run_due()
    messages = world.sender.to(chat(world, "pejabat_kecamatan"))
    assert len(messages) >= 2
    assert all(len(m.text) <= 4096 for m in messages)
    assert [m.markup is not None for m in messages] == [False] * (len(messages) - 1) + [True]
    row = await _row(world, world.people.pejabat_kecamatan)
    assert row.parts_sent == len(messages) and row.telegram_message_id == messages[-1].message_id


async def test_a_restart_after_the_first_part_sends_only_the_rest(world: AlertWorld) -> None:
    everything_red = {code: (5, 40) for code in CODES_ALL}
    for village in ("63.02.12.2001", "63.02.12.2002"):
        await set_village(world, village, everything_red)
    camat = chat(world, "pejabat_kecamatan")
    crashing = FakeSender()
    first = world.service(sender=crashing)

    # The "process" dies right after the camat's first part was accepted.
    original = crashing.send

    async def send_then_die(chat_id, text, markup, seconds):  # type: ignore[no-untyped-def]
        message_id = await original(chat_id, text, markup, seconds)
        if chat_id == camat:
            raise asyncio.CancelledError
        return message_id

    crashing.send = send_then_die  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await first.run_due()
    first_parts = crashing.to(camat)
    assert len(first_parts) == 1
    row = await _row(world, world.people.pejabat_kecamatan)
    assert row.status is DeliveryStatus.PENDING and row.parts_sent == 0  # not recorded

    # Stopped mid-attempt: the next process sees the lease of a dead sender once it expires.
    world.clock.advance(minutes=5)
    await world.service().run_due()
    rest = world.sender.to(camat)
    row = await _row(world, world.people.pejabat_kecamatan)
    assert row.status is DeliveryStatus.SENT and row.uncertain == 1
    assert len(first_parts) + len(rest) == row.parts_sent + 1  # part 1 went twice, nothing else


# ------------------------------------------------------------------------------ crashes


async def test_a_graceful_stop_mid_run_records_what_was_sent_and_a_restart_sends_the_rest(
    red: AlertWorld,
) -> None:
    world = red
    slow = FakeSender()
    original = slow.send
    gate = asyncio.Event()

    async def slow_send(chat_id, text, markup, seconds):  # type: ignore[no-untyped-def]
        gate.set()
        await asyncio.sleep(0.2)
        return await original(chat_id, text, markup, seconds)

    slow.send = slow_send  # type: ignore[method-assign]
    from dataclasses import replace

    from tests.bot.alerts.conftest import FAST

    first = world.service(sender=slow, policy=replace(FAST, workers=1))
    task = asyncio.ensure_future(first.run_due())
    await gate.wait()
    task.cancel()  # the process is asked to stop while a message is on the wire
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(slow.sent) == 1  # the message in flight still went out ...
    rows = await deliveries(world)
    assert sum(r.status is DeliveryStatus.SENT for r in rows) == 1  # ... and was recorded
    assert all(r.lease_owner is None for r in rows)  # nothing left leased

    await world.service().run_due()  # restart at once: the run lease was released
    receivers = [m.chat_id for m in slow.sent + world.sender.sent]
    assert sorted(receivers) == [201, 202, 301]


async def test_a_row_left_mid_request_by_a_dead_sender_waits_for_the_lease_then_is_retried_once(
    red: AlertWorld,
) -> None:
    world = red
    await world.service().claim("2026-W49")
    camat_row = await _row(world, world.people.pejabat_kecamatan)

    async def dead_lease(session):  # type: ignore[no-untyped-def]
        await session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.id == camat_row.id)
            .values(lease_owner="dead-process", lease_until=world.clock.now + timedelta(minutes=2),
                    attempts=1, sending_since=world.clock.now)
        )

    await world.ctx.write(dead_lease)
    service = world.service()
    await service.resume()
    assert chat(world, "pejabat_kecamatan") not in world.sender.attempts  # still leased
    world.clock.advance(minutes=3)
    await service.resume()
    row = await _row(world, world.people.pejabat_kecamatan)
    assert row.status is DeliveryStatus.SENT and row.uncertain == 1


async def test_a_row_interrupted_twice_is_not_sent_a_third_time(red: AlertWorld) -> None:
    world = red
    await world.service().claim("2026-W49")
    camat_row = await _row(world, world.people.pejabat_kecamatan)

    async def interrupted(session):  # type: ignore[no-untyped-def]
        await session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.id == camat_row.id)
            .values(lease_owner="dead-process", lease_until=world.clock.now - timedelta(seconds=1),
                    attempts=2, uncertain=1, sending_since=world.clock.now)
        )

    await world.ctx.write(interrupted)
    await world.service().resume()
    row = await _row(world, world.people.pejabat_kecamatan)
    assert row.status is DeliveryStatus.FAILED and row.uncertain == 2
    assert chat(world, "pejabat_kecamatan") not in world.sender.attempts


async def test_a_row_only_leased_ahead_by_a_dead_sender_is_sent_without_counting_uncertain(
    red: AlertWorld,
) -> None:
    world = red
    await world.service().claim("2026-W49")
    camat_row = await _row(world, world.people.pejabat_kecamatan)

    async def leased_ahead(session):  # type: ignore[no-untyped-def]
        await session.execute(  # waiting for its send slot (a 429 pause) when the process died
            update(AlertDelivery)
            .where(AlertDelivery.id == camat_row.id)
            .values(lease_owner="dead-process", lease_until=world.clock.now - timedelta(seconds=1),
                    attempts=2, uncertain=1)
        )

    await world.ctx.write(leased_ahead)
    await world.service().resume()
    row = await _row(world, world.people.pejabat_kecamatan)
    assert row.status is DeliveryStatus.SENT and row.uncertain == 1  # not a second uncertain
    assert row.attempts == 2 and row.sending_since is None  # the attempt that never happened
    assert len(world.sender.to(chat(world, "pejabat_kecamatan"))) == 1


async def test_leases_of_a_dead_process_on_this_machine_are_released_at_once(
    red: AlertWorld,
) -> None:
    world = red
    outcome = await world.service().claim("2026-W49")
    dead = dead_process_owner()
    alive = process_owner()  # this very process: alive
    camat = await _row(world, world.people.pejabat_kecamatan)
    admin = await _row(world, world.people.admin)
    kotabaru = await _row(world, world.people.pejabat_kotabaru)
    later = world.clock.now + timedelta(minutes=2)

    async def crashed(session):  # type: ignore[no-untyped-def]
        await session.execute(update(AlertRun).where(AlertRun.id == outcome.run_id)
                              .values(sender=dead, sender_until=later))
        await session.execute(update(AlertDelivery).where(AlertDelivery.id == camat.id).values(
            lease_owner=dead, lease_until=later, attempts=1, sending_since=world.clock.now))
        await session.execute(update(AlertDelivery).where(AlertDelivery.id == admin.id).values(
            lease_owner=dead, lease_until=later, attempts=1))
        await session.execute(update(AlertDelivery).where(AlertDelivery.id == kotabaru.id)
                              .values(lease_owner=alive, lease_until=later, attempts=1))

    await world.ctx.write(crashed)
    await world.service().resume()  # well before the leases expire
    by_user = {r.user_id: r for r in await deliveries(world, outcome.run_id)}
    camat_row = by_user[world.people.pejabat_kecamatan]
    assert camat_row.status is DeliveryStatus.SENT and camat_row.uncertain == 1  # was on the wire
    admin_row = by_user[world.people.admin]
    assert admin_row.status is DeliveryStatus.SENT and admin_row.uncertain == 0  # never sent
    assert admin_row.attempts == 1
    # A live process's lease is never taken, however the run lease was released.
    kotabaru_row = by_user[world.people.pejabat_kotabaru]
    assert kotabaru_row.status is DeliveryStatus.PENDING and kotabaru_row.lease_owner == alive


async def test_another_process_holding_the_run_is_left_alone_until_its_lease_expires(
    red: AlertWorld,
) -> None:
    world = red
    outcome = await world.service().claim("2026-W49")

    async def held(session):  # type: ignore[no-untyped-def]
        await session.execute(
            update(AlertRun)
            .where(AlertRun.id == outcome.run_id)
            .values(sender="other-process", sender_until=world.clock.now + timedelta(minutes=1))
        )

    await world.ctx.write(held)
    assert outcome.run_id is not None
    assert await world.service().send_run(outcome.run_id) is None
    assert world.sender.sent == []
    world.clock.advance(minutes=2)
    report = await world.service().send_run(outcome.run_id)
    assert report is not None and report.sent == 3


async def test_a_run_not_finished_within_48_hours_is_given_up(red: AlertWorld) -> None:
    world = red
    outcome = await world.service().claim("2026-W49")
    world.clock.advance(hours=49)
    await world.service().resume()
    assert world.sender.sent == []
    rows = await deliveries(world, outcome.run_id)
    assert {(r.status, r.last_error) for r in rows} == {(DeliveryStatus.FAILED, EXPIRED_ERROR)}
    async with world.session_factory() as session:
        run = await session.get(AlertRun, outcome.run_id)
        assert run is not None and run.status is AlertRunStatus.FAILED


# ------------------------------------------------------------------------------ reading


async def test_the_first_tap_on_sudah_dibaca_is_stored_and_only_the_recipient_can_tap(
    red: AlertWorld,
) -> None:
    world = red
    await world.service().run_due()
    row = await _row(world, world.people.pejabat_kecamatan)
    camat = chat(world, "pejabat_kecamatan")
    assert await acknowledge(world.ctx, row.id, chat(world, "admin")) is AckOutcome.NOT_FOUND
    assert await acknowledge(world.ctx, 999_999, camat) is AckOutcome.NOT_FOUND
    assert await acknowledge(world.ctx, row.id, camat, now=world.clock.now) is AckOutcome.RECORDED
    assert await acknowledge(world.ctx, row.id, camat) is AckOutcome.ALREADY
    stored = await _row(world, world.people.pejabat_kecamatan)
    assert stored.acknowledged_at == world.clock.now


def dead_process_owner() -> str:
    """A lease owner of this machine whose process has ended (a child that exited)."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True, text=True, check=True,
    )
    machine, _pid, start, tag = process_owner().split(":")
    return f"{machine}:{int(child.stdout)}:{start}:{tag}"
