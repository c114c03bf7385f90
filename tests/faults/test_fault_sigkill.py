"""`ikk-bot run` killed with SIGKILL at random moments while 20 kader answer at once.

The bot runs in its own process (forked from `bot_forkserver.py`) against the emulator in this
process; it is killed with `kill -9` two or three times and started again at once. Afterwards:
every answer the bot acknowledged (it replied with the next question) is stored, with the value
given; no kader has a second family and no update wrote two answers; and each kader, sending a
message, is shown the first question the database says she has not answered.

Polling on SQLite and webhook on PostgreSQL: both ways updates arrive, both databases.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.db.models import Answer, Role
from bot.emulator import TelegramEmulator
from bot.repositories.users import add_user
from tests.e2e.kader_steps import FAMILY_B, question_on
from tests.e2e.webhook_harness import SECRET, free_port
from tests.faults.forked_bot import ForkedBot
from tests.faults.kader_sim import BotLife, SimulatedKader, canonical, first_unanswered, stored_for

KADER = 20
ANSWERS_EACH = 6
FIRST_ID = 610_000
VILLAGES = [f"63.02.12.20{n:02d}" for n in range(1, 11)]


@pytest.fixture
def database_seed() -> str:
    return "demo"


@pytest.fixture
async def sessions(migrated_database_url: str) -> AsyncIterator[SessionFactory]:
    """The test's view of the bot's database, with 20 registered kader."""
    engine = create_engine(migrated_database_url)
    factory = create_session_factory(engine)
    async with factory() as session, session.begin():
        for n in range(KADER):
            await add_user(session, telegram_id=FIRST_ID + n, role=Role.KADER,
                           area_code=VILLAGES[n % len(VILLAGES)], display_name=f"Kader {n}")
    try:
        yield factory
    finally:
        await engine.dispose()


def family_of(n: int) -> dict[str, str]:
    answers = dict(FAMILY_B)
    answers["H_KEPALA"] = f"Kepala Keluarga {n}"
    answers["H_RT"] = str(n % 9 + 1)
    return answers


@pytest.mark.slow
@pytest.mark.parametrize(
    ("db_backend", "mode"), [("sqlite", "polling"), ("postgresql", "webhook")]
)
async def test_after_sigkills_every_acknowledged_answer_is_stored_once_and_kader_resume(
    mode: str,
    migrated_database_url: str,
    sessions: SessionFactory,
    tmp_path: Path,
) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    async with TelegramEmulator(quiet_period=0.03, webhook_connections=40) as emu:
        env = {
            "DATABASE_URL": migrated_database_url,
            "TELEGRAM_BOT_TOKEN": emu.token,
            "TELEGRAM_API_URL": emu.url,
            "WEBHOOK_SECRET": SECRET,
            "IKK_TEST_NO_RATE_CAP": "1",
        }
        arguments = ["run"]
        if mode == "webhook":
            port = free_port()
            arguments += ["--webhook-url", f"http://127.0.0.1:{port}/hook", "--port", str(port)]
        bot = ForkedBot(env, tmp_path, tmp_path / "bot.log", arguments)
        await bot.open()
        life = BotLife()

        async def start_bot() -> None:
            mark = emu.last_seq
            await bot.start()
            ready = "setMyCommands"  # the last call of a start, in both modes
            await emu.wait_for_call(ready, since=mark, timeout=30)
            life.started()

        kaders = [
            SimulatedKader(emu, emu.user(FIRST_ID + n, f"Kader{n}"), family_of(n), sessions, life)
            for n in range(KADER)
        ]
        try:
            await start_bot()
            kills_done = asyncio.Event()
            work = asyncio.gather(*(k.fill(ANSWERS_EACH, 45, kills_done) for k in kaders))
            for _ in range(rng.choice((2, 3))):
                await asyncio.sleep(rng.uniform(0.2, 1.2))
                assert not work.done(), work.result()  # raises what went wrong
                life.killed()
                await bot.kill()
                await start_bot()
            kills_done.set()
            await work

            # Every kader, sending something, is shown where the database says she is.
            shown: dict[int, str | None] = {}
            for kader in kaders:
                screen = await kader.resync(time.monotonic() + 10)
                shown[kader.user.id] = question_on(screen)
        finally:
            await bot.close()
            print(f"bot log (shown when the test fails):\n{bot.log()}")
        context = f"seed {seed}, {bot.kills} kills, mode {mode}\n{bot.log()[-1500:]}"

    assert bot.kills >= 2, context
    for kader in kaders:
        families = await stored_for(sessions, kader.user.id)
        assert len(families) == 1, f"kader {kader.user.id}: {len(families)} families; {context}"
        stored = families[0]
        for question, value in kader.acknowledged.items():
            assert question in stored, f"acknowledged {question} of {kader.user.id} lost; {context}"
            assert stored[question] == canonical(question, value), (
                f"kader {kader.user.id} {question}: {kader.acknowledged} vs {stored}; {context}"
                f"\n{kader.user.transcript()}"
            )
        assert shown[kader.user.id] == first_unanswered(stored), context
        assert len(kader.acknowledged) >= ANSWERS_EACH
    async with sessions() as session:
        writers = await session.execute(
            select(Answer.update_id, func.count()).where(Answer.update_id.is_not(None))
            .group_by(Answer.update_id).having(func.count() > 1)
        )
        assert writers.all() == [], f"an update wrote two answers; {context}"
