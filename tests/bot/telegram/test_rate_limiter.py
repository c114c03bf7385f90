"""ReplyRateLimiter: a 429 is waited out and resent for its own chat only; pacing at 30/s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.emulator import ApiError, RateLimits
from bot.emulator.limits import FloodControl
from bot.telegram.rate_limiter import PACER_BURST, ReplyRateLimiter


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB's future `RetryAfter.retry_after` (a timedelta), without its deprecation warning."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


Result = bool | dict[str, Any] | list[dict[str, Any]]


class Telegram:
    """Plays the API: refuses chosen chats' calls with 429 a given number of times."""

    def __init__(self, refusals: dict[int | None, int] | None = None, wait: float = 0.2) -> None:
        self.refusals = dict(refusals or {})
        self.wait = wait
        self.sent: list[tuple[int | None, float]] = []
        self.refused: list[tuple[int | None, float]] = []

    def call(self, chat: int | None, *, latency: float = 0.0
             ) -> Callable[..., Coroutine[Any, Any, Result]]:
        async def request(*args: Any, **kwargs: Any) -> Result:
            if latency:
                await asyncio.sleep(latency)
            if self.refusals.get(chat, 0) > 0:
                self.refusals[chat] -= 1
                self.refused.append((chat, time.monotonic()))
                raise RetryAfter(timedelta(seconds=self.wait))
            self.sent.append((chat, time.monotonic()))
            return True

        return request


async def send(limiter: ReplyRateLimiter, telegram: Telegram, chat: int | None,
               endpoint: str = "sendMessage", *, latency: float = 0.0,
               retries: int | None = None) -> Result:
    data: dict[str, Any] = {} if chat is None else {"chat_id": chat}
    return await limiter.process_request(
        telegram.call(chat, latency=latency), (), {}, endpoint, data, retries
    )


async def test_a_refused_reply_waits_retry_after_and_is_sent_once() -> None:
    telegram = Telegram({42: 1}, wait=0.2)
    limiter = ReplyRateLimiter(overall_max_rate=0, max_retries=2)

    began = time.monotonic()
    assert await send(limiter, telegram, 42) is True

    assert len(telegram.refused) == 1 and len(telegram.sent) == 1
    assert telegram.sent[0][1] - began >= 0.2 + 0.1 - 0.01  # retry_after plus the margin


async def test_after_the_last_retry_the_429_reaches_the_caller() -> None:
    telegram = Telegram({42: 3}, wait=0.01)
    limiter = ReplyRateLimiter(overall_max_rate=0, max_retries=2)

    with pytest.raises(RetryAfter):
        await send(limiter, telegram, 42)
    assert len(telegram.refused) == 3 and telegram.sent == []


async def test_a_call_may_ask_for_no_retry_at_all() -> None:
    telegram = Telegram({42: 1}, wait=0.01)
    limiter = ReplyRateLimiter(overall_max_rate=0, max_retries=2)

    with pytest.raises(RetryAfter):
        await send(limiter, telegram, 42, retries=0)


async def test_one_chat_over_its_limit_does_not_hold_up_other_chats_or_button_answers() -> None:
    telegram = Telegram({42: 1}, wait=0.5)
    limiter = ReplyRateLimiter(overall_max_rate=30, max_retries=2)

    began = time.monotonic()
    slow = asyncio.create_task(send(limiter, telegram, 42))
    await asyncio.sleep(0.05)  # chat 42 is now halted for 0.6 s
    assert limiter.halted_for(42) > 0.4
    await send(limiter, telegram, 7)
    await send(limiter, telegram, None, "answerCallbackQuery")
    others_done = time.monotonic() - began
    await slow

    assert others_done < 0.4
    assert [chat for chat, _ in telegram.sent] == [7, None, 42]


async def test_a_halt_is_not_released_early_by_another_call_finishing() -> None:
    """python-telegram-bot #5338: in AIORateLimiter any request that finished set the shared
    event again, so the chat's next call went out inside the wait Telegram asked for."""
    telegram = Telegram({42: 1}, wait=0.4)
    limiter = ReplyRateLimiter(overall_max_rate=0, max_retries=2)

    began = time.monotonic()
    in_flight = asyncio.create_task(send(limiter, telegram, 42, latency=0.1))
    await asyncio.sleep(0)  # on the wire before the halt; it finishes inside the halt
    first = asyncio.create_task(send(limiter, telegram, 42))
    await asyncio.sleep(0.02)
    second = asyncio.create_task(send(limiter, telegram, 42))
    await asyncio.gather(first, in_flight, second)

    refused_at = telegram.refused[0][1]
    later = [at for chat, at in telegram.sent if at > refused_at + 0.15]
    assert len(later) == 2, telegram.sent  # the retry and the call made during the halt
    assert all(at - began >= 0.5 - 0.01 for at in later)


async def test_chat_calls_are_paced_to_thirty_a_second_after_a_short_burst() -> None:
    telegram = Telegram()
    limiter = ReplyRateLimiter(overall_max_rate=30, max_retries=2)
    calls = PACER_BURST + 6

    await asyncio.gather(*(send(limiter, telegram, chat) for chat in range(calls)))

    times = sorted(at for _, at in telegram.sent)
    assert len(times) == calls
    assert times[-1] - times[0] >= 5 / 30  # the six beyond the burst were spaced out
    await asyncio.gather(*(send(limiter, telegram, None, "answerCallbackQuery")
                           for _ in range(50)))  # button answers are not paced at all


async def test_calls_held_by_a_halt_go_out_one_by_one_and_none_is_refused_twice() -> None:
    """A tapped answer edits the old question and sends the next one at once; after a 429
    released together they would meet an empty per-chat allowance and be refused again."""
    clock_started = time.monotonic()
    flood = FloodControl(RateLimits(per_chat_rate=1.0, per_chat_burst=1.0))
    refused: list[float] = []

    def telegram(chat: int) -> Callable[..., Coroutine[Any, Any, Result]]:
        async def request(*args: Any, **kwargs: Any) -> Result:
            try:
                flood.admit("sendMessage", chat)
            except ApiError as error:
                refused.append(time.monotonic() - clock_started)
                raise RetryAfter(timedelta(seconds=error.parameters["retry_after"])) from None
            return True

        return request

    limiter = ReplyRateLimiter(overall_max_rate=30, max_retries=1)
    results = await asyncio.gather(*(
        limiter.process_request(telegram(42), (), {}, "sendMessage", {"chat_id": 42}, None)
        for _ in range(3)
    ))

    assert results == [True, True, True]  # with one retry each: none was refused twice
    assert 1 <= len(refused) <= 2
    assert flood.admitted[42] == 3
