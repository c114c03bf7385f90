"""Everything that is not an answer: the gate every update passes, and polite replies to the rest.

The gate (handler group -1) drops updates that carry no person (a malformed or unknown update),
keeps the bot out of group chats (one short hint per group when a command is addressed to it),
and claims the update id so that a redelivered update does nothing twice. The fallbacks answer
what the questionnaire cannot use: photos, stickers, voice, locations, documents, unknown
commands, edited messages, buttons that no longer mean anything, and strangers.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Final

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.repositories.users import set_reachable
from bot.telegram import accounts, texts
from bot.telegram.deps import Deps
from bot.telegram.handlers.common import answer_query, send
from bot.telegram.idempotency import claim_update

__all__ = [
    "ANSWER_MESSAGES_KEPT",
    "MAX_TEXT_LENGTH",
    "fallback_handlers",
    "gate_handler",
    "remember_answer_message",
]

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH: Final = 1000
ANSWER_MESSAGES_KEPT: Final = 200
_ANSWER_MESSAGES_KEY: Final = "answer_messages"

Handlers = list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]


def remember_answer_message(context: ContextTypes.DEFAULT_TYPE, message_id: int) -> None:
    """Note that this message of the user was taken as an answer (so an edit gets a note)."""
    chat_data = context.chat_data
    if chat_data is None:
        return
    kept: OrderedDict[int, None] = chat_data.setdefault(_ANSWER_MESSAGES_KEY, OrderedDict())
    kept[message_id] = None
    while len(kept) > ANSWER_MESSAGES_KEPT:
        kept.popitem(last=False)


def _was_answer(context: ContextTypes.DEFAULT_TYPE, message_id: int) -> bool:
    chat_data = context.chat_data or {}
    kept = chat_data.get(_ANSWER_MESSAGES_KEY)
    return kept is not None and message_id in kept


def _addressed_command(message: Message, bot_username: str) -> bool:
    """A `/command@thisbot` message: the only group message the bot reacts to."""
    text = message.text or ""
    if not text.startswith("/"):
        return False
    command = text.split(maxsplit=1)[0]
    _, _, target = command.partition("@")
    return bool(target) and target.casefold() == bot_username.casefold()


def gate_handler(deps: Deps) -> TypeHandler[Update, ContextTypes.DEFAULT_TYPE, None]:
    """The group -1 gate: malformed updates, group chats and redeliveries stop here."""
    hinted_groups: set[int] = set()

    async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            log.info("update %s skipped: it carries no sender or chat", update.update_id)
            raise ApplicationHandlerStop
        if update.my_chat_member is not None:
            return  # blocking/unblocking: idempotent, handled below
        if chat.type != ChatType.PRIVATE:
            await _group(update, context, chat.id)
            raise ApplicationHandlerStop
        if not await claim_update(deps.session_factory, update.update_id, user.id):
            log.info("update %s of user %s was handled before; skipped", update.update_id, user.id)
            raise ApplicationHandlerStop

    async def _group(update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
        if update.callback_query is not None:
            await answer_query(update.callback_query, texts.PRIVATE_ONLY[:200])
            return
        message = update.message
        if message is None or chat_id in hinted_groups:
            return
        if _addressed_command(message, context.bot.username):
            hinted_groups.add(chat_id)
            await message.reply_text(texts.PRIVATE_ONLY)

    return TypeHandler(Update, gate)


def fallback_handlers(deps: Deps) -> Handlers:
    """Replies for everything no questionnaire handler took (register these last)."""

    async def stranger_or(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
        user = update.effective_user
        if user is None:
            return
        profile = await accounts.load_profile(deps.session_factory, user.id)
        await send(update, context, text if profile is not None else texts.ACCESS)

    async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.edited_message
        if message is not None and _was_answer(context, message.message_id):
            await send(update, context, texts.EDITED_IGNORED)

    async def media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await stranger_or(update, context, texts.TEXT_ONLY)

    async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await stranger_or(update, context, texts.UNKNOWN_COMMAND)

    async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or message.text is None:
            return
        if len(message.text) > MAX_TEXT_LENGTH:
            await send(update, context, texts.TOO_LONG)
            return
        user = update.effective_user
        if user is None:
            return
        profile = await accounts.load_profile(deps.session_factory, user.id)
        if profile is None:
            reply = texts.ACCESS
        else:
            reply = texts.KADER_IDLE if profile.is_kader else texts.OFFICIAL_IDLE
        await send(update, context, reply)

    async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await answer_query(update.callback_query, texts.BUTTON_EXPIRED)

    async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None or change.chat.type != ChatType.PRIVATE:
            return
        status = change.new_chat_member.status
        reachable = status not in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        async with deps.session_factory() as session, session.begin():
            await set_reachable(session, change.chat.id, reachable)

    new_message = filters.UpdateType.MESSAGE
    return [
        MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited),
        MessageHandler(new_message & filters.COMMAND, unknown_command),
        MessageHandler(new_message & filters.TEXT, text),
        MessageHandler(new_message, media),
        CallbackQueryHandler(stale_button),
        ChatMemberHandler(member, ChatMemberHandler.MY_CHAT_MEMBER),
    ]
