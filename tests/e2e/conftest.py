"""End-to-end fixtures: the real bot (built by `build_application`) polling the emulator over
HTTP, on a migrated SQLite or PostgreSQL database with the demo areas loaded.

`bot_harness` starts the bot; `harness.restart()` stops it and builds a NEW application on the
same database, as after a crash or a deploy. `harness.kader(...)` registers a cadre through a
real invite link (`/start inv_...`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db.database import Database
from bot.db.engine import create_engine
from bot.db.models import Answer, Role
from bot.emulator import EmulatedUser, TelegramEmulator
from bot.repositories.areas import load_demo_areas
from bot.repositories.invites import create_invite
from bot.repositories.scope import Scope
from bot.repositories.users import add_kader_village, get_user_by_telegram_id
from bot.settings import Settings
from bot.telegram import BotApplication, build_application

SEPAPAH = "63.02.12.2001"
SUNGAI_BETUNG = "63.02.12.2002"
KECAMATAN_SAMPANAHAN = "63.02.12"


@dataclass
class BotHarness:
    """The emulator, the database and the running bot application."""

    emulator: TelegramEmulator
    database: Database
    settings: Settings
    app: BotApplication | None = None
    started: list[BotApplication] = field(default_factory=list)
    overall_max_rate: float = 0.0
    """The bot's own pacing (messages/s); 0 unless a test runs with Telegram's limits on."""

    async def start(self) -> BotApplication:
        app = build_application(
            self.settings, self.database, overall_max_rate=self.overall_max_rate
        )
        await app.initialize()
        assert app.updater is not None and app.post_init is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        await app.post_init(app)
        self.app = app
        self.started.append(app)
        return app

    async def stop(self) -> None:
        app, self.app = self.app, None
        if app is None:
            return
        self.emulator.release_pollers()
        assert app.updater is not None
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def as_small_sample(self) -> BotHarness:
        """Restart the bot configured for a sample of a few families (MIN_CELL=1,
        MIN_FAMILIES=1), so three families show every figure; suppression at the production
        defaults is tested in test_e2e_disclosure.py."""
        await self.stop()
        self.settings = self.settings.model_copy(update={"min_cell": 1, "min_families": 1})
        await self.start()
        return self

    def handled(self) -> bool:
        """True when every update the emulator holds was fetched and fully handled."""
        app = self.app
        return (
            app is not None
            and self.emulator.updates.pending == 0
            and app.update_queue.empty()
            and app.update_processor.current_concurrent_updates == 0
        )

    async def settle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every queued update was fetched and fully handled, and the bot is quiet.

        For "nothing must happen" checks: the application's own queue and update processor say
        when handling is over, which the emulator alone cannot know.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.handled():
            assert asyncio.get_running_loop().time() < deadline, "the bot did not settle"
            await asyncio.sleep(0.01)
        await self.emulator.wait_idle(quiet=0.03)

    async def restart(self) -> BotApplication:
        await self.stop()
        return await self.start()

    async def invite(
        self, role: Role, area_code: str, *, uses: int = 1, ttl: timedelta = timedelta(days=7)
    ) -> str:
        async with self.database.session_factory() as session, session.begin():
            created = await create_invite(
                session, role=role, area_code=area_code, scope=Scope.everything(), uses=uses,
                ttl=ttl,
            )
        return created.code

    async def register(
        self, user_id: int, role: Role, area_code: str, *, first_name: str = "Siti"
    ) -> EmulatedUser:
        user = self.emulator.user(user_id, first_name)
        await user.send(f"/start {await self.invite(role, area_code)}")
        await user.wait_reply()
        return user

    async def kader(
        self, user_id: int = 1001, *, villages: tuple[str, ...] = (SEPAPAH,), name: str = "Siti"
    ) -> EmulatedUser:
        user = await self.register(user_id, Role.KADER, villages[0], first_name=name)
        if len(villages) > 1:
            async with self.database.session_factory() as session, session.begin():
                account = await get_user_by_telegram_id(session, user_id)
                assert account is not None
                for code in villages[1:]:
                    await add_kader_village(session, account, code)
        return user


@pytest.fixture
async def e2e_database(migrated_database_url: str) -> AsyncIterator[Database]:
    """A migrated database (SQLite or PostgreSQL) with the demo areas of Kotabaru."""
    engine = create_engine(migrated_database_url)
    try:
        async with Database.serving(engine) as database:
            async with database.session_factory() as session, session.begin():
                await load_demo_areas(session)
            yield database
    finally:
        await engine.dispose()


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(quiet_period=0.03, bot_username="ikk_test_bot") as emu:
        yield emu


def bot_settings(emulator: TelegramEmulator, database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        telegram_bot_token=emulator.token,  # type: ignore[arg-type]
        telegram_api_url=emulator.url,
        bot_username="ikk_test_bot",
    )


@pytest.fixture
async def harness(
    emulator: TelegramEmulator, e2e_database: Database, migrated_database_url: str
) -> AsyncIterator[BotHarness]:
    """The bot running against the emulator; stopped (quickly) after the test."""
    bot_harness = BotHarness(
        emulator, e2e_database, bot_settings(emulator, migrated_database_url)
    )
    await bot_harness.start()
    try:
        yield bot_harness
    finally:
        await bot_harness.stop()
    assert not emulator.state.internal_errors, emulator.state.internal_errors
    unanswered = [q for q in emulator.state.queries.values() if not q.answered]
    assert not unanswered, f"callback queries left spinning: {unanswered}"


async def stored_answers(harness: BotHarness) -> dict[str, str | None]:
    """Every stored answer, question → value (for tests with one family)."""
    async with harness.database.session_factory() as session:
        return dict((await session.execute(select(Answer.question, Answer.value))).all())
