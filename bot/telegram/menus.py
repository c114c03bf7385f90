"""The command menu Telegram shows next to the text field, per role, in Indonesian.

Strangers see the default menu (/start only: everything else needs an account); a registered
user gets a menu for their own chat (`BotCommandScopeChat`), set when they register and again
on every /start, so a role change made at the command line reaches the phone the next time
they open the bot. The same lists
drive the greeting and /bantuan, so what the bot says it can do is what it can do.
"""

from __future__ import annotations

import logging
from typing import Final

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.db.models import Role
from bot.telegram.alert_texts import COMMAND_DESCRIPTIONS as ALERT_COMMAND_DESCRIPTIONS
from bot.telegram.invite_texts import UNDANGAN_DESCRIPTION
from bot.telegram.official_commands import OFFICIAL_COMMAND_DESCRIPTIONS, OFFICIAL_COMMANDS
from bot.telegram.people_texts import PENGGUNA_DESCRIPTION
from bot.telegram.review_texts import PERIKSA_DESCRIPTION
from bot.telegram.texts import COMMAND_DESCRIPTIONS

__all__ = [
    "LANGUAGE",
    "STRANGER_COMMANDS",
    "commands_for",
    "set_default_menu",
    "set_user_menu",
]

log = logging.getLogger(__name__)

LANGUAGE: Final = "id"
STRANGER_COMMANDS: Final = ("start",)
_ROLE_COMMANDS: Final[dict[Role, tuple[str, ...]]] = {
    # /jeda pauses a family (its answers are stored); /batal still works but is not listed.
    Role.KADER: ("survei", "lanjut", "keluarga", "bantuan", "jeda"),
    # Officials (issue 5): /ikk, /ekspor, /progres, /undang from bot/telegram/official_commands.py.
    # Weekly alerts (issue 6): settings for every official, delivery status for admins.
    Role.PEJABAT: (*OFFICIAL_COMMANDS, "peringatan", "bantuan"),
    Role.ADMIN: (*OFFICIAL_COMMANDS, "peringatan", "status_peringatan", "undangan",
                 "pengguna", "periksa", "bantuan"),
    # Supervisor review (issue 13): /periksa, and the figures of her area like a pejabat.
    Role.SUPERVISOR: ("ikk", "ekspor", "progres", "periksa", "bantuan"),
}
_DESCRIPTIONS: Final = {
    **COMMAND_DESCRIPTIONS,
    **OFFICIAL_COMMAND_DESCRIPTIONS,
    **ALERT_COMMAND_DESCRIPTIONS,
    "undangan": UNDANGAN_DESCRIPTION,
    "pengguna": PENGGUNA_DESCRIPTION,
    "periksa": PERIKSA_DESCRIPTION,
}


def commands_for(role: Role | None) -> list[tuple[str, str]]:
    """(command, description) pairs of the menu of `role` (None: a stranger)."""
    names = STRANGER_COMMANDS if role is None else _ROLE_COMMANDS[role]
    return [(name, _DESCRIPTIONS[name]) for name in names]


def _bot_commands(role: Role | None) -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in commands_for(role)]


async def set_default_menu(bot: Bot) -> None:
    """The menu of people who are not registered, in Indonesian and as the fallback language."""
    commands = _bot_commands(None)
    await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=LANGUAGE)
    await bot.set_my_commands(commands, scope=BotCommandScopeDefault())


async def set_user_menu(bot: Bot, chat_id: int, role: Role) -> bool:
    """Give one registered user the menu of their role; False (logged) if Telegram refused.

    A menu is a convenience: failing to set it must never spoil the reply that follows.
    """
    commands, scope = _bot_commands(role), BotCommandScopeChat(chat_id)
    try:
        await bot.set_my_commands(commands, scope=scope, language_code=LANGUAGE)
        # Without a language too: a phone set to English would otherwise fall back to the
        # stranger menu of the default scope.
        await bot.set_my_commands(commands, scope=scope)
    except TelegramError as error:
        log.warning("could not set the %s menu for chat %s: %s", role.value, chat_id, error)
        return False
    return True
