"""A Telegram Bot API emulator on 127.0.0.1, so the real PTB ``Application`` runs offline.

Tests and the offline demo start a :class:`TelegramEmulator`, point the bot at
``emulator.base_url``, and act as users through :class:`EmulatedUser`.
"""

from bot.emulator.client import EmulatedUser, command_entities
from bot.emulator.errors import ApiError
from bot.emulator.faults import Fault, FaultPlan
from bot.emulator.files import UploadedFile, tiny_png
from bot.emulator.server import DEFAULT_TOKEN, TelegramEmulator
from bot.emulator.state import ApiCall, CallbackAnswer, CallbackQueryRecord, ChatMessage
from bot.emulator.webhook import SECRET_HEADER, WebhookDelivery

__all__ = [
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
    "TelegramEmulator",
    "UploadedFile",
    "WebhookDelivery",
    "command_entities",
    "tiny_png",
]
