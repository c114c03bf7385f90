"""Small helpers every handler uses to talk back, tolerant of what Telegram may refuse."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.telegram.chat_state import memory

__all__ = ["answer_query", "is_not_modified", "is_query_too_old", "send"]

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
