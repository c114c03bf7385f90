"""A small world for the alert tests, on both databases, and fakes of Telegram and the clock.

Areas: Kabupaten Kotabaru (Kecamatan Sampanahan: Sepapah, Sungai Betung) and Kabupaten Tanah
Laut (Kecamatan Panyipatan: Batakan). People: a pejabat of each kabupaten, a pejabat of the
kecamatan, a provincial admin and a kader (who "submitted" the families). Family scores are
written through the score repository (`set_village`), as submission writes them: the alert
reads stored scores only, and entering hundreds of families through the questionnaire would
test something else.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.alerts.delivery import DeliveryPolicy
from bot.alerts.service import AlertService
from bot.db.engine import SessionFactory, run_in_transaction
from bot.db.models import AlertDelivery, Family, Response, ResponseStatus, Role
from bot.repositories.areas import import_areas, read_area_rows
from bot.repositories.scores import NewScores, rewrite_scores
from bot.repositories.users import add_user
from bot.services.context import ServiceContext
from bot.settings import Settings
from ikk_core.instrument_io import load_default_instrument

WITA = ZoneInfo("Asia/Makassar")
INSTRUMENT = load_default_instrument()
CODES_ALL = tuple(i.code for i in INSTRUMENT.indicators)
PERIOD = 2025

PROVINCE = "63"
TANAH_LAUT = "63.01"
BATAKAN = "63.01.01.2001"
KOTABARU = "63.02"
KECAMATAN = "63.02.12"
SEPAPAH = "63.02.12.2001"
BETUNG = "63.02.12.2002"

AREAS_CSV = """kode,nama
63,Kalimantan Selatan
63.01,Kabupaten Tanah Laut
63.01.01,Panyipatan
63.01.01.2001,Batakan
63.02,Kabupaten Kotabaru
63.02.12,Sampanahan
63.02.12.2001,Sepapah
63.02.12.2002,Sungai Betung
"""

# Monday 30 November 2026 08:00 WITA is when the default schedule is due (ISO week 49).
MONDAY_0800 = datetime(2026, 11, 30, 8, 0, tzinfo=WITA)


class FakeClock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class SentMessage:
    chat_id: int
    text: str
    markup: InlineKeyboardMarkup | None
    message_id: int


@dataclass
class FakeSender:
    """Telegram for the sender: records every message, or raises the next scripted error
    (per chat first, then for anyone)."""

    sent: list[SentMessage] = field(default_factory=list)
    attempts: list[int] = field(default_factory=list)
    errors: dict[int | None, list[TelegramError]] = field(default_factory=dict)
    delivered_then_raise: dict[int, TelegramError] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fail(self, error: TelegramError, *, chat_id: int | None = None, times: int = 1) -> None:
        self.errors.setdefault(chat_id, []).extend([error] * times)

    async def send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None, seconds: float
    ) -> int:
        self.attempts.append(chat_id)
        for key in (chat_id, None):
            queue = self.errors.get(key)
            if queue:
                raise queue.pop(0)
        message = SentMessage(chat_id, text, markup, next(self._ids))
        self.sent.append(message)
        late = self.delivered_then_raise.pop(chat_id, None)
        if late is not None:  # Telegram took it, but the answer never came back
            raise late
        return message.message_id

    def to(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id]


@dataclass(frozen=True)
class People:
    kader: int
    pejabat_kotabaru: int
    pejabat_kecamatan: int
    pejabat_tanah_laut: int
    admin: int


TELEGRAM_IDS = {
    "kader": 101,
    "pejabat_kotabaru": 201,
    "pejabat_kecamatan": 202,
    "pejabat_tanah_laut": 203,
    "admin": 301,
}


@dataclass
class AlertWorld:
    ctx: ServiceContext
    people: People
    clock: FakeClock
    sender: FakeSender
    settings: Settings

    @property
    def session_factory(self) -> SessionFactory:
        return self.ctx.session_factory

    def service(self, **overrides: object) -> AlertService:
        """An alert service (a "process") on this world's database, clock and fake Telegram."""
        sender = overrides.pop("sender", self.sender)

        def factory() -> OpenedSender:
            return OpenedSender(sender)  # type: ignore[arg-type]

        values: dict[str, object] = {
            "ctx": self.ctx,
            "settings": self.settings,
            "sender_factory": factory,
            "clock": self.clock,
            "policy": FAST,
        }
        values.update(overrides)
        return AlertService(**values)  # type: ignore[arg-type]


class OpenedSender:
    """A fake sender as the context manager the alert service opens per run."""

    def __init__(self, sender: FakeSender) -> None:
        self.sender = sender

    async def __aenter__(self) -> FakeSender:
        return self.sender

    async def __aexit__(self, *exc: object) -> None:
        return None


