"""A long poll that never comes back must not take the bot's only way to fetch updates.

On weak networks a `getUpdates` long poll can be torn down without a clean close and keep its
connection checked out. With one connection in the polling pool, every later `getUpdates` —
the next poll, or the Updater's last call at shutdown that confirms what was fetched — then
fails with "Pool timeout" and the bot hears nothing until it is restarted.
"""

from __future__ import annotations

import asyncio
import contextlib

from bot.emulator import TelegramEmulator
from bot.settings import Settings
from bot.telegram.application import build_shell


async def test_a_second_get_updates_goes_out_while_a_long_poll_still_holds_a_connection() -> None:
    async with TelegramEmulator() as emulator:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=emulator.token,  # type: ignore[arg-type]
            telegram_api_url=emulator.url,
        )
        bot = build_shell(settings).bot
        await bot.initialize()
        try:
            stuck = asyncio.create_task(bot.get_updates(timeout=20, read_timeout=30))
            await asyncio.sleep(0.3)  # the long poll now holds a connection at the emulator
            assert not stuck.done()

            # The emulator, like Telegram, ends the older poll with 409 when a newer one comes.
            updates = await asyncio.wait_for(
                bot.get_updates(timeout=0, pool_timeout=1.0), timeout=10
            )

            assert updates == ()
        finally:
            stuck.cancel()
            with contextlib.suppress(BaseException):
                await stuck
            await bot.shutdown()
