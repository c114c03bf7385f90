"""The global error handler: log what failed (never the token), keep the user informed.

Every answer is committed before the reply (design decision 1), so whatever failed, the stored
draft is as it was after the last successful answer; the user only needs to know to try again.
A database that is down or locked gets the gentle "coba lagi sebentar"; a Telegram error is
not answered with another Telegram call that would most likely fail the same way.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.telegram import texts
from bot.telegram.chat_state import memory

__all__ = ["is_database_trouble", "on_error"]

log = logging.getLogger(__name__)


def is_database_trouble(error: BaseException | None) -> bool:
    """True for errors that mean "the database could not be reached or used just now"."""
    return isinstance(error, SQLAlchemyError | OSError | TimeoutError)


def _ids(update: object) -> tuple[int | None, int | None]:
    if not isinstance(update, Update):
        return None, None
    user = update.effective_user
    return update.update_id, user.id if user is not None else None


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with update and user id; answer the button and say "coba lagi"."""
    error = context.error
    update_id, user_id = _ids(update)
    if is_database_trouble(error):
        # The exception text may hold SQL parameters (names of family heads): log its kind only.
        log.warning(
            "database trouble while handling update %s of user %s: %s",
            update_id,
            user_id,
            type(error).__name__,
        )
    elif isinstance(error, TelegramError):
        # What was decided is stored already; at worst this reply is missing and the user's
        # next message shows where things stand.
        log.warning(
            "a Telegram call for update %s of user %s failed: %s", update_id, user_id, error
        )
        return
    else:
        log.error(
            "unexpected error while handling update %s of user %s",
            update_id,
            user_id,
            exc_info=error,
        )
    if not isinstance(update, Update):
        return
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(texts.TROUBLE)
        except BadRequest:
            pass  # already answered, or too old: the spinner has stopped either way
        except TelegramError as answer_error:
            log.warning("could not answer the callback query: %s", answer_error)
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        try:
            sent = await context.bot.send_message(chat.id, texts.TROUBLE)
            memory(context).saw_message(sent.message_id)  # the live card is no longer last
        except TelegramError as send_error:
            log.warning("could not tell chat %s about the failure: %s", chat.id, send_error)
