"""Two bot tokens, one per kabupaten, served by one `ikk-bot run` (`serve`) against the
emulator: each kader registers and answers through her kabupaten's bot, a kader writing to the
other bot is sent to hers and nothing else happens, an invite made in one bot for the other
kabupaten opens the other bot, and the weekly alert reaches each official through her own bot.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.alerts.service import AlertService
from bot.cli_run import serve
from bot.db.bot_id import bot_id_of
from bot.db.database import Database
from bot.db.models import Answer, AppUser, Role
from bot.emulator import EmulatedUser, TelegramEmulator
from bot.repositories.areas import import_areas, read_area_rows
from bot.repositories.invites import create_invite
from bot.repositories.scope import Scope
from bot.services.context import ServiceContext
from bot.settings import Settings
from bot.telegram import texts
from tests.bot.alerts.conftest import seed_village
from tests.e2e.conftest import SEPAPAH
from tests.e2e.kader_steps import FAMILY_A, act, current_question, give

BANJAR_TOKEN = "222333:BANJAR-emulator-token-BBBBBBBBBBBBBBBBBBBB"
BANJAR_VILLAGE = "63.03.01.2001"
BANJAR_AREAS = "kode,nama\n63.03.01,Aluh-Aluh\n63.03.01.2001,Pemurus\n"


@dataclass
class OneBot:
    """What the kader steps need of one bot: its emulator, and "has it handled everything"."""

    emulator: TelegramEmulator

    def handled(self) -> bool:
        return self.emulator.updates.pending == 0


@dataclass
class TwoBots:
    kotabaru: TelegramEmulator
    banjar: TelegramEmulator
    database: Database
    settings: Settings

    async def invite(self, role: Role, area: str) -> str:
        async with self.database.session_factory() as session, session.begin():
            created = await create_invite(session, role=role, area_code=area,
                                          scope=Scope.everything())
        return created.code

    async def register(self, bot: TelegramEmulator, user_id: int, role: Role,
                       area: str) -> EmulatedUser:
        user = bot.user(user_id)
        await user.send(f"/start {await self.invite(role, area)}")
        await user.wait_reply()
        return user


@pytest.fixture
async def two_bots(
    e2e_database: Database, migrated_database_url: str
) -> AsyncIterator[TwoBots]:
    async with e2e_database.session_factory() as session, session.begin():
        rows, rejected = read_area_rows(BANJAR_AREAS)
        assert not rejected
        await import_areas(session, rows)
    async with TelegramEmulator(quiet_period=0.03, bot_username="ikk_kotabaru_bot") as kotabaru:
        banjar = kotabaru.add_bot(BANJAR_TOKEN, bot_username="ikk_banjar_bot")
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=migrated_database_url,
            telegram_bot_tokens=f"63.02={kotabaru.token},63.03={banjar.token}",  # type: ignore[arg-type]
            telegram_api_url=kotabaru.url,
        )
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(serve(settings, stop, ready=ready, poll_timeout=1))
        await asyncio.wait_for(ready.wait(), 30)
        try:
            yield TwoBots(kotabaru, banjar, e2e_database, settings)
        finally:
            stop.set()
            kotabaru.release_pollers()
            banjar.release_pollers()
            await asyncio.wait_for(task, 30)
        for emulator in (kotabaru, banjar):
            assert not emulator.state.internal_errors, emulator.state.internal_errors


async def answered_by_bot(database: Database, telegram_id: int) -> set[int | None]:
    async with database.session_factory() as session:
        rows = await session.scalars(
            select(Answer.bot_id).join(AppUser, AppUser.id == Answer.answered_by)
            .where(AppUser.telegram_id == telegram_id)
        )
        return set(rows.all())


async def test_each_kader_answers_through_the_bot_of_her_kabupaten(two_bots: TwoBots) -> None:
    siti = await two_bots.register(two_bots.kotabaru, 1001, Role.KADER, SEPAPAH)
    rina = await two_bots.register(two_bots.banjar, 1002, Role.KADER, BANJAR_VILLAGE)

    for bot, kader in ((OneBot(two_bots.kotabaru), siti), (OneBot(two_bots.banjar), rina)):
        await act(bot, kader, kader.send("/survei"))
        for _ in range(2):
            question = current_question(kader)
            assert question is not None, kader.transcript()[-800:]
            await give(bot, kader, question, FAMILY_A[question])

    assert await answered_by_bot(two_bots.database, 1001) == {bot_id_of(two_bots.kotabaru.token)}
    assert await answered_by_bot(two_bots.database, 1002) == {bot_id_of(BANJAR_TOKEN)}


async def test_a_kader_writing_to_the_other_bot_is_sent_to_hers_and_nothing_else_happens(
    two_bots: TwoBots,
) -> None:
    await two_bots.register(two_bots.kotabaru, 1001, Role.KADER, SEPAPAH)
    elsewhere = two_bots.banjar.user(1001)
    since = two_bots.banjar.last_seq

    await elsewhere.send("/survei")
    await elsewhere.wait_reply()
    await two_bots.banjar.wait_idle(quiet=0.1)

    replies = [m.text or "" for m in elsewhere.messages()]
    assert len(replies) == 1
    assert "@ikk_kotabaru_bot" in replies[0] and "https://t.me/ikk_kotabaru_bot" in replies[0]
    assert [c.method for c in two_bots.banjar.calls(since=since)] == ["sendMessage"]
    assert await answered_by_bot(two_bots.database, 1001) == set()


async def test_in_a_group_the_other_bot_gives_its_usual_hint_not_the_pointer_to_her_bot(
    two_bots: TwoBots,
) -> None:
    await two_bots.register(two_bots.kotabaru, 1001, Role.KADER, SEPAPAH)
    in_group = two_bots.banjar.user(1001)
    group = -100_555

    await in_group.send_in_group("halo semua", group)
    await in_group.send_in_group("/survei@ikk_banjar_bot", group)
    await two_bots.banjar.wait_idle(quiet=0.2)

    said = [m.text or "" for m in two_bots.banjar.messages(group)]
    assert said == [texts.PRIVATE_ONLY]  # a group sees no one's bot or area
    assert not any("ikk_kotabaru_bot" in text for text in said)


async def test_an_invite_for_the_other_kabupaten_opens_the_other_bot(two_bots: TwoBots) -> None:
    admin = await two_bots.register(two_bots.kotabaru, 3001, Role.ADMIN, "63")  # no main bot
    since = two_bots.kotabaru.last_seq

    await admin.send("/undang Pemurus")
    await admin.wait_reply()

    texts = [c.params.get("text", "") for c in two_bots.kotabaru.calls("sendMessage",
                                                                        since=since)]
    assert any("https://t.me/ikk_banjar_bot?start=" in str(t) for t in texts), texts


async def test_the_weekly_alert_reaches_each_official_through_her_own_bot(
    two_bots: TwoBots,
) -> None:
    kader = await two_bots.register(two_bots.kotabaru, 1001, Role.KADER, SEPAPAH)
    await two_bots.register(two_bots.kotabaru, 2001, Role.PEJABAT, "63.02")
    await two_bots.register(two_bots.banjar, 2002, Role.PEJABAT, "63.03")
    ctx = ServiceContext.create(two_bots.database.session_factory, two_bots.settings)
    async with two_bots.database.session_factory() as session:
        cadre = await session.scalar(select(AppUser.id).where(AppUser.telegram_id == kader.id))
    assert cadre is not None
    for village in (SEPAPAH, BANJAR_VILLAGE):
        await seed_village(two_bots.database.session_factory, cadre, village,
                           {"KF1": (10, 40)}, period=ctx.current_period())

    outcome = await AlertService(ctx=ctx, settings=two_bots.settings).run_now()

    assert outcome.claimed and outcome.report is not None and outcome.report.sent == 2
    for bot, mine, other in ((two_bots.kotabaru, 2001, 2002), (two_bots.banjar, 2002, 2001)):
        alerts = [m for m in bot.messages(mine) if any("Sudah dibaca" in b for row in m.buttons
                                                       for b in row)]
        assert len(alerts) == 1, bot.transcript(mine)
        assert bot.calls("sendMessage", chat_id=other) == []  # never through a stranger bot
