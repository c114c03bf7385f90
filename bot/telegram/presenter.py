"""Show the services' outcomes in the chat: answer the button, edit the live card, send.

Message economy (issue 12; Telegram allows about 30 messages a second per bot): a family's
questionnaire is ONE live card. A tap that moves the family on (an answer, a skip, back, "Ubah")
edits the tapped card in place into the next question, headed by what was answered
("✔️ Ada pasangan: Ya") - one capped call besides answering the button. The review card
replaces the card the same way when it fits in one message; the review still lists every
answer, so the chat loses nothing of the log. A typed answer pushes the card up the chat, so
the next question is a new card and the old card only loses its keyboard (two calls).

Once a position's message is out, its message id is remembered in the chat's memory and, for a
question answered by typing, stored with the response (`on_shown`): typed answers are bound to
it, and a repeated tap on a recorded answer re-draws the question only when it never arrived.
An edit keeps the card's message id, so the id alone cannot tell a text meant for the card's
previous question from an answer to the question it shows now: texts that
arrived while the edit was under way are remembered as typed before it (`sent_before_edit`).
A text sent before the edit but arriving after it, or one after a restart, still cannot be told
apart; that is accepted (the kader sees the card change as she taps).
Telegram refuses an edit that changes nothing ("message is not modified"): the card is compared
with what the tapped message shows before editing, and the error is still taken as "shown".
When an edit fails otherwise (message deleted, too old) a new card is sent instead.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.services.outcomes import Outcome, OutcomeKind, Position
from bot.telegram import render, texts
from bot.telegram.chat_state import ChatMemory, memory
from bot.telegram.handlers.common import answer_query
from bot.telegram.processor import PerUserSequentialProcessor
from conversations.engine import question_index
from ikk_core.instrument import Instrument

__all__ = ["Presenter", "Tap"]

log = logging.getLogger(__name__)

_TOAST_LIMIT = 200

OnShown = Callable[[Position, int], Awaitable[object]]
"""Store that message id (int) now shows the position (its question or review card)."""


_IN_PLACE: frozenset[OutcomeKind] = frozenset({"recorded", "moved", "shown", "invalid"})
"""Outcomes of a tap that the tapped card shows by being edited in place."""

_TAG = re.compile(r"<[^>]+>")


def _plain(text_html: str) -> str:
    """The text a user sees of our HTML (tags dropped, entities read), as `Message.text` has it."""
    return html.unescape(_TAG.sub("", text_html)).strip()


def _shows(message: Message | None, item: render.Rendered) -> bool:
    """Whether `message` already shows `item` (text and buttons): editing it would be refused."""
    if message is None or message.text is None:
        return False
    markup = message.reply_markup or InlineKeyboardMarkup([])
    wanted = item.markup or InlineKeyboardMarkup([])
    return message.text.strip() == _plain(item.text) and markup == wanted


def _toast(text: str | None) -> str | None:
    if text is None:
        return None
    return text if len(text) <= _TOAST_LIMIT else text[: _TOAST_LIMIT - 1] + "…"


@dataclass
class Tap:
    """The button press being handled: its query (answered once) and the message it was on."""

    query: CallbackQuery
    answered: bool = False

    async def answer(self, text: str | None = None) -> None:
        if not self.answered:
            self.answered = True
            await answer_query(self.query, _toast(text))

    @property
    def message(self) -> Message | None:
        message = self.query.message
        return message if isinstance(message, Message) else None

    @property
    def message_id(self) -> int | None:
        message = self.query.message
        return message.message_id if message is not None else None


class Presenter:
    """Renders for one update; `tap` is set when the update is a button press."""

    def __init__(
        self,
        instrument: Instrument,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        tap: Tap | None = None,
        on_shown: OnShown | None = None,
    ) -> None:
        self.instrument = instrument
        self.update = update
        self.context = context
        self.tap = tap
        self.on_shown = on_shown
        self.memory: ChatMemory = memory(context)
        chat = update.effective_chat
        self.chat_id = chat.id if chat is not None else 0

    # -- low level ---------------------------------------------------------------------------

    async def answer(self, text: str | None = None) -> None:
        if self.tap is not None:
            await self.tap.answer(text)

    async def _edit(self, call: Awaitable[Any], message_id: int) -> None:
        try:
            await call
        except BadRequest as error:
            text = error.message.lower()
            if "not modified" in text or "not found" in text or "can't be edited" in text:
                log.debug("message %s left as it is: %s", message_id, error.message)
                return
            raise

    async def drop_keyboard(self, message_id: int | None) -> None:
        """Remove the inline keyboard of a message (if it still has one)."""
        if message_id is None:
            return
        if self.memory.keyboard_message == message_id:
            self.memory.keyboard_message = None
        await self._edit(
            self.context.bot.edit_message_reply_markup(self.chat_id, message_id, reply_markup=None),
            message_id,
        )

    async def close_tapped(self, suffix: str | None) -> None:
        """The tapped message loses its keyboard; with `suffix` ("✔️ Ya") it is appended."""
        if self.tap is None or self.tap.message_id is None:
            return
        message = self.tap.message
        if suffix is None or message is None or message.text is None:
            await self.drop_keyboard(self.tap.message_id)
            return
        if self.memory.keyboard_message == message.message_id:
            self.memory.keyboard_message = None
        await self._edit(
            self.context.bot.edit_message_text(
                message.text_html + suffix, self.chat_id, message.message_id, reply_markup=None
            ),
            message.message_id,
        )

    async def send_all(self, messages: Sequence[render.Rendered], *, tidy: Awaitable[Any] | None
                       = None) -> int | None:
        """Send `messages` in order (while `tidy`, an edit of an older message, runs alongside);
        the live keyboard moves to the last of them. Returns the last message's id."""
        sent_ids: list[int] = []
        previous = self.memory.keyboard_message
        tidy_calls: list[Awaitable[Any]] = [tidy] if tidy is not None else []
        tapped = self.tap.message_id if self.tap is not None else None
        if previous is not None and previous != tapped:
            self.memory.keyboard_message = None
            tidy_calls.append(self.drop_keyboard(previous))

        async def sending() -> None:
            for item in messages:
                sent = await self.context.bot.send_message(
                    self.chat_id, item.text, reply_markup=item.markup
                )
                sent_ids.append(sent.message_id)
                self.memory.saw_message(sent.message_id)
                if item.markup is not None:
                    self.memory.keyboard_message = sent.message_id

        await asyncio.gather(sending(), *tidy_calls)
        return sent_ids[-1] if sent_ids else None

    async def say(self, text: str, *, tidy: Awaitable[Any] | None = None) -> None:
        await self.send_all([render.Rendered(text)], tidy=tidy)

    # -- positions -------------------------------------------------------------------------

    async def edit_card(self, message_id: int, item: render.Rendered) -> bool:
        """Edit message `message_id` into `item`; False when Telegram refuses (deleted, too old),
        so the caller sends a new card instead. Unchanged content counts as shown."""
        if self.tap is not None and self.tap.message_id == message_id and _shows(
            self.tap.message, item
        ):
            return True
        try:
            await self.context.bot.edit_message_text(
                item.text, self.chat_id, message_id, reply_markup=item.markup
            )
        except BadRequest as error:
            if "not modified" in error.message.lower():
                return True
            log.info("card %s not edited (%s): sending a new one", message_id, error.message)
            return False
        return True

    async def show(
        self,
        position: Position,
        *,
        header: bool = False,
        notices: Sequence[str] = (),
        tidy: Callable[[], Awaitable[Any]] | None = None,
        answered: str | None = None,
        in_place: bool = False,
    ) -> None:
        """Show where a family stands (question or review card); it becomes the focus.

        `in_place`: edit the tapped card into it (one call) when it fits in one message; else,
        or when the edit fails, send it as new messages while `tidy` (a call that builds an
        edit of an older message) runs alongside.
        """
        self.memory.focus = position.response_id
        messages = render.position_messages(
            self.instrument, position, header=header, notices=notices, answered=answered
        )
        card = self.tap.message_id if in_place and self.tap is not None else None
        if card is not None and card < self.memory.newest_message:
            card = None  # pushed up by newer messages: the next question goes at the bottom
        if card is not None and len(messages) == 1:
            previous = self.memory.keyboard_message
            extra = [self.drop_keyboard(previous)] if previous not in (None, card) else []
            edited, *_ = await asyncio.gather(self.edit_card(card, messages[0]), *extra)
            if edited:
                self.memory.keyboard_message = card if messages[0].markup is not None else None
                self._note_sent_before_edit()
                await self._shown(position, card)
                return
            tidy = None  # the card cannot be edited: leave it as it is
        last = await self.send_all(messages, tidy=tidy() if tidy is not None else None)
        if last is not None:
            await self._shown(position, last)

    def _note_sent_before_edit(self) -> None:
        """Her updates that arrived while the card was being edited were sent before she could
        see the new question: remember the newest, so a text among them is not taken as its
        answer (the message id alone cannot tell, the card keeps its id)."""
        processor = self.context.application.update_processor
        user = self.update.effective_user
        if not isinstance(processor, PerUserSequentialProcessor) or user is None:
            return
        newest = processor.newest_waiting(user.id)
        if newest is not None and newest > self.update.update_id:
            self.memory.sent_before_edit = max(self.memory.sent_before_edit, newest)

    async def _shown(self, position: Position, message_id: int) -> None:
        """Remember which message shows the position. A question answered by typing is also
        stored at once (one statement), so her text is bound to it even after a restart; a
        button question or the review card is only remembered, and the next answer's
        transaction reads it from memory (a tap carries its version and needs no binding)."""
        if position.on_screen:
            return
        self.memory.remember_shown(position.response_id, position.version, message_id)
        prompt = position.prompt
        if self.on_shown is not None and prompt is not None and prompt.expects_text:
            await self.on_shown(position, message_id)

    # -- outcomes --------------------------------------------------------------------------

    def _answered(self, label: str | None, question: str | None) -> str | None:
        if label is None or question is None:
            return None
        return render.answered_line(self.instrument.short_label(question), label)

    async def outcome(self, outcome: Outcome, *, answer_label: str | None = None,
                      answered_question: str | None = None, header: bool = False) -> None:
        """Show what a service call did; `answer_label` is the tapped choice ("Ya") to
        `answered_question` (the question's name)."""
        kind, position = outcome.kind, outcome.position
        if kind == "already_processed":
            return  # handled before: nothing is done twice
        answered = self._answered(answer_label, answered_question)
        suffix = render.answered_suffix(answer_label) if answer_label else None
        if kind == "already_recorded":
            await self.answer(outcome.message or texts.ALREADY_RECORDED)
            if position is not None and not position.on_screen and not position.submitted:
                # The reply to that answer was lost (a crash, a failed send): the kader has
                # not seen where the family stands now, so show it once.
                await self.show(position, answered=answered, in_place=True,
                                tidy=lambda: self.close_tapped(suffix))
            return
        if kind == "not_found" or position is None:
            message = outcome.message or texts.NOT_FOUND
            if self.tap is not None:  # a button of a family she cannot open: a toast will do
                await self.answer(message)
                await self.close_tapped(None)
            else:
                await self.say(message)
            return
        if kind in ("stale", "unseen", "not_editable", "incomplete", "already_submitted"):
            await self.answer(outcome.message)
            if position.submitted and self.memory.focus != position.response_id:
                # A keyboard of a family sent in since: say so, and offer the next family.
                await self.send_all(
                    [render.submitted_message(position, position.score)],
                    tidy=self.close_tapped(None),
                )
                return
            notices = [outcome.message] if outcome.message and self.tap is None else []
            await self.show(position, notices=notices, tidy=lambda: self.close_tapped(None))
            return
        if kind == "confirm":
            await self.answer()
            prompt = position.prompt
            if prompt is None or outcome.pending_value is None:
                await self.show(position)
                return
            question = question_index(self.instrument, prompt.question)
            self.memory.remember_pending(
                position.response_id, question, position.version, outcome.pending_value
            )
            await self.send_all(
                [render.confirm_message(position, question, outcome.message or "Yakin?")],
                tidy=self.close_tapped(None),
            )
            return
        if kind == "submitted":
            await self.answer()
            self.memory.focus = None
            await self.send_all(
                [render.submitted_message(position, outcome.score)],
                tidy=self.close_tapped(None),
            )
            return
        if kind == "cancelled":
            await self.answer()
            await self.say(texts.jeda_saved(position.family.head_name))
            return
        await self.answer()
        if kind == "recorded" and outcome.duplicate is not None:
            self.memory.focus = position.response_id
            await self.send_all([render.duplicate_message(position, outcome.duplicate)],
                                tidy=self.close_tapped(suffix))
            return
        notices = [*outcome.notices]
        if kind == "invalid" and self.tap is not None and outcome.message:
            notices = []
        # A tap moves the family on in its own card; a new family or a list's choice (header)
        # starts a new card below, leaving the message tapped (a list, "sudah dikirim") as is.
        in_place = self.tap is not None and not header and kind in _IN_PLACE
        await self.show(position, header=header, notices=notices, answered=answered,
                        in_place=in_place, tidy=lambda: self.close_tapped(suffix))
