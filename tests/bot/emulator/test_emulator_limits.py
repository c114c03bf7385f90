"""Telegram's flood limits in the emulator: per token and per chat, 429 with retry_after."""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import RetryAfter

from bot.emulator import ApiError, EmulatedUser, RateLimits, TelegramEmulator
from bot.emulator.limits import FloodControl, is_capped


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB's future `RetryAfter.retry_after` (a timedelta), without its deprecation warning."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refusal(flood: FloodControl, method: str, chat_id: int | None) -> ApiError | None:
    try:
        flood.admit(method, chat_id)
    except ApiError as error:
        return error
    return None


def test_a_chat_gets_a_burst_of_three_then_one_message_a_second() -> None:
    clock = Clock()
    flood = FloodControl(RateLimits(), clock)

    assert [refusal(flood, "sendMessage", 42) for _ in range(3)] == [None, None, None]
    refused = refusal(flood, "editMessageText", 42)
    assert refused is not None and refused.status == 429
    assert refused.envelope() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    clock.now += 0.5
    assert refusal(flood, "sendMessage", 42) is not None  # half a token is not a message
    clock.now += 0.5
    assert refusal(flood, "sendMessage", 42) is None
    assert refusal(flood, "sendMessage", 43) is None  # another chat has its own bucket
    assert flood.admitted[42] == 4 and flood.refused[42] == 2


def test_the_token_gets_thirty_at_once_then_thirty_a_second_across_chats() -> None:
    clock = Clock()
    flood = FloodControl(RateLimits(), clock)

    assert all(refusal(flood, "sendMessage", chat) is None for chat in range(30))
    assert refusal(flood, "sendMessage", 100) is not None
    clock.now += 1 / 30
    assert refusal(flood, "sendMessage", 101) is None
    assert refusal(flood, "sendMessage", 102) is not None
    clock.now += 1.0
    assert sum(refusal(flood, "sendMessage", 200 + c) is None for c in range(40)) == 30


def test_a_long_wait_is_rounded_up_to_whole_seconds() -> None:
    clock = Clock()
    flood = FloodControl(RateLimits(per_chat_rate=0.2, per_chat_burst=1), clock)
    assert refusal(flood, "sendMessage", 7) is None
    refused = refusal(flood, "sendMessage", 7)
    assert refused is not None and refused.parameters == {"retry_after": 5}


def test_callback_answers_chat_actions_and_reads_are_free() -> None:
    clock = Clock()
    flood = FloodControl(RateLimits(per_chat_burst=1, per_token_burst=1), clock)
    for method in ("answerCallbackQuery", "sendChatAction", "getUpdates", "getMe",
                   "deleteMessage", "setMyCommands", "getFile"):
        assert not is_capped(method)
        assert all(refusal(flood, method, 42) is None for _ in range(10))
    for method in ("sendMessage", "sendPhoto", "sendDocument", "editMessageReplyMarkup",
                   "editMessageCaption", "copyMessage", "forwardMessage"):
        assert is_capped(method)


@pytest.fixture
async def limited() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(rate_limits=RateLimits()) as emu:
        yield emu


async def started(emulator: TelegramEmulator, user_id: int = 1001) -> EmulatedUser:
    user = emulator.user(user_id)
    await user.send("/start")
    return user


async def test_a_fourth_quick_message_to_one_chat_is_refused_as_ptb_retry_after(
    limited: TelegramEmulator,
) -> None:
    siti = await started(limited)
    async with Bot(limited.token, base_url=limited.base_url) as bot:
        for n in range(3):
            await bot.send_message(siti.chat_id, f"pesan {n}")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(siti.chat_id, "pesan 3")

    assert caught.value.retry_after == dtm.timedelta(seconds=1)
    assert [m.text for m in siti.messages()] == ["pesan 0", "pesan 1", "pesan 2"]
    assert limited.capped_calls(siti.chat_id) == 3
    assert limited.flood_refusals(siti.chat_id) == 1


async def test_button_answers_are_never_refused_while_the_chat_is_over_its_limit(
    limited: TelegramEmulator,
) -> None:
    siti = await started(limited)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="ya")]])
    async with Bot(limited.token, base_url=limited.base_url) as bot:
        await bot.send_message(siti.chat_id, "Pertanyaan", reply_markup=keyboard)
        for n in range(2):
            await bot.send_message(siti.chat_id, f"lagi {n}")
        for _ in range(3):
            query = await siti.tap("Ya")
            assert await bot.answer_callback_query(query.query_id, text="Tersimpan")

    assert limited.flood_refusals() == 0
    assert len(limited.callback_answers(siti.id)) == 3


async def test_limits_are_off_by_default_and_can_be_switched_on_later() -> None:
    async with TelegramEmulator() as emu:
        siti = await started(emu)
        async with Bot(emu.token, base_url=emu.base_url) as bot:
            for n in range(10):
                await bot.send_message(siti.chat_id, f"bebas {n}")
            emu.set_rate_limits(RateLimits())
            for n in range(3):
                await bot.send_message(siti.chat_id, f"terbatas {n}")
            with pytest.raises(RetryAfter):
                await bot.send_message(siti.chat_id, "terlalu cepat")
    assert emu.capped_calls(siti.chat_id) == 13