FAST = DeliveryPolicy(rate=1000.0, per_chat_interval=0.0, slack=0.0, backoff_start=0.01,
                      backoff_max=0.05)
"""Fast enough for unit tests (pacing itself is tested on its own and through the emulator)."""


def alert_settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


async def _populate(session_factory: SessionFactory) -> People:
    async def work(session: AsyncSession) -> People:
        rows, rejected = read_area_rows(AREAS_CSV)
        assert not rejected
        await import_areas(session, rows)
        spec = {
            "kader": (Role.KADER, SEPAPAH, "Siti Kader"),
            "pejabat_kotabaru": (Role.PEJABAT, KOTABARU, "Pak Kadis Kotabaru"),
            "pejabat_kecamatan": (Role.PEJABAT, KECAMATAN, "Pak Camat"),
            "pejabat_tanah_laut": (Role.PEJABAT, TANAH_LAUT, "Bu Kadis Tanah Laut"),
            "admin": (Role.ADMIN, PROVINCE, "Operator DP3A"),
        }
        ids = {}
        for key, (role, area, name) in spec.items():
            user = await add_user(session, telegram_id=TELEGRAM_IDS[key], role=role,
                                  area_code=area, display_name=name)
            ids[key] = user.id
        return People(**ids)

    return await run_in_transaction(session_factory, work)


@pytest.fixture
async def world(session_factory: SessionFactory) -> AlertWorld:
    people = await _populate(session_factory)
    ctx = ServiceContext(session_factory=session_factory, instrument=INSTRUMENT)
    return AlertWorld(ctx, people, FakeClock(MONDAY_0800), FakeSender(), alert_settings())


async def set_village(
    world: AlertWorld,
    village: str,
    pattern: Mapping[str, tuple[int, int]],
    *,
    families: int = 40,
    period: int = PERIOD,
) -> None:
    """`seed_village` in this world, the families "submitted" by its kader."""
    await seed_village(world.session_factory, world.people.kader, village, pattern,
                       families=families, period=period)


async def seed_village(
    session_factory: SessionFactory,
    cadre_id: int,
    village: str,
    pattern: Mapping[str, tuple[int, int]],
    *,
    families: int = 40,
    period: int = PERIOD,
) -> None:
    """Replace the village's submitted families of `period` by `families` families where
    indicator `code` is met by `met` of the `applicable` first families (pattern) and by
    every family for indicators not in the pattern."""
    codes = [i.code for i in INSTRUMENT.indicators]

    async def work(session: AsyncSession) -> None:
        old = await session.scalars(
            select(Response.id)
            .join(Family, Family.id == Response.family_id)
            .where(Family.village_code == village, Family.period == period)
        )
        await rewrite_scores(session, list(old.all()))
        await session.execute(
            delete(Family).where(Family.village_code == village, Family.period == period)
        )
        now = datetime.now(UTC)
        family_rows = [
            Family(village_code=village, rt=1, head_name=f"KK {k}", head_name_norm=f"kk {k}",
                   period=period, created_by=cadre_id, created_at=now)
            for k in range(families)
        ]
        session.add_all(family_rows)
        await session.flush()
        responses = [
            Response(family_id=f.id, cadre_id=cadre_id, instrument_id=INSTRUMENT.id,
                     instrument_version=INSTRUMENT.version, status=ResponseStatus.SUBMITTED,
                     version=1, started_at=now, updated_at=now, submitted_at=now)
            for f in family_rows
        ]
        session.add_all(responses)
        await session.flush()
        new_scores = []
        for k, response in enumerate(responses):
            scores: dict[str, int | None] = {}
            for code in codes:
                met, applicable = pattern.get(code, (families, families))
                scores[code] = None if k >= applicable else (1 if k < met else 0)
            new_scores.append(
                NewScores(response.id, period, village, scores, INSTRUMENT.id, INSTRUMENT.version)
            )
        await rewrite_scores(session, [], new_scores)

    await run_in_transaction(session_factory, work)


async def deliveries(world: AlertWorld, run_id: int | None = None) -> list[AlertDelivery]:
    async with world.session_factory() as session:
        query = select(AlertDelivery).order_by(AlertDelivery.id)
        if run_id is not None:
            query = query.where(AlertDelivery.run_id == run_id)
        return list((await session.scalars(query)).all())


def chat(world: AlertWorld, who: str) -> int:
    return TELEGRAM_IDS[who]


def texts_to(world: AlertWorld, who: str) -> list[str]:
    return [m.text for m in world.sender.to(chat(world, who))]


def all_chats(sender: FakeSender) -> Sequence[int]:
    return [m.chat_id for m in sender.sent]
