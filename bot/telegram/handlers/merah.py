"""/merah <indikator> [wilayah]: the villages where one indicator is red (issue 13).

Thin (design decision 6): claim the update, call `bot.services.red_villages.red_villages`, and
render with `bot.telegram.red_texts`. An ambiguous area name is answered with buttons
("mr1:<indicator>:<area code>[:<year>]"); the service checks a tapped code against the
tapper's scope exactly like a typed name, so a forged button reveals nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Final

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.services.red_villages import RedAnswer, red_villages
from bot.telegram import texts
from bot.telegram.chat_state import forget_account
from bot.telegram.deps import Deps
from bot.telegram.handlers.common import (
    answer_query,
    claimed_account,
    command_argument,
    is_not_modified,
)
from bot.telegram.red_texts import PREFIX, decode_button, red_messages, refusal

__all__ = ["BUTTON_PATTERN", "merah_handlers"]

log = logging.getLogger(__name__)

Handlers = list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]
BUTTON_PATTERN: Final = re.compile(rf"^{PREFIX}:")


class Merah:
    """The /merah command and its area buttons, bound to the application's dependencies."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def _send(self, update: Update, context: ContextTypes.DEFAULT_TYPE,
                    answer: RedAnswer) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        if answer.status == "unregistered":
            forget_account(context)
            await context.bot.send_message(chat.id, texts.ACCESS)
            return
        if answer.value is not None:
            for part in red_messages(answer.value):
                await context.bot.send_message(chat.id, part, disable_web_page_preview=True)
            return
        shown = refusal(answer, self.deps.instrument)
        await context.bot.send_message(chat.id, shown.text, reply_markup=shown.markup,
                                       disable_web_page_preview=True)

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await claimed_account(self.deps.session_factory, update, context)
        if account is None:
            return
        answer = await red_villages(self.deps.services, account.user_id,
                                    command_argument(update.message))
        await self._send(update, context, answer)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        decoded = decode_button(query.data)
        if decoded is None:
            await answer_query(query, texts.BUTTON_EXPIRED)
            return
        account = await claimed_account(self.deps.session_factory, update, context)
        if account is None:
            return
        await answer_query(query)
        await self._close(query.message)
        indicator, code, period = decoded
        answer = await red_villages(self.deps.services, account.user_id, code=code,
                                    indicator_code=indicator, period=period)
        await self._send(update, context, answer)

    async def _close(self, message: object) -> None:
        """The list of areas has served: drop its buttons."""
        if not isinstance(message, Message):
            return
        try:
            await message.edit_reply_markup(None)
        except BadRequest as error:
            if not is_not_modified(error):
                log.info("could not close the list of areas: %s", error)


def merah_handlers(deps: Deps) -> Handlers:
    """/merah and its area buttons (private chats, new messages only); register them before
    the questionnaire's catch-all button handler."""
    merah = Merah(deps)
    new_private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        CommandHandler("merah", merah.command, filters=new_private),
        CallbackQueryHandler(merah.button, pattern=BUTTON_PATTERN),
    ]
