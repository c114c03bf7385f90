"""Injected faults reach PTB as the exceptions production code has to handle."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time

import pytest
from conftest import EchoBot
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.emulator import EmulatedUser, Fault, TelegramEmulator


async def started_user(emulator: TelegramEmulator, user_id: int = 1001) -> EmulatedUser:
    user = emulator.user(user_id)
    await user.send("/start")
    return user


async def test_a_429_fault_raises_retry_after_with_its_delay(
    emulator: TelegramEmulator, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    siti = await started_user(emulator)
    emulator.faults.add("sendMessage", Fault.too_many_requests(retry_after=7))

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(siti.chat_id, "kilat")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(siti.chat_id, "lagi")
    assert [m.text for m in siti.messages()] == ["lagi"]


async def test_faults_are_consumed_one_per_call_and_can_target_one_chat(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = await started_user(emulator, 1001)
    budi = await started_user(emulator, 1002)
    emulator.faults.add("sendMessage", Fault.forbidden(), chat_id=budi.chat_id, times=2)

    await bot.send_message(siti.chat_id, "untuk Siti")
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(budi.chat_id, "untuk Budi")
    await bot.send_message(budi.chat_id, "untuk Budi")

    assert emulator.faults.pending() == 0
    assert [c.status for c in emulator.calls("sendMessage", chat_id=budi.chat_id)] == [
        403,
        403,
        200,
    ]


async def test_server_errors_and_dropped_connections_raise_network_error(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = await started_user(emulator)
    emulator.faults.add("sendMessage", Fault.server_error(502, "Bad Gateway"))
    emulator.faults.add("sendMessage", Fault.drop_connection())

    with pytest.raises(NetworkError, match="Bad Gateway") as first:
        await bot.send_message(siti.chat_id, "a")
    with pytest.raises(NetworkError) as second:
        await bot.send_message(siti.chat_id, "b")

    assert not isinstance(first.value, BadRequest | TimedOut)
    assert not isinstance(second.value, BadRequest | TimedOut)
    assert siti.messages() == []


async def test_a_bad_request_fault_and_a_migration_map_to_their_exceptions(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = await started_user(emulator)
    emulator.faults.add("sendPhoto", Fault.bad_request("PHOTO_INVALID_DIMENSIONS"))
    emulator.faults.add("*", Fault.migrated(-100123))

    with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
        await bot.send_photo(siti.chat_id, b"\x89PNG")
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(siti.chat_id, "grup")
    assert caught.value.new_chat_id == -100123


async def test_a_slow_response_still_arrives_and_a_too_slow_one_times_out(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = await started_user(emulator)
    emulator.faults.add("sendMessage", Fault.slow(0.3), times=2)

    began = time.monotonic()
    await bot.send_message(siti.chat_id, "pelan")
    assert time.monotonic() - began >= 0.3
    with pytest.raises(TimedOut):
        await bot.send_message(siti.chat_id, "terlalu pelan", read_timeout=0.1)
    await emulator.wait_idle()

    # Telegram delivered it anyway: a timeout means "maybe sent".
    assert [m.text for m in siti.messages()] == ["pelan", "terlalu pelan"]


async def test_an_outage_fails_every_call_until_it_ends(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = await started_user(emulator)
    emulator.faults.outage(0.3, status=503, description="Service Unavailable")

    with pytest.raises(NetworkError, match="Service Unavailable"):
        await bot.send_message(siti.chat_id, "a")
    with pytest.raises(NetworkError):
        await bot.send_chat_action(siti.chat_id, "typing")
    await asyncio.sleep(0.35)
    await bot.send_message(siti.chat_id, "pulih")
    assert [m.text for m in siti.messages()] == ["pulih"]


async def test_the_polling_bot_survives_a_failing_reply_and_keeps_serving(
    emulator: TelegramEmulator, polling_bot: EchoBot
) -> None:
    siti = emulator.user(1001)
    emulator.faults.add("sendMessage", Fault.forbidden(), chat_id=siti.chat_id)
    await siti.send("pertama")
    await emulator.wait_for(lambda: bool(polling_bot.errors), what="the handler error")
    await siti.send("kedua")
    replies = await siti.wait_reply()

    assert isinstance(polling_bot.errors[0], Forbidden)
    assert [m.text for m in replies] == ["Kamu bilang: kedua"]
