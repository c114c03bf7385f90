"""The weekly alert to 30 officials survives two SIGKILLs of `ikk-bot run`, each during a 429
pause (issue 11 §3).

While Telegram says "retry after 5 s", up to 16 rows are leased by the bot's workers, waiting
for their send slot; none of their requests has started. Killing the bot then and again after
the restart used to leave those rows counted as two uncertain attempts each: officials who
were never sent anything ended `failed`. Now a row counts as uncertain only if its request had
started (`sending_since`), and a restarted bot releases at once the leases of the dead process
(same machine, pid gone) instead of waiting 120 s for them to expire.

The bot runs in its own process (forked by `bot_forkserver.py`, the real command line) with a
schedule due two minutes ago, so its start-up catch-up claims and sends the week.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database
from bot.db.engine import run_in_transaction
from bot.db.models import (
    AlertDelivery,
    AlertRun,
    AlertRunStatus,
    AlertSubscription,
    AppUser,
    DeliveryStatus,
    Role,
)
from bot.emulator import ApiCall, Fault, TelegramEmulator
from bot.repositories.users import add_user
from tests.bot.alerts.conftest import CODES_ALL, seed_village
from tests.faults.forked_bot import ForkedBot

OFFICIALS = 30
FIRST_CHAT = 700_000
KECAMATAN = "63.02.12"
VILLAGES = [f"{KECAMATAN}.{2001 + i}" for i in range(3)]
EVERYTHING_RED = {code: (5, 40) for code in CODES_ALL}
PAUSE = 5  # seconds Telegram asks the bot to wait
RESUME_WITHIN = 12.0  # seconds from a restart to the next alert (the lease is 120 s)
WITA = ZoneInfo("Asia/Makassar")


def schedule_due_two_minutes_ago() -> str:
    """A weekly cron line whose last due time is two minutes ago (WITA)."""
    due = datetime.now(WITA) - timedelta(minutes=2)
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[due.weekday()]
    return f"{due.minute} {due.hour} * * {day}"


@pytest.fixture
async def officials(e2e_database: Database, emulator: TelegramEmulator) -> AsyncIterator[list[int]]:
    """30 pejabat of one kecamatan whose villages are red, each following one sector (one
    short message each), with chats Telegram knows."""
    chats = list(range(FIRST_CHAT, FIRST_CHAT + OFFICIALS))
    factory = e2e_database.session_factory

    async def people(session: AsyncSession) -> int:
        kader = await add_user(session, telegram_id=FIRST_CHAT - 1, role=Role.KADER,
                               area_code=VILLAGES[0], display_name="Siti Kader")
        await session.execute(insert(AppUser), [
            {"telegram_id": t, "display_name": f"Pejabat {t}", "role": Role.PEJABAT,
             "area_code": KECAMATAN, "language": "id", "active": True, "reachable": True}
            for t in chats
        ])
        ids = (await session.scalars(
            select(AppUser.id).where(AppUser.telegram_id.in_(chats))
        )).all()
        await session.execute(insert(AlertSubscription), [
            {"user_id": i, "enabled": True, "sectors": "Kesbangpol", "quiet_weeks": False}
            for i in ids
        ])
        return kader.id

    kader_id = await run_in_transaction(factory, people)
    for village in VILLAGES:
        await seed_village(factory, kader_id, village, EVERYTHING_RED)
    for t in chats:
        emulator.register_chat({"id": t, "type": "private", "first_name": f"P{t}"})
    yield chats


def accepted_alerts(emu: TelegramEmulator, since: int = 0) -> list[ApiCall]:
    return [
        c for c in emu.calls("sendMessage", since=since)
        if c.ok and "Peringatan mingguan IKK" in str(c.params.get("text", ""))
    ]


def alerts_since(emu: TelegramEmulator, mark: int, count: int) -> bool:
    return len(accepted_alerts(emu, mark)) >= count


def refused_since(emu: TelegramEmulator, mark: int) -> bool:
    return any(c.status == 429 for c in emu.calls("sendMessage", since=mark))


async def rows(database: Database) -> list[AlertDelivery]:
    async with database.session_factory() as session:
        return list((await session.scalars(select(AlertDelivery))).all())


@pytest.mark.slow
async def test_two_sigkills_in_429_pauses_lose_no_official_and_the_bot_resumes_in_seconds(
    emulator: TelegramEmulator,
    e2e_database: Database,
    migrated_database_url: str,
    officials: list[int],
    tmp_path: Path,
) -> None:
    emu = emulator
    env = {
        "DATABASE_URL": migrated_database_url,
        "TELEGRAM_BOT_TOKEN": emu.token,
        "TELEGRAM_API_URL": emu.url,
        "ALERT_SCHEDULE": schedule_due_two_minutes_ago(),
        "IKK_TEST_NO_RATE_CAP": "1",
    }
    bot = ForkedBot(env, tmp_path, tmp_path / "bot.log", ["run"])
    await bot.open()
    resumed_after: list[float] = []
    try:
        for _kill in range(2):
            mark = emu.last_seq
            started = time.monotonic()
            await bot.start()
            # A few alerts go out, then Telegram refuses one with "retry after 5 s".
            await emu.wait_for(partial(alerts_since, emu, mark, 3), timeout=60,
                               what="three alerts after the start")
            resumed_after.append(
                min(c.started for c in accepted_alerts(emu, mark)) - started
            )
            emu.faults.add("sendMessage", Fault.too_many_requests(retry_after=PAUSE))
            refused = emu.last_seq
            await emu.wait_for(
                partial(refused_since, emu, refused), timeout=20, what="the 429"
            )
            await asyncio.sleep(1.0)  # well inside the pause: rows leased, none on the wire
            leased = [r for r in await rows(e2e_database) if r.lease_owner is not None]
            assert leased, "no row was leased ahead during the pause"
            assert all(r.sending_since is None for r in leased), "a request started in a pause"
            await bot.kill()
        mark = emu.last_seq
        started = time.monotonic()
        await bot.start()
        await emu.wait_for(lambda: len(accepted_alerts(emu, mark)) >= 1, timeout=60,
                           what="an alert after the second restart")
        resumed_after.append(min(c.started for c in accepted_alerts(emu, mark)) - started)
        await emu.wait_for(
            lambda: {c.chat_id for c in accepted_alerts(emu)} >= set(officials), timeout=60,
            what="every official's alert",
        )

        async def run_done() -> bool:
            async with e2e_database.session_factory() as session:
                run = (await session.scalars(select(AlertRun))).one()
                return run.status is AlertRunStatus.DONE

        deadline = time.monotonic() + 20
        while not await run_done():
            assert time.monotonic() < deadline, "the run never finished"
            await asyncio.sleep(0.2)
    finally:
        await bot.close()
        print(f"bot log (shown when the test fails):\n{bot.log()}")
    context = f"resumed after {resumed_after}\n{bot.log()[-3000:]}"

    received: dict[int, int] = {}
    for call in accepted_alerts(emu):
        assert call.chat_id is not None
        received[call.chat_id] = received.get(call.chat_id, 0) + 1
    assert received == dict.fromkeys(officials, 1), context  # each exactly once
    stored = await rows(e2e_database)
    assert len(stored) == OFFICIALS
    assert {r.status for r in stored} == {DeliveryStatus.SENT}, context
    # Nobody's request was on the wire at either kill: no attempt may count as uncertain.
    assert [r.uncertain for r in stored] == [0] * OFFICIALS, context
    assert all(r.lease_owner is None and r.sending_since is None for r in stored)
    assert bot.kills == 2
    print(f"\nresumed after {', '.join(f'{s:.1f}' for s in resumed_after)} s "
          "(start, after kill 1, after kill 2)")
    assert max(resumed_after[1:]) < RESUME_WITHIN, context
