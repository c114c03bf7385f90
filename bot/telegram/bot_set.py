"""Several bots in one process: one PTB Application per token on one event loop, and the
routing that sends each user to the bot of her area.

Each Application has its own Bot, HTTP pools and `ReplyRateLimiter`, so each token is paced
on its own (Telegram's ~30 messages/s is per token), and its own update processor, which
claims updates as that bot's (`bot.db.bot_id`). All share one database and one
`BotDirectory`: the configured bots and their usernames (getMe at start), which the routing
gate and the invite links read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Final

from sqlalchemy import select
from telegram import Bot, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.bot_tokens import (
    DIRECTORY_KEY,
    BotConfigError,
    BotDirectory,
    BotToken,
    bot_for_area,
    configured_bots,
)
from bot.db.database import Database
from bot.db.engine import SessionFactory
from bot.db.models import AppUser
from bot.settings import Settings
from bot.telegram.application import BotApplication, build_application
from bot.telegram.chat_state import ACCOUNT_TTL_SECONDS
from bot.telegram.handlers.common import answer_query, send
from bot.telegram.logging import install_log_masking
from ikk_core.instrument import Instrument

__all__ = [
    "THIS_BOT_KEY",
    "build_bot_set",
    "fetch_usernames",
    "invite_username",
    "other_bot_text",
    "routing_handler",
]

log = logging.getLogger(__name__)

THIS_BOT_KEY: Final = "this_bot"
_OWNER_KEY: Final = "bot_owner"
ROUTING_GROUP: Final = -2
"""Before the gate (-1): a user of another bot gets the pointer and nothing else happens."""


def other_bot_text(username: str) -> str:
    """The one line a user gets from a bot that is not hers."""
    return (
        f"Wilayah Anda dilayani bot lain: @{username}. Buka https://t.me/{username} "
        "lalu tekan Mulai, dan lanjutkan di sana."
    )


async def _area_of(session_factory: SessionFactory, telegram_id: int) -> str | None:
    async with session_factory() as session:
        area: str | None = await session.scalar(
            select(AppUser.area_code).where(
                AppUser.telegram_id == telegram_id, AppUser.active.is_(True)
            )
        )
    return area


async def _owner_of(
    session_factory: SessionFactory,
    directory: BotDirectory,
    context: ContextTypes.DEFAULT_TYPE,
    telegram_id: int,
) -> BotToken | None:
    """The bot a registered user belongs to (None: a stranger, or no bot serves her area),
    remembered for `ACCOUNT_TTL_SECONDS` like her account: one query less per update."""
    memory = context.user_data
    cached = memory.get(_OWNER_KEY) if memory is not None else None
    if isinstance(cached, tuple) and time.monotonic() - cached[1] < ACCOUNT_TTL_SECONDS:
        owner: BotToken | None = cached[0]
        return owner
    area = await _area_of(session_factory, telegram_id)
    if area is None:
        return None  # strangers are not remembered: an invite redeemed now is seen at once
    owner = directory.owner(area)
    if memory is not None:
        memory[_OWNER_KEY] = (owner, time.monotonic())
    return owner


def _is_invite_start(update: Update) -> bool:
    message = update.message
    return bool(message and message.text and message.text.startswith("/start "))


def routing_handler(
    session_factory: SessionFactory, directory: BotDirectory, this: BotToken
) -> TypeHandler[Update, ContextTypes.DEFAULT_TYPE, None]:
    """Group -2: a registered user writing (a message, a button) in private to a bot that is
    not hers gets one line pointing to hers, and nothing else happens. Unknown users and
    invite links (`/start <code>`) pass: registering happens wherever the invite was opened."""

    async def route(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, chat = update.effective_user, update.effective_chat
        if (
            user is None or chat is None or chat.type != ChatType.PRIVATE
            or (update.message is None and update.callback_query is None)
            or len(directory.bots) < 2 or _is_invite_start(update)
        ):
            return  # groups, edits, blocking the bot ...: the gate and the handlers decide
        owner = await _owner_of(session_factory, directory, context, user.id)
        if owner is None or owner.bot_id == this.bot_id:
            return
        username = directory.usernames.get(owner.bot_id)
        if username is None:  # her bot did not answer getMe at start: better serve her here
            log.warning("bot of area %s has no known username; serving here", owner.label)
            return
        if update.callback_query is not None:
            await answer_query(update.callback_query)
        await send(update, context, other_bot_text(username))
        raise ApplicationHandlerStop

    return TypeHandler(Update, route)


def build_bot_set(
    settings: Settings,
    database: Database,
    served: Sequence[BotToken],
    directory: BotDirectory,
    *,
    instrument: Instrument | None = None,
    overall_max_rate: float = 30.0,
) -> list[BotApplication]:
    """One Application per served token, each with the routing gate and the directory."""
    install_log_masking([b.token for b in directory.bots])
    applications: list[BotApplication] = []
    for index, bot in enumerate(served):
        application = build_application(
            settings, database, instrument=instrument, overall_max_rate=overall_max_rate,
            token=bot.token, alerts=index == 0,  # the first sends every bot's alerts
        )
        application.bot_data[DIRECTORY_KEY] = directory
        application.bot_data[THIS_BOT_KEY] = bot
        application.add_handler(
            routing_handler(database.session_factory, directory, bot), group=ROUTING_GROUP
        )
        applications.append(application)
    return applications


async def fetch_usernames(settings: Settings, bots: Sequence[BotToken]) -> dict[int, str]:
    """Each bot's username from getMe (also bots another process serves: invite links and
    the routing line name them). Raises what Telegram raises (`InvalidToken` for a bad one)."""
    api = settings.telegram_api_url.rstrip("/")
    usernames: dict[int, str] = {}
    for entry in bots:
        async with Bot(entry.token, base_url=f"{api}/bot", base_file_url=f"{api}/file/bot") as bot:
            usernames[entry.bot_id] = bot.username
    return usernames


async def invite_username(settings: Settings, area_code: str) -> str:
    """The bot an invite for `area_code` must open: BOT_USERNAME with a single bot (no network),
    else the username (getMe) of the bot that serves the area. `BotConfigError` for wrongly
    configured tokens; Telegram's errors as raised."""
    if settings.telegram_bot_tokens is None and settings.telegram_bot_tokens_file is None:
        return settings.bot_username
    owner = bot_for_area(configured_bots(settings), area_code)
    if owner is None:
        raise BotConfigError(
            f"Tidak ada bot untuk wilayah {area_code}: tambahkan tokennya di TELEGRAM_BOT_TOKENS "
            "atau isi TELEGRAM_BOT_TOKEN sebagai bot utama."
        )
    return (await fetch_usernames(settings, [owner]))[owner.bot_id]
