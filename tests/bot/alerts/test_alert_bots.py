"""With several bot tokens, each official's alert goes through her own bot (the bot of her
area), each token paced on its own; two processes on one database still send a run once."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from bot.alerts.service import AlertService
from bot.bot_tokens import BotToken
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import DeliveryStatus
from bot.services.context import ServiceContext
from tests.bot.alerts.conftest import (
    BATAKAN,
    FAST,
    INSTRUMENT,
    SEPAPAH,
    AlertWorld,
    FakeSender,
    OpenedSender,
    alert_settings,
    chat,
    deliveries,
    set_village,
)

TANAH_LAUT_BOT = "111:" + "a" * 35
KOTABARU_BOT = "222:" + "b" * 35
MAIN_BOT = "333:" + "c" * 35
RED_SEPAPAH = {"KF1": (20, 40)}
RED_BATAKAN = {"KF2": (10, 40)}


def service(
    world: AlertWorld, telegram: dict[int, FakeSender], **overrides: object
) -> AlertService:
    """A "process" whose Telegram is one fake per bot token."""
    values: dict[str, object] = {
        "ctx": world.ctx,
        "settings": alert_settings(
            telegram_bot_tokens=f"63.01={TANAH_LAUT_BOT},63.02={KOTABARU_BOT}",
            telegram_bot_token=MAIN_BOT,
        ),
        "bot_sender_factory": lambda bot: OpenedSender(telegram[bot.bot_id]),  # type: ignore[misc]
        "clock": world.clock,
        "policy": FAST,
    }
    values.update(overrides)
    return AlertService(**values)  # type: ignore[arg-type]


def chats_of(sender: FakeSender) -> list[int]:
    return sorted(m.chat_id for m in sender.sent)


async def test_two_processes_send_each_official_one_alert_through_her_own_bot(
    world: AlertWorld,
) -> None:
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    await set_village(world, BATAKAN, RED_BATAKAN)
    telegram = {111: FakeSender(), 222: FakeSender(), 333: FakeSender()}
    url = world.session_factory.kw["bind"].url
    other_engine = create_engine(url.render_as_string(hide_password=False))
    try:
        other_ctx = ServiceContext(create_session_factory(other_engine), INSTRUMENT)
        first, second = service(world, telegram), service(world, telegram, ctx=other_ctx)
        outcomes = await asyncio.gather(first.run_due(), second.run_due(), first.run_due())
    finally:
        await other_engine.dispose()

    assert sum(o.claimed for o in outcomes) == 1
    assert chats_of(telegram[111]) == [chat(world, "pejabat_tanah_laut")]
    assert chats_of(telegram[222]) == sorted(
        [chat(world, "pejabat_kotabaru"), chat(world, "pejabat_kecamatan")]
    )
    assert chats_of(telegram[333]) == [chat(world, "admin")]  # the province: the main bot
    assert {d.status for d in await deliveries(world)} == {DeliveryStatus.SENT}


async def test_an_official_no_bot_serves_is_left_pending_not_sent_through_a_stranger_bot(
    world: AlertWorld,
) -> None:
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    telegram = {111: FakeSender(), 222: FakeSender()}
    without_main = alert_settings(
        telegram_bot_tokens=f"63.01={TANAH_LAUT_BOT},63.02={KOTABARU_BOT}"
    )

    await service(world, telegram, settings=without_main).run_due()

    assert chat(world, "admin") not in chats_of(telegram[111]) + chats_of(telegram[222])
    statuses = {d.user_id: d.status for d in await deliveries(world)}
    assert statuses[world.people.admin] is DeliveryStatus.PENDING
    assert statuses[world.people.pejabat_kotabaru] is DeliveryStatus.SENT


async def test_each_token_has_its_own_pace(world: AlertWorld) -> None:
    await set_village(world, SEPAPAH, RED_SEPAPAH)
    await set_village(world, BATAKAN, RED_BATAKAN)
    telegram = {111: FakeSender(), 222: FakeSender(), 333: FakeSender()}
    one_a_second = replace(FAST, rate=1.0)
    tokens_only = alert_settings(  # one official per bot: Tanah Laut's and Kotabaru's
        telegram_bot_tokens=f"63.01={TANAH_LAUT_BOT},63.02.12={KOTABARU_BOT}"
    )
    sender = service(world, telegram, settings=tokens_only, policy=one_a_second)

    started = time.monotonic()
    await sender.run_due()
    elapsed = time.monotonic() - started

    # At one message a second, one shared pace would need a second for the two.
    assert len(telegram[111].sent) == len(telegram[222].sent) == 1
    assert elapsed < 0.8
    assert sender._pacer_of(BotToken("63.01", TANAH_LAUT_BOT)) is not sender._pacer_of(
        BotToken("63.02.12", KOTABARU_BOT)
    )
