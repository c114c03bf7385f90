"""Officials in chat: /ikk, /ekspor, /progres, /undang and the buttons that choose an area.

Thin, like every handler (design decision 6): parse the update, call ONE service function of
`bot.services.official` (which resolves the name inside the person's scope and asks the owning
service), render the answer. Slow rendering never runs on the event loop: the chart and the
workbook are drawn in worker threads, and the chat shows "sending a photo/file…" meanwhile.

A command or tap is claimed by its update id first, so a redelivered update is not answered
twice. Buttons carry an area code (`bot.telegram.official_buttons`); the service checks it
against the tapper's scope exactly like a typed name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.bot_tokens import username_for_area
from bot.reporting.chart import render_area_chart, warm_chart_frame
from bot.services import official
from bot.services.official import Answer
from bot.services.reports import AreaReport
from bot.services.verified_figures import split_verified
from bot.telegram import official_texts, texts
from bot.telegram.chat_state import Account, forget_account
from bot.telegram.deps import Deps
from bot.telegram.handlers.common import (
    answer_query,
    claimed_account,
    command_argument,
    is_not_modified,
)
from bot.telegram.official_buttons import PATTERN, Action, Source, decode
from bot.telegram.period_texts import bad_period_message
from bot.telegram.report_text import chart_caption, report_messages

__all__ = ["CHART_FAILED", "official_handlers"]

log = logging.getLogger(__name__)

Handlers = list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]
CHART_FAILED = "Grafik tidak dapat dibuat saat ini; laporan di atas sudah lengkap."
ACTION_REPEAT = 4.5
"""Seconds between chat actions: Telegram shows one for about five seconds."""


@contextlib.asynccontextmanager
async def chat_action(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, action: str
) -> AsyncIterator[None]:
    """Show `action` ("sending a photo…") now and keep it shown while the block runs."""

    async def show() -> bool:
        try:
            await context.bot.send_chat_action(chat_id, action)
        except TelegramError as error:  # a status line is a courtesy, never worth failing for
            log.info("chat action %s for chat %s refused: %s", action, chat_id, error)
            return False
        return True

    async def repeat() -> None:
        while True:
            await asyncio.sleep(ACTION_REPEAT)
            if not await show():
                return

    shown = await show()
    task = asyncio.create_task(repeat()) if shown else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class Officials:
    """The handlers, bound to the application's dependencies."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.ctx = deps.services
        self.settings = deps.settings
        self.instrument = deps.instrument

    # -- shared steps ----------------------------------------------------------------------

    async def _account(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Account | None:
        """Claim the update and find the registered person (`claimed_account`)."""
        return await claimed_account(self.deps.session_factory, update, context)

    async def _send(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        chat = update.effective_chat
        if chat is not None:
            await context.bot.send_message(
                chat.id, text, reply_markup=markup, disable_web_page_preview=True
            )

    async def _not_shown(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        answer: Answer[Any],
        action: Action,
    ) -> None:
        """Every answer that is not a result: a choice, not found, refused, empty, stranger."""
        status = answer.status
        if status in ("choose", "suggest"):
            shown = official_texts.choice_message(answer, action)
            await self._send(update, context, shown.text, shown.markup)
        elif status == "bad_period":
            await self._send(update, context, bad_period_message(answer))
        elif status == "unregistered":
            forget_account(context)
            await self._send(update, context, texts.ACCESS)
        elif status == "forbidden":
            refusal = (
                official_texts.INVITE_FORBIDDEN if action is Action.INVITE
                else official_texts.EXPORT_FORBIDDEN
            )
            await self._send(update, context, refusal)
        elif status == "empty":
            await self._send(update, context, official_texts.empty_export(answer))
        else:
            await self._send(update, context, official_texts.lookup_failure(answer, action))

    # -- what each action shows ------------------------------------------------------------

    async def report(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        account: Account,
        *,
        query: str | None = None,
        code: str | None = None,
        period: int | None = None,
        verified_only: bool = False,
    ) -> None:
        answer = await official.ikk_report(
            self.ctx, account.user_id, query=query, code=code, period=period,
            verified_only=verified_only,
        )
        if answer.value is None or answer.area is None:
            # a choice of areas keeps "terverifikasi" in its buttons
            action = Action.VERIFIED if verified_only else Action.REPORT
            await self._not_shown(update, context, answer, action)
            return
        report = answer.value
        settings = self.instrument.settings
        parts = report_messages(
            report,
            parents=answer.area.parents,
            min_families=self.settings.min_families,
            red_threshold=settings.red_threshold,
            provisional=settings.provisional,
        )
        markup = official_texts.report_keyboard(report, may_export=not account.is_kader)
        for number, part in enumerate(parts, start=1):
            await self._send(update, context, part, markup if number == len(parts) else None)
        if report.submitted and not report.too_few(report.submitted):
            await self._chart(update, context, report)

    async def _chart(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, report: AreaReport
    ) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        settings = self.instrument.settings
        async with chat_action(context, chat.id, ChatAction.UPLOAD_PHOTO):
            try:
                png = await asyncio.to_thread(
                    render_area_chart,
                    report.result,
                    lang="id",
                    period=report.period,
                    red_threshold=settings.red_threshold,
                    provisional=settings.provisional,
                    coverage=report.coverage,
                    bands=report.categories,
                    previous=report.previous.result if report.previous is not None else None,
                    previous_period=report.previous.period if report.previous else None,
                )
            except Exception:  # the report is already sent; a missing picture must not undo it
                log.exception("chart of %s %s could not be drawn", report.code, report.period)
                await self._send(update, context, CHART_FAILED)
                return
            await context.bot.send_photo(
                chat.id,
                InputFile(png, filename=f"ikk-{report.code}-{report.period}.png"),
                caption=chart_caption(report, min_families=self.settings.min_families),
            )

    async def export(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        account: Account,
        *,
        query: str | None = None,
        code: str | None = None,
        period: int | None = None,
    ) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        if account.is_kader:
            answer = await official.export_area(self.ctx, account.user_id, query=query, code=code)
        else:
            async with chat_action(context, chat.id, ChatAction.UPLOAD_DOCUMENT):
                answer = await official.export_area(
                    self.ctx, account.user_id, query=query, code=code, period=period
                )
                if answer.value is not None:
                    file = answer.value
                    await context.bot.send_document(
                        chat.id,
                        InputFile(file.data, filename=file.filename),
                        caption=official_texts.export_caption(file),
                    )
                    return
        await self._not_shown(update, context, answer, Action.EXPORT)

    async def progress(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        account: Account,
        *,
        query: str | None = None,
        code: str | None = None,
        period: int | None = None,
    ) -> None:
        answer = await official.area_progress(
            self.ctx, account.user_id, query=query, code=code, period=period
        )
        if answer.value is None:
            await self._not_shown(update, context, answer, Action.PROGRESS)
            return
        for part in official_texts.progress_messages(answer.value, self.settings.timezone):
            await self._send(update, context, part)

    async def invite(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        account: Account,
        *,
        query: str | None = None,
        code: str | None = None,
    ) -> None:
        answer = await official.invite_kader(
            self.ctx, account.user_id, query=query, code=code,
            ttl=timedelta(days=self.settings.invite_ttl_days),
        )
        if answer.value is None or answer.area is None:
            await self._not_shown(update, context, answer, Action.INVITE)
            return
        username = (  # several bots: the link opens the bot of the invite's area
            username_for_area(context, answer.area.code)
            or context.bot.username or self.settings.bot_username
        )
        await self._send(
            update, context,
            official_texts.invite_message(answer.value, answer.area, username,
                                          self.settings.timezone),
        )

    # -- commands --------------------------------------------------------------------------

    async def ikk_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self._account(update, context)
        if account is not None:
            # "/ikk Sampanahan terverifikasi": verified families only
            query, verified_only = split_verified(command_argument(update.message))
            await self.report(update, context, account, query=query, verified_only=verified_only)

    async def ekspor_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self._account(update, context)
        if account is not None:
            await self.export(update, context, account, query=command_argument(update.message))

    async def progres_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self._account(update, context)
        if account is not None:
            await self.progress(update, context, account, query=command_argument(update.message))

    async def undang_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self._account(update, context)
        if account is not None:
            await self.invite(update, context, account, query=command_argument(update.message))

    # -- buttons ---------------------------------------------------------------------------

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        data = decode(query.data)
        if data is None:
            log.info("update %s: unreadable official button ignored", update.update_id)
            await answer_query(query, texts.BUTTON_EXPIRED)
            return
        account = await self._account(update, context)
        if account is None:
            return
        await answer_query(query)
        if data.source is Source.CHOICE:
            await self._close_choice(query.message, query.data or "")
        if data.action is Action.REPORT:
            await self.report(update, context, account, code=data.code, period=data.period)
        elif data.action is Action.VERIFIED:
            await self.report(update, context, account, code=data.code, period=data.period,
                              verified_only=True)
        elif data.action is Action.EXPORT:
            await self.export(update, context, account, code=data.code, period=data.period)
        elif data.action is Action.PROGRESS:
            await self.progress(update, context, account, code=data.code, period=data.period)
        else:
            await self.invite(update, context, account, code=data.code)

    async def _close_choice(self, message: object, data: str) -> None:
        """The list of areas has served: show which one was chosen and drop the buttons."""
        if not isinstance(message, Message):
            return
        chosen = next(
            (
                button.text
                for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
                for button in row
                if button.callback_data == data
            ),
            None,
        )
        try:
            if chosen is None or message.text is None:
                await message.edit_reply_markup(None)
            else:
                await message.edit_text(
                    f"{message.text_html}\n\n{official_texts.CHOSEN_MARK} <b>{escape(chosen)}</b>"
                )
        except BadRequest as error:
            if not is_not_modified(error):
                log.info("could not close the list of areas: %s", error)


def official_handlers(deps: Deps) -> Handlers:
    """/ikk, /ekspor, /progres, /undang and their buttons (private chats, new messages only).

    Register them before the questionnaire's catch-all button handler, which would otherwise
    take these buttons as stale questionnaire buttons. Also draws the chart's instrument frame
    in a background thread now, so the first /ikk after a start is not the slow one.
    """
    officials = Officials(deps)
    # Not a daemon: a daemon thread stopped by interpreter exit inside matplotlib's C++ code
    # aborts the process ("terminate called without an active exception", exit -6) when the
    # bot is stopped right after it started; exit waits for the drawing (about a second).
    threading.Thread(
        target=warm_chart_frame, args=(deps.instrument,), name="warm-chart", daemon=False
    ).start()
    new_private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        CommandHandler("ikk", officials.ikk_command, filters=new_private),
        CommandHandler("ekspor", officials.ekspor_command, filters=new_private),
        CommandHandler("progres", officials.progres_command, filters=new_private),
        CommandHandler("undang", officials.undang_command, filters=new_private),
        CallbackQueryHandler(officials.button, pattern=PATTERN),
    ]
