"""The questionnaire: /survei, /lanjut, /keluarga, /jeda, typed answers and every button.

One callback handler and one text handler dispatch into the services (design, known traps: no
`ConversationHandler`). Each handler parses the update, calls one service function with the
Telegram update id (the service claims it in its own transaction, so a redelivered update does
nothing twice) and hands the outcome to the `Presenter`. Buttons carry the response, question
and version they were drawn for; the services' version check decides whether a tap is the
answer, a double tap ("Sudah tercatat"; the current question is sent again if it never arrived)
or a stale keyboard. Typed text is bound by its message id to the question the kader saw.
A tap that moves the family on edits its card in place (see `bot.telegram.presenter`).
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.services import answering, families, submission
from bot.services.context import ServiceContext
from bot.services.outcomes import Outcome, Position
from bot.telegram import accounts, render, texts
from bot.telegram.callback_data import CallbackData, Kind, decode
from bot.telegram.chat_state import Account, account_of, forget_account, memory
from bot.telegram.deps import Deps
from bot.telegram.handlers.common import answer_query, send
from bot.telegram.idempotency import claim_update
from bot.telegram.presenter import Presenter, Tap
from conversations.engine import question_at

__all__ = ["MAX_TEXT_LENGTH", "survey_handlers"]

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 1000
Handlers = list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]

# Buttons whose family must be the one the kader is working on (when the bot knows it).
_FOCUSED = frozenset(
    {Kind.ANSWER, Kind.SKIP, Kind.BACK, Kind.CONFIRM, Kind.CHANGE, Kind.EDIT, Kind.SUBMIT}
)


class Survey:
    """The handlers of the questionnaire, bound to the application's dependencies."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.ctx: ServiceContext = deps.services
        self.instrument = deps.instrument

    # -- shared steps ----------------------------------------------------------------------

    def presenter(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Tap | None = None
    ) -> Presenter:
        return Presenter(self.instrument, update, context, tap, on_shown=self.shown)

    async def shown(self, position: Position, message_id: int) -> None:
        await answering.question_shown(
            self.ctx, position.response_id, position.version, message_id
        )

    async def claim(self, update: Update) -> bool:
        """Claim an update that no service claims (lists, refusals); False: handled before."""
        user = update.effective_user
        return await claim_update(
            self.deps.session_factory, update.update_id, user.id if user is not None else None
        )

    async def kader(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, tap: Tap | None = None
    ) -> Account | None:
        """The kader behind the update, or None after telling a stranger or an official why not.
        Claims the update when it refuses, so a redelivered refusal is not sent twice."""
        user = update.effective_user
        if user is None:
            return None
        account = await account_of(self.deps.session_factory, context, user.id)
        if account is not None and account.is_kader:
            return account
        if not await self.claim(update):
            return None
        if tap is not None:
            await tap.answer(texts.KADER_ONLY if account is not None else None)
        await send(update, context, texts.KADER_ONLY if account is not None else texts.ACCESS)
        return None

    async def present(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        outcome: Outcome,
        tap: Tap | None = None,
        *,
        answer_label: str | None = None,
        answered_question: str | None = None,
        header: bool = False,
    ) -> None:
        if outcome.kind == "not_found" and outcome.position is None:
            forget_account(context)  # maybe deactivated: look the account up again next time
        presenter = self.presenter(update, context, tap)
        await presenter.outcome(outcome, answer_label=answer_label,
                                answered_question=answered_question, header=header)

    async def start_family(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        account: Account,
        tap: Tap | None,
        village: int | None,
    ) -> None:
        """/survei and "➕ Keluarga berikutnya": ask the village if there is a choice."""
        user = update.effective_user
        assert user is not None
        profile = await accounts.load_profile(self.deps.session_factory, user.id)
        if profile is None or not profile.area_codes:
            # Switched off (or left without a village) since her account was remembered: say so
            # rather than stay silent, and look the account up again next time.
            forget_account(context)
            if await self.claim(update):
                if tap is not None:
                    await tap.answer()
                await send(update, context, texts.ACCESS)
            return
        villages = list(zip(profile.area_codes, profile.areas, strict=True))
        if village is None and len(villages) > 1:
            if await self.claim(update):
                presenter = self.presenter(update, context, tap)
                await presenter.answer()
                await presenter.send_all([render.village_message(villages)],
                                         tidy=presenter.close_tapped(None))
            return
        index = village or 0
        if not 0 <= index < len(villages):
            if tap is not None:
                await tap.answer(texts.BUTTON_EXPIRED)
            return
        outcome = await families.start_family(
            self.ctx, account.user_id, villages[index][0], update_id=update.update_id
        )
        await self.present(update, context, outcome, tap, header=True)

    async def focus(self, context: ContextTypes.DEFAULT_TYPE, account: Account) -> int | None:
        """The family the kader is working on: remembered, else her latest draft."""
        remembered = memory(context).focus
        if remembered is not None:
            return remembered
        draft = await families.active_draft(self.ctx, account.user_id)
        if draft is None:
            return None
        memory(context).focus = draft.response_id
        return draft.response_id

    # -- commands --------------------------------------------------------------------------

    async def survei(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self.kader(update, context)
        if account is not None:
            await self.start_family(update, context, account, None, None)

    async def lanjut(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self.kader(update, context)
        if account is None or not await self.claim(update):
            return
        drafts = await families.list_drafts(self.ctx, account.user_id)
        shown = render.drafts_message(drafts)
        await self.presenter(update, context).send_all([shown])

    async def keluarga(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self.kader(update, context)
        if account is None or not await self.claim(update):
            return
        rows = await families.list_families(self.ctx, account.user_id)
        await self.presenter(update, context).send_all([render.families_message(rows)])

    async def jeda(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Pause the family (the old word /batal too): every answer is already stored."""
        account = await self.kader(update, context)
        if account is None or not await self.claim(update):
            return
        response_id = await self.focus(context, account)
        if response_id is None:
            await send(update, context, texts.NOTHING_TO_PAUSE)
            return
        outcome = await answering.cancel(self.ctx, account.user_id, response_id)
        presenter = self.presenter(update, context)
        if outcome.kind == "cancelled":
            await presenter.drop_keyboard(presenter.memory.keyboard_message)
        await presenter.outcome(outcome)

    # -- typed text and other messages -----------------------------------------------------

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        user = update.effective_user
        if message is None or message.text is None or user is None:
            return
        if len(message.text) > MAX_TEXT_LENGTH:
            await self.refuse(update, context, texts.TOO_LONG)
            return
        account = await account_of(self.deps.session_factory, context, user.id)
        if account is None or not account.is_kader:
            if await self.claim(update):
                idle = texts.OFFICIAL_IDLE if account is not None else texts.ACCESS
                await send(update, context, idle)
            return
        response_id = await self.focus(context, account)
        if response_id is None:
            if await self.claim(update):
                await send(update, context, texts.KADER_IDLE)
            return
        # Bound by its message id to the question the kader saw (a /command never gets here);
        # typed while a tap was moving her card on, it was meant for the card's old question
        # (0: before any card, so it is "unseen" and the question is shown).
        sent_before_edit = update.update_id <= memory(context).sent_before_edit
        bound_to = 0 if sent_before_edit else message.message_id
        chat = memory(context)
        outcome = await answering.record_answer(
            self.ctx, account.user_id, response_id, None, message.text, None, update.update_id,
            message_id=bound_to, shown=chat.shown_mark(response_id),
        )
        if outcome.kind == "not_found":  # the remembered family is gone: try the latest draft
            memory(context).focus = None
            retry = await self.focus(context, account)
            if retry is not None and retry != response_id:
                outcome = await answering.record_answer(
                    self.ctx, account.user_id, retry, None, message.text, None, None,
                    message_id=bound_to, shown=chat.shown_mark(retry),
                )
        outcome = await self._review_number(account, message, outcome)
        if outcome.kind == "recorded":
            memory(context).remember_answer_message(message.message_id)
        await self.present(update, context, outcome)

    async def _review_number(self, account: Account, message: Message, outcome: Outcome) -> Outcome:
        """At the review card a typed item number opens that answer for a change."""
        position = outcome.position
        text = (message.text or "").strip()
        if outcome.kind != "stale" or position is None or position.review is None:
            return outcome
        if not text.isdigit():
            return outcome
        numbers = {item.number: item.question for item in position.review.items}
        question = numbers.get(int(text))
        if question is None:
            return outcome
        return await answering.open_for_edit(
            self.ctx, account.user_id, position.response_id, question, position.version, None
        )

    async def other_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Photos, stickers, voice, locations, documents...: the bot reads only text."""
        await self.refuse(update, context, texts.TEXT_ONLY)

    async def refuse(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, notice: str
    ) -> None:
        """Say why a message cannot be used; a kader in the middle of a family then sees her
        current question again, so she knows what to send instead."""
        user = update.effective_user
        if user is None or not await self.claim(update):
            return
        account = await account_of(self.deps.session_factory, context, user.id)
        if account is None:
            await send(update, context, texts.ACCESS)
            return
        presenter = self.presenter(update, context)
        response_id = await self.focus(context, account) if account.is_kader else None
        if response_id is None:
            await presenter.say(notice)
            return
        outcome = await answering.current_position(self.ctx, account.user_id, response_id)
        if outcome.position is None or outcome.position.submitted:
            await presenter.say(notice)
            return
        await presenter.show(outcome.position, notices=[notice])

    # -- buttons ---------------------------------------------------------------------------

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        tap = Tap(query)
        data = decode(query.data)
        if data is None:
            log.info("update %s: unreadable button data ignored", update.update_id)
            await answer_query(query, texts.BUTTON_EXPIRED)
            return
        account = await self.kader(update, context, tap)
        if account is None:
            await tap.answer()
            return
        focus = memory(context).focus
        if data.kind in _FOCUSED and focus is not None and data.response_id != focus:
            await self._other_family(update, context, account, tap, focus)
            return
        await self._dispatch(update, context, account, tap, data)
        await tap.answer()

    async def _other_family(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        account: Account,
        tap: Tap,
        focus: int,
    ) -> None:
        await tap.answer(texts.OTHER_FAMILY)
        if not await self.claim(update):
            return
        outcome = await answering.current_position(self.ctx, account.user_id, focus)
        presenter = self.presenter(update, context, tap)
        if outcome.position is None:
            memory(context).focus = None
            await presenter.close_tapped(None)
            return
        await presenter.show(outcome.position, tidy=lambda: presenter.close_tapped(None))

    async def _dispatch(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        account: Account,
        tap: Tap,
        data: CallbackData,
    ) -> None:
        uid, r, v, update_id = account.user_id, data.response_id, data.version, update.update_id
        shown = memory(context).shown_mark(r)
        kind = data.kind
        question = question_at(self.instrument, data.question)
        if kind is Kind.ANSWER:
            choices = self.instrument.choices_for(question) if question is not None else ()
            if question is None or not 0 <= data.value < len(choices):
                await tap.answer(texts.BUTTON_EXPIRED)
                return
            choice = choices[data.value]
            outcome = await answering.record_answer(
                self.ctx, uid, r, question.name, choice.name, v, update_id, shown=shown
            )
            await self.present(update, context, outcome, tap, answer_label=choice.label.get("id"),
                               answered_question=question.name)
        elif kind is Kind.SKIP and question is not None:
            outcome = await answering.skip(self.ctx, uid, r, question.name, v, update_id,
                                           shown=shown)
            await self.present(update, context, outcome, tap, answer_label="Dilewati",
                               answered_question=question.name)
        elif kind is Kind.BACK:
            outcome = await answering.go_back(self.ctx, uid, r, v, update_id)
            await self.present(update, context, outcome, tap)
        elif kind is Kind.CONFIRM and question is not None:
            pending = memory(context).pending.get((r, data.question, v))
            if pending is None:  # the bot restarted since it asked "Yakin?": ask again
                await self._show_current(update, context, uid, r, tap)
                return
            outcome = await answering.confirm_answer(
                self.ctx, uid, r, question.name, pending, v, update_id, shown=shown
            )
            await self.present(update, context, outcome, tap)
        elif kind is Kind.CHANGE:
            await self._show_current(update, context, uid, r, tap)
        elif kind is Kind.EDIT and question is not None:
            outcome = await answering.open_for_edit(self.ctx, uid, r, question.name, v, update_id)
            await self.present(update, context, outcome, tap)
        elif kind is Kind.SUBMIT:
            outcome = await submission.submit(self.ctx, uid, r, v, update_id)
            await self.present(update, context, outcome, tap)
        elif kind is Kind.VILLAGE:
            await self.start_family(update, context, account, tap, data.value)
        elif kind is Kind.NEXT_FAMILY:
            await self.start_family(update, context, account, tap, None)
        elif kind in (Kind.OPEN_DRAFT, Kind.OPEN_FAMILY):
            if not await self.claim(update):
                return
            outcome = await families.open_draft(self.ctx, uid, r)
            await self.present(update, context, outcome, tap, header=True)
        elif kind is Kind.DUPLICATE_OPEN:
            outcome = await families.open_existing_family(self.ctx, uid, r, data.value, update_id)
            await self.present(update, context, outcome, tap, header=True)
        elif kind is Kind.DUPLICATE_NEW:
            if not await self.claim(update):
                return
            outcome = await families.confirm_distinct_family(self.ctx, uid, r)
            await self.present(update, context, outcome, tap)
        else:
            await tap.answer(texts.BUTTON_EXPIRED)

    async def _show_current(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        uid: int,
        response_id: int,
        tap: Tap,
    ) -> None:
        if not await self.claim(update):
            return
        outcome = await answering.current_position(self.ctx, uid, response_id)
        await self.present(update, context, outcome, tap)


def survey_handlers(deps: Deps) -> Handlers:
    """The questionnaire's handlers (private chats; new messages only)."""
    survey = Survey(deps)
    new_private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        CommandHandler("survei", survey.survei, filters=new_private),
        CommandHandler("lanjut", survey.lanjut, filters=new_private),
        CommandHandler("keluarga", survey.keluarga, filters=new_private),
        # "/batal" is the command's old name: kader who learned it keep using it.
        CommandHandler(("jeda", "batal"), survey.jeda, filters=new_private),
        MessageHandler(new_private & filters.TEXT & ~filters.COMMAND, survey.text),
        CallbackQueryHandler(survey.button),
        MessageHandler(
            new_private & ~filters.TEXT & ~filters.StatusUpdate.ALL, survey.other_message
        ),
    ]
