"""What the adapter keeps in memory per chat and per user, and why none of it is essential.

The database is the conversation state (design decision 1). This memory only makes the chat
read well and saves queries: which family the kader is working on (her "focus", else her most
recently touched draft is used), which message carries the live keyboard (so it can be removed
when the next question comes), the unusual value a "Yakin?" is about, which of her messages
were taken as answers (an edit of one gets a note), the newest message in the chat (is the
live card still at the bottom?), which message showed each family's button question or review
card (not written to the database: the next answer's transaction reads it from here), and her
account id. After a restart it is empty and everything still works: the focus falls back to
the latest draft, an old keyboard is answered as stale, a "Ya, benar" shows the question again,
a repeated tap redraws the card and a text typed to a button question is asked again once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select
from telegram.ext import ContextTypes

from bot.db.engine import READ_ONLY, SessionFactory
from bot.db.models import AppUser, Role
from bot.repositories.responses import ShownMark

__all__ = [
    "Account",
    "ChatMemory",
    "account_of",
    "forget_account",
    "memory",
    "remember_account",
]

_MEMORY_KEY: Final = "ikk_memory"
_ACCOUNT_KEY: Final = "ikk_account"
#: How long a remembered account is trusted before the database is asked again: a user switched
#: off or moved on the command line (another process) is seen within this time.
ACCOUNT_TTL_SECONDS: Final = 60.0
ANSWER_MESSAGES_KEPT: Final = 200
PENDING_KEPT: Final = 20
SHOWN_KEPT: Final = 20


@dataclass
class ChatMemory:
    """Per-chat convenience state (see the module docstring)."""

    focus: int | None = None
    keyboard_message: int | None = None
    pending: OrderedDict[tuple[int, int, int], str] = field(default_factory=OrderedDict)
    answer_messages: OrderedDict[int, None] = field(default_factory=OrderedDict)
    newest_message: int = 0
    """The newest message id seen in the chat (hers or the bot's): a live card older than it
    has been pushed up the chat, so the next question goes below instead of into the card."""

    sent_before_edit: int = 0
    """Updates up to this id arrived while the live card was being edited to a new question:
    a text among them was typed while she still saw the card's previous question."""

    shown: OrderedDict[int, ShownMark] = field(default_factory=OrderedDict)
    """Response id → the message that first showed its current version, not stored."""

    def remember_shown(self, response_id: int, version: int, message_id: int) -> None:
        """Message `message_id` shows `version` of the response; a later showing of the same
        version does not replace the first (a typed answer only has to follow the first)."""
        found = self.shown.get(response_id)
        if found is None or found.version != version:
            self.shown[response_id] = ShownMark(version, message_id)
        self.shown.move_to_end(response_id)
        while len(self.shown) > SHOWN_KEPT:
            self.shown.popitem(last=False)

    def shown_mark(self, response_id: int) -> ShownMark | None:
        return self.shown.get(response_id)

    def saw_message(self, message_id: int) -> None:
        self.newest_message = max(self.newest_message, message_id)

    def remember_pending(self, response_id: int, question: int, version: int, value: str) -> None:
        self.pending[(response_id, question, version)] = value
        while len(self.pending) > PENDING_KEPT:
            self.pending.popitem(last=False)

    def remember_answer_message(self, message_id: int) -> None:
        self.answer_messages[message_id] = None
        while len(self.answer_messages) > ANSWER_MESSAGES_KEPT:
            self.answer_messages.popitem(last=False)

    def was_answer(self, message_id: int) -> bool:
        return message_id in self.answer_messages


def memory(context: ContextTypes.DEFAULT_TYPE) -> ChatMemory:
    """The memory of the update's chat (a throwaway one when the update has no chat)."""
    chat_data = context.chat_data
    if chat_data is None:
        return ChatMemory()
    found = chat_data.get(_MEMORY_KEY)
    if not isinstance(found, ChatMemory):
        found = chat_data[_MEMORY_KEY] = ChatMemory()
    return found


@dataclass(frozen=True)
class Account:
    """The registered, active user behind a Telegram id (database id and role)."""

    user_id: int
    role: Role
    checked_at: float = field(default_factory=time.monotonic, compare=False)

    @property
    def is_kader(self) -> bool:
        return self.role is Role.KADER


async def account_of(
    session_factory: SessionFactory, context: ContextTypes.DEFAULT_TYPE, telegram_id: int
) -> Account | None:
    """The user's account, from memory (for at most `ACCOUNT_TTL_SECONDS`) or from the database
    (strangers are not remembered, so an invite redeemed a second ago is seen at once)."""
    user_data = context.user_data
    cached = user_data.get(_ACCOUNT_KEY) if user_data is not None else None
    if isinstance(cached, Account) and time.monotonic() - cached.checked_at < ACCOUNT_TTL_SECONDS:
        return cached
    async with session_factory() as session:
        await session.connection(execution_options=READ_ONLY)
        row = (
            await session.execute(
                select(AppUser.id, AppUser.role).where(
                    AppUser.telegram_id == telegram_id, AppUser.active.is_(True)
                )
            )
        ).first()
    if row is None:
        return None
    account = Account(row.id, row.role)
    remember_account(context, account)
    return account


def remember_account(context: ContextTypes.DEFAULT_TYPE, account: Account) -> None:
    if context.user_data is not None:
        context.user_data[_ACCOUNT_KEY] = account


def forget_account(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop the remembered account (after a service said the user is unknown or inactive)."""
    if context.user_data is not None:
        context.user_data.pop(_ACCOUNT_KEY, None)


def forget_account_of(context: ContextTypes.DEFAULT_TYPE, telegram_id: int) -> None:
    """Drop ANOTHER user's remembered account (the admin switched them off or on), so their
    next message is checked against the database instead of a stale memory."""
    data = context.application.user_data.get(telegram_id)
    if data is not None:
        data.pop(_ACCOUNT_KEY, None)
