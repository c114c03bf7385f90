"""The bot with its alert jobs under a test's clock and pacing, against the emulator.

`AlertHarness` is the e2e `BotHarness` whose alert service gets a `ShiftedClock` (a chosen
moment that then runs at real speed, so leases and pacing behave) and a `DeliveryPolicy`
before the application starts; the start-up catch-up job is kept only when a test asks for it.
`add_officials` writes many officials at once and marks their chats as started; the "families"
are written through the score repository (`tests.bot.alerts.conftest.seed_village`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.delivery import DeliveryPolicy
from bot.alerts.jobs import CATCH_UP_JOB, alert_service
from bot.alerts.service import AlertService
from bot.db.engine import run_in_transaction
from bot.db.models import AlertDelivery, AppUser, Role
from bot.emulator import ApiCall
from bot.repositories.areas import import_areas, read_area_rows
from bot.repositories.users import add_user
from bot.telegram import BotApplication, build_application
from tests.e2e.conftest import BotHarness

TANAH_LAUT_AREAS = """kode,nama
63.01.01,Panyipatan
63.01.01.2001,Batakan
"""


class ShiftedClock:
    """Wall time that starts at a chosen moment and runs at real speed."""

    def __init__(self, start: datetime) -> None:
        self.set(start)

    def set(self, moment: datetime) -> None:
        self._base = moment
        self._t0 = time.monotonic()

    def jump(self, **delta: float) -> None:
        self._base += timedelta(**delta)

    def __call__(self) -> datetime:
        return self._base + timedelta(seconds=time.monotonic() - self._t0)


@dataclass
class AlertHarness(BotHarness):
    clock: ShiftedClock = field(default_factory=lambda: ShiftedClock(datetime.now().astimezone()))
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    catch_up_at_start: bool = False
    poll: bool = True

    @property
    def alerts(self) -> AlertService:
        assert self.app is not None
        service = alert_service(self.app)
        assert service is not None
        return service

    async def start(self) -> BotApplication:
        app = build_application(self.settings, self.database, overall_max_rate=0)
        service = alert_service(app)
        assert service is not None and app.job_queue is not None
        service.clock = self.clock
        service.policy = self.policy
        if not self.catch_up_at_start:
            for job in app.job_queue.get_jobs_by_name(CATCH_UP_JOB):
                job.schedule_removal()
        await app.initialize()
        assert app.updater is not None and app.post_init is not None
        if self.poll:
            await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        await app.post_init(app)
        self.app = app
        self.started.append(app)
        return app

    async def add_tanah_laut(self) -> None:
        async def work(session: AsyncSession) -> None:
            rows, rejected = read_area_rows(TANAH_LAUT_AREAS)
            assert not rejected
            await import_areas(session, rows)

        await run_in_transaction(self.database.session_factory, work)

    async def add_official(
        self, telegram_id: int, area: str, name: str, role: Role = Role.PEJABAT
    ) -> int:
        """An official who has started the bot (their chat is known to Telegram)."""

        async def work(session: AsyncSession) -> int:
            user = await add_user(session, telegram_id=telegram_id, role=role, area_code=area,
                                  display_name=name)
            return user.id

        user_id = await run_in_transaction(self.database.session_factory, work)
        self.emulator.user(telegram_id, name)
        self.emulator.register_chat({"id": telegram_id, "type": "private", "first_name": name})
        return user_id

    async def add_officials(self, telegram_ids: Sequence[int], area: str) -> None:
        """Many pejabat of `area` in one statement, each with a started chat."""
        rows = [
            {"telegram_id": t, "display_name": f"Pejabat {t}", "role": Role.PEJABAT,
             "area_code": area, "language": "id", "active": True, "reachable": True}
            for t in telegram_ids
        ]

        async def work(session: AsyncSession) -> None:
            await session.execute(insert(AppUser), rows)

        await run_in_transaction(self.database.session_factory, work)
        for t in telegram_ids:
            self.emulator.register_chat({"id": t, "type": "private", "first_name": f"P{t}"})

    async def add_kader(self, telegram_id: int, village: str) -> int:
        async def work(session: AsyncSession) -> int:
            user = await add_user(session, telegram_id=telegram_id, role=Role.KADER,
                                  area_code=village, display_name="Siti Kader")
            return user.id

        return await run_in_transaction(self.database.session_factory, work)

    async def deliveries(self) -> list[AlertDelivery]:
        async with self.database.session_factory() as session:
            rows = await session.scalars(select(AlertDelivery).order_by(AlertDelivery.id))
            return list(rows.all())

    def alert_calls(self, since: int = 0) -> list[ApiCall]:
        """Every sendMessage carrying an alert (answered or refused), in order."""
        return [
            c for c in self.emulator.calls("sendMessage", since=since)
            if "Peringatan mingguan IKK" in str(c.params.get("text", ""))
        ]

    def alerts_received(self, since: int = 0) -> dict[int, int]:
        """Chat id → alert messages Telegram accepted."""
        counts: dict[int, int] = {}
        for call in self.alert_calls(since):
            if call.ok and call.chat_id is not None:
                counts[call.chat_id] = counts.get(call.chat_id, 0) + 1
        return counts
