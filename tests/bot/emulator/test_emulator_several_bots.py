"""Several bot tokens on one emulator, as at api.telegram.org: each bot has its own updates,
chats and flood limits; a user talks to one bot at a time."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import InvalidToken, RetryAfter

from bot.emulator import RateLimits, TelegramEmulator


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB's future `RetryAfter.retry_after` (a timedelta), without its deprecation warning."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


SECOND = "222333:SECOND-emulator-token-BBBBBBBBBBBBBBBBBBBB"


async def test_each_bot_sees_only_the_updates_sent_to_it() -> None:
    async with TelegramEmulator() as first:
        second = first.add_bot(SECOND, bot_username="ikk_kedua_bot")
        await first.user(1001).send("/start")
        await second.user(1001).send("halo kedua")
        async with Bot(first.token, base_url=first.base_url) as bot_a, \
                Bot(second.token, base_url=second.base_url) as bot_b:
            assert second.url == first.url
            assert (bot_a.username, bot_b.username) == ("ikk_test_bot", "ikk_kedua_bot")
            a_updates = await bot_a.get_updates(timeout=0)
            b_updates = await bot_b.get_updates(timeout=0)
            await bot_b.send_message(1001, "balasan kedua")

    assert [u.message.text for u in a_updates if u.message] == ["/start"]
    assert [u.message.text for u in b_updates if u.message] == ["halo kedua"]
    assert [m.text for m in second.user(1001).messages()] == ["balasan kedua"]
    assert first.user(1001).messages() == []
    assert first.calls("sendMessage") == [] and len(second.calls("sendMessage")) == 1


async def test_a_token_the_server_does_not_know_is_refused() -> None:
    async with TelegramEmulator() as first:
        first.add_bot(SECOND, bot_username="ikk_kedua_bot")
        with pytest.raises(InvalidToken):
            async with Bot("999:" + "z" * 35, base_url=first.base_url):
                pass


async def test_flood_limits_are_counted_per_token() -> None:
    async with TelegramEmulator(rate_limits=RateLimits()) as first:
        second = first.add_bot(SECOND, bot_username="ikk_kedua_bot")
        second.set_rate_limits(RateLimits())
        await first.user(1001).send("/start")
        await second.user(1001).send("/start")
        async with Bot(first.token, base_url=first.base_url) as bot_a, \
                Bot(second.token, base_url=second.base_url) as bot_b:
            for n in range(3):
                await bot_a.send_message(1001, f"a {n}")
            for n in range(3):  # the other token's chat with her has its own budget
                await bot_b.send_message(1001, f"b {n}")
            with pytest.raises(RetryAfter):
                await bot_b.send_message(1001, "b 3")

    assert first.flood_refusals() == 0 and second.flood_refusals() == 1
