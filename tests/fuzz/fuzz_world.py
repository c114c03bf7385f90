"""The world the fuzz tests drive: the real bot in webhook mode against the emulator, on a
migrated database, with two kader in the middle of a family each, an official and a stranger.

Hypothesis calls the test body many times, but setting all this up costs about a second, so the
world is made once per test and lives on its own event loop; each example runs its actions
with `world.run(...)` and the state (drafts, answers) carries over, as a real bot's does.

`errors` collects every exception that reached the application's error handlers: a fuzz example
passes only if none did (the bot's own handler turns them into "coba lagi", which would hide a
crash from a test that only looked at the chat).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from telegram.ext import ContextTypes

from bot.db.database import Database
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import Answer, Role
from bot.emulator import EmulatedUser, TelegramEmulator
from bot.repositories.areas import load_demo_areas
from ikk_core.values import AnswerError, parse_answer, to_storage
from tests.e2e.conftest import KECAMATAN_SAMPANAHAN, SUNGAI_BETUNG, bot_settings
from tests.e2e.kader_steps import FAMILY_A, FAMILY_B, INSTRUMENT, act, answer_until
from tests.e2e.webhook_harness import WebhookHarness

T = TypeVar("T")

KADER_IDS = (1001, 1002)
OFFICIAL_ID = 2001
STRANGER_ID = 3001


@dataclass
class FuzzWorld:
    """The running bot, its users, and what went wrong so far."""

    loop: asyncio.AbstractEventLoop
    harness: WebhookHarness
    users: dict[int, EmulatedUser] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def emulator(self) -> TelegramEmulator:
        return self.harness.emulator

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    async def capture(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An extra error handler: remember every exception the application saw."""
        self.errors.append(f"{type(context.error).__name__}: {context.error} (update {update})")

    def button_data(self) -> list[str]:
        """Every callback data on any bot message in any chat (other questions, other
        families, old and current keyboards)."""
        found: list[str] = []
        for user_id in self.users:
            for message in self.emulator.messages(user_id, include_deleted=True):
                found += [data for row in message.button_data for data in row if data]
        return found

    async def settle(self) -> None:
        await self.harness.settle(20)

    async def garbage_answers(self) -> list[str]:
        """Stored answers that are not a canonical value of a question of the instrument."""
        async with self.harness.database.session_factory() as session:
            rows = (await session.execute(select(Answer.question, Answer.value))).all()
        bad: list[str] = []
        for name, value in rows:
            if not INSTRUMENT.has_question(name) or not INSTRUMENT.question(name).answerable:
                bad.append(f"{name}={value!r}: no such question")
                continue
            if value is None:
                continue
            try:
                canonical = to_storage(parse_answer(INSTRUMENT, INSTRUMENT.question(name), value))
            except AnswerError as error:
                bad.append(f"{name}={value!r}: {error}")
                continue
            if canonical != value:
                bad.append(f"{name}={value!r}: stored, but reads back as {canonical!r}")
        return bad

    def spinning(self) -> list[str]:
        """Callback queries the bot never answered."""
        return [q.query_id for q in self.emulator.state.queries.values() if not q.answered]


async def _build(url: str) -> tuple[TelegramEmulator, Database, WebhookHarness]:
    emulator = TelegramEmulator(quiet_period=0.02)
    await emulator.start()
    engine = create_engine(url)
    database = Database(engine, create_session_factory(engine))
    async with database.session_factory() as session, session.begin():
        await load_demo_areas(session)
    harness = WebhookHarness(emulator, database, bot_settings(emulator, url))
    await harness.start()
    return emulator, database, harness


def open_world(url: str) -> FuzzWorld:
    """Start the world on a new event loop: two kader mid-family, an official, a stranger."""
    loop = asyncio.new_event_loop()
    emulator, _, harness = loop.run_until_complete(_build(url))
    world = FuzzWorld(loop, harness)
    assert harness.app is not None
    harness.app.add_error_handler(world.capture)

    async def people() -> None:
        siti = await harness.kader(KADER_IDS[0], name="Siti")
        await act(harness, siti, siti.send("/survei"))
        await answer_until(harness, siti, FAMILY_A, stop_before="P_ANAK")
        budi = await harness.kader(KADER_IDS[1], villages=(SUNGAI_BETUNG,), name="Budi")
        await act(harness, budi, budi.send("/survei"))
        await answer_until(harness, budi, FAMILY_B, stop_before="KF1")
        ahmad = await harness.register(OFFICIAL_ID, Role.PEJABAT, KECAMATAN_SAMPANAHAN,
                                       first_name="Ahmad")
        world.users.update({siti.id: siti, budi.id: budi, ahmad.id: ahmad,
                            STRANGER_ID: emulator.user(STRANGER_ID, "Tamu")})

    world.run(people())
    assert world.errors == [], world.errors
    return world


def close_world(world: FuzzWorld) -> None:
    async def close() -> None:
        await world.harness.stop()
        await world.harness.database.engine.dispose()
        await world.emulator.stop()

    world.run(close())
    world.loop.close()
