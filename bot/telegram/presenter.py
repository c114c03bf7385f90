"""Show the services' outcomes in the chat: answer the button, tidy old keyboards, send.

The chat should read as a clean question-and-answer log with exactly one live keyboard: when a
question is answered by a tap its message gets "✔️ Ya" and loses its buttons; when the next
question or the review card is sent, the previous keyboard is removed first. Once a position's
message is out, `on_shown` stores its message id with the response: typed answers are bound to
it, and a repeated tap on a recorded answer re-sends the question only when it never arrived.
Telegram refuses an edit that changes nothing ("message is not modified") and edits of deleted
messages; both only mean the message is already as we want it, so they are ignored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.services.outcomes import Outcome, Position
from bot.telegram import render, texts
from bot.telegram.chat_state import ChatMemory, memory
from bot.telegram.handlers.common import answer_query
from conversations.engine import question_index
from ikk_core.instrument import Instrument

__all__ = ["Presenter", "Tap"]

log = logging.getLogger(__name__)

_TOAST_LIMIT = 200

OnShown = Callable[[Position, int], Awaitable[object]]
"""Store that message id (int) now shows the position (its question or review card)."""


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
                if item.markup is not None:
                    self.memory.keyboard_message = sent.message_id

        await asyncio.gather(sending(), *tidy_calls)
        return sent_ids[-1] if sent_ids else None

    async def say(self, text: str, *, tidy: Awaitable[Any] | None = None) -> None:
        await self.send_all([render.Rendered(text)], tidy=tidy)

    # -- positions -------------------------------------------------------------------------

    async def show(
        self,
        position: Position,
        *,
        header: bool = False,
        notices: Sequence[str] = (),
        tidy: Awaitable[Any] | None = None,
    ) -> None:
        """Send where a family stands (question or review card); it becomes the focus."""
        self.memory.focus = position.response_id
        messages = render.position_messages(
            self.instrument, position, header=header, notices=notices
        )
        last = await self.send_all(messages, tidy=tidy)
        if last is not None and self.on_shown is not None and not position.on_screen:
            await self.on_shown(position, last)

    # -- outcomes --------------------------------------------------------------------------

    async def outcome(self, outcome: Outcome, *, answer_label: str | None = None,
                      header: bool = False) -> None:
        """Show what a service call did; `answer_label` is the tapped choice ("Ya")."""
        kind, position = outcome.kind, outcome.position
        if kind == "already_processed":
            return  # handled before: nothing is done twice
        if kind == "already_recorded":
            await self.answer(outcome.message or texts.ALREADY_RECORDED)
            if position is not None and not position.on_screen and not position.submitted:
                # The reply to that answer was lost (a crash, a failed send): the kader has
                # not seen where the family stands now, so show it once.
                suffix = render.answered_suffix(answer_label) if answer_label else None
                await self.show(position, tidy=self.close_tapped(suffix))
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
            await self.show(position, notices=notices, tidy=self.close_tapped(None))
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
        suffix = render.answered_suffix(answer_label) if answer_label else None
        if kind == "moved" and self.tap is not None and answer_label is None:
            suffix = None
        tidy = self.close_tapped(suffix)
        if kind == "recorded" and outcome.duplicate is not None:
            self.memory.focus = position.response_id
            await self.send_all([render.duplicate_message(position, outcome.duplicate)], tidy=tidy)
            return
        notices = [*outcome.notices]
        if kind == "invalid" and self.tap is not None and outcome.message:
            notices = []
        await self.show(position, header=header, notices=notices, tidy=tidy)
