"""``getUpdates`` behaves like Telegram's: offsets confirm, long polls wait, one poller wins."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Conflict

from bot.emulator import TelegramEmulator


async def test_updates_stay_until_confirmed_by_a_higher_offset(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = emulator.user(1001)
    for text in ("satu", "dua", "tiga"):
        await siti.send(text)

    first = await bot.get_updates(limit=2)
    again = await bot.get_updates(limit=2)
    rest = await bot.get_updates(offset=first[-1].update_id + 1)

    assert [u.message.text for u in first if u.message] == ["satu", "dua"]
    assert [u.update_id for u in again] == [u.update_id for u in first]
    assert [u.message.text for u in rest if u.message] == ["tiga"]
    ids = [u.update_id for u in (*first, *rest)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()


async def test_a_negative_offset_keeps_only_the_latest_updates(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = emulator.user(1001)
    for text in ("satu", "dua", "tiga"):
        await siti.send(text)

    latest = await bot.get_updates(offset=-1)

    assert [u.message.text for u in latest if u.message] == ["tiga"]


async def test_a_long_poll_waits_for_the_next_update_and_returns_it_at_once(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = emulator.user(1001)
    poll = asyncio.create_task(bot.get_updates(timeout=3))
    await emulator.wait_for(lambda: bool(emulator.calls("getUpdates")), what="the poll")
    began = time.monotonic()
    await siti.send("halo")
    updates = await poll

    assert [u.message.text for u in updates if u.message] == ["halo"]
    assert time.monotonic() - began < 0.5


async def test_an_empty_long_poll_ends_after_its_timeout_or_when_released(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    began = time.monotonic()
    assert await bot.get_updates(timeout=dtm.timedelta(milliseconds=300)) == ()
    assert time.monotonic() - began >= 0.3

    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await emulator.wait_for(lambda: len(emulator.calls("getUpdates")) == 2, what="the poll")
    began = time.monotonic()
    emulator.release_pollers()
    assert await poll == ()
    assert time.monotonic() - began < 0.5


async def test_a_second_bot_instance_polling_terminates_the_first_with_conflict(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await emulator.wait_for(lambda: len(emulator.calls("getUpdates")) == 1, what="first poll")
    async with Bot(emulator.token, base_url=emulator.base_url) as other_process:
        second = asyncio.create_task(
            other_process.get_updates(timeout=dtm.timedelta(milliseconds=200))
        )

        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        assert await second == ()


async def test_allowed_updates_filters_out_other_update_types(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = emulator.user(1001)
    await siti.send("/start")
    await bot.send_message(
        siti.chat_id,
        "Pilih",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="y")]]),
    )
    await siti.tap("Ya")
    await siti.send("teks")

    updates = await bot.get_updates(allowed_updates=["callback_query"])

    assert [u.callback_query.data for u in updates if u.callback_query] == ["y"]
    assert all(u.message is None for u in updates)
