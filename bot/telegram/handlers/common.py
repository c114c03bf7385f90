"""Small helpers every handler uses to talk back, tolerant of what Telegram may refuse."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.db.engine import SessionFactory
from bot.telegram import texts
from bot.telegram.chat_state import Account, account_of, memory
from bot.telegram.idempotency import claim_update

__all__ = [
    "answer_query",
    "claimed_account",
    "command_argument",
    "is_not_modified",
    "is_query_too_old",
    "send",
]

log = logging.getLogger(__name__)


def is_query_too_old(error: BadRequest) -> bool:
    """Telegram's answer to a callback query answered twice or after about 15 seconds."""
    text = error.message.lower()
    return "query is too old" in text or "query id is invalid" in text


def is_not_modified(error: BadRequest) -> bool:
    """Telegram's answer to an edit that would leave the message as it is."""
    return "message is not modified" in error.message.lower()


async def answer_query(query: CallbackQuery, text: str | None = None) -> None:
    """Stop the button's spinner; a query that is already too old is fine (benign)."""
    try:
        await query.answer(text)
    except BadRequest as error:
        if not is_query_too_old(error):
            raise
        log.info("callback query %s was too old to answer", query.id)


async def send(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send `text` (HTML) to the chat the update came from; None if there is no chat."""
    chat = update.effective_chat
    if chat is None:
        return None
    sent = await context.bot.send_message(chat.id, text, reply_markup=markup)
    memory(context).saw_message(sent.message_id)  # below the live card, if there is one
    return sent


def command_argument(message: Message | None) -> str:
    """What follows the command ("/ikk@bot Sampanahan 2024" → "Sampanahan 2024")."""
    text = message.text if message is not None else None
    parts = (text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def claimed_account(
    session_factory: SessionFactory, update: Update, context: ContextTypes.DEFAULT_TYPE
) -> Account | None:
    """Claim the update and find the registered person behind it. None when there is nothing
    (more) to do: a redelivery, or a stranger, who is told how to get access; a tapped button
    is answered on those two ways out, and left for the caller otherwise."""
    user, query = update.effective_user, update.callback_query
    if user is None or not await claim_update(session_factory, update.update_id, user.id):
        if query is not None:
            await answer_query(query)
        return None
    account = await account_of(session_factory, context, user.id)
    if account is None:
        if query is not None:
            await answer_query(query)
        await send(update, context, texts.ACCESS)
    return account
