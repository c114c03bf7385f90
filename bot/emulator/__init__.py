"""A Telegram Bot API emulator on 127.0.0.1, so the real PTB ``Application`` runs offline.

Tests and the offline demo start a :class:`TelegramEmulator`, point the bot at
``emulator.base_url``, and act as users through :class:`EmulatedUser`::

    async with TelegramEmulator() as emu:
        app = (ApplicationBuilder().token(emu.token).base_url(emu.base_url)
               .base_file_url(emu.base_file_url).build())
        async with app:
            await app.updater.start_polling(poll_interval=0, timeout=1)
            await app.start()
            await app.post_init(app)          # run_polling() would do this; we don't use it
            siti = emu.user(1001, "Siti")
            await siti.send("/start inv_abc")
            await siti.wait_reply()
            await siti.tap("Ya")
            await siti.wait_reply()
            print(siti.transcript())
            emu.release_pollers()             # the Updater stops at once
            await app.updater.stop()
            await app.stop()

``TelegramEmulator(rate_limits=RateLimits())`` enforces Telegram's flood limits (429 with
``retry_after``; see :mod:`bot.emulator.limits`); they are off by default.
"""

from bot.emulator.client import EmulatedUser, command_entities
from bot.emulator.errors import ApiError
from bot.emulator.faults import Fault, FaultPlan
from bot.emulator.files import UploadedFile, tiny_png
from bot.emulator.limits import CAPPED_METHODS, RateLimits
from bot.emulator.server import DEFAULT_TOKEN, TelegramEmulator
from bot.emulator.state import ApiCall, CallbackAnswer, CallbackQueryRecord, ChatMessage
from bot.emulator.webhook import SECRET_HEADER, WebhookDelivery

__all__ = [
    "CAPPED_METHODS",
    "DEFAULT_TOKEN",
    "SECRET_HEADER",
    "ApiCall",
    "ApiError",
    "CallbackAnswer",
    "CallbackQueryRecord",
    "ChatMessage",
    "EmulatedUser",
    "Fault",
    "FaultPlan",
    "RateLimits",
    "TelegramEmulator",
    "UploadedFile",
    "WebhookDelivery",
    "command_entities",
    "tiny_png",
]
