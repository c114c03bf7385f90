"""Everything that is not part of the questionnaire: the gate every update passes, and the
replies for edited messages, unknown commands and blocking the bot.

The gate (handler group -1) drops updates that carry no person (a malformed or unknown update)
and keeps the bot out of group chats: it works in private chat only, and answers a command
addressed to it in a group once per group with a short hint.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.db.engine import run_in_transaction
from bot.repositories.users import set_reachable
from bot.telegram import texts
from bot.telegram.chat_state import account_of, memory
from bot.telegram.deps import Deps
from bot.telegram.handlers.common import answer_query, send
from bot.telegram.idempotency import claim_update

__all__ = ["fallback_handlers", "gate_handler"]

log = logging.getLogger(__name__)

Handlers = list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]


def _addressed_command(message: Message, bot_username: str) -> bool:
    """A `/command@thisbot` message: the only group message the bot reacts to."""
    text = message.text or ""
    if not text.startswith("/"):
        return False
    command = text.split(maxsplit=1)[0]
    _, _, target = command.partition("@")
    return bool(target) and target.casefold() == bot_username.casefold()


def gate_handler(deps: Deps) -> TypeHandler[Update, ContextTypes.DEFAULT_TYPE, None]:
    """The group -1 gate: updates without a person, and group chats, stop here."""
    hinted_groups: set[int] = set()

    async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            log.info("update %s skipped: it carries no sender or chat", update.update_id)
            raise ApplicationHandlerStop
        if chat.type != ChatType.PRIVATE and update.my_chat_member is None:
            await group(update, context, chat.id)
            raise ApplicationHandlerStop
        if update.message is not None:  # her message pushes the live card up the chat
            memory(context).saw_message(update.message.message_id)

    async def group(update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
        if update.callback_query is not None:
            await answer_query(update.callback_query, texts.PRIVATE_ONLY)
            return
        message = update.message
        if message is None or chat_id in hinted_groups:
            return
        if _addressed_command(message, context.bot.username):
            hinted_groups.add(chat_id)
            await message.reply_text(texts.PRIVATE_ONLY)

    return TypeHandler(Update, gate)


def fallback_handlers(deps: Deps) -> Handlers:
    """Replies for what no other handler took (register these after the questionnaire's)."""

    async def claimed(update: Update) -> bool:
        user = update.effective_user
        return await claim_update(
            deps.session_factory, update.update_id, user.id if user is not None else None
        )

    async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.edited_message
        if message is None or not memory(context).was_answer(message.message_id):
            return  # an edit of anything but an answer changes nothing and needs no word
        if await claimed(update):
            await send(update, context, texts.EDITED_IGNORED)

    async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is None or not await claimed(update):
            return
        account = await account_of(deps.session_factory, context, user.id)
        await send(update, context, texts.UNKNOWN_COMMAND if account is not None else texts.ACCESS)

    async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None or change.chat.type != ChatType.PRIVATE:
            return
        status = change.new_chat_member.status
        reachable = status not in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)

        async def unit(session: AsyncSession) -> bool:
            return await set_reachable(session, change.chat.id, reachable)

        await run_in_transaction(deps.session_factory, unit)

    return [
        MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited),
        MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.COMMAND,
                       unknown_command),
        ChatMemberHandler(member, ChatMemberHandler.MY_CHAT_MEMBER),
    ]
