"""/periksa: a supervisor (or admin) reviews submitted families in chat.

Thin like every handler: each update is claimed by its id (a redelivery is not answered twice),
one service call of `bot.services.family_review` does the work and checks role and scope in the
data layer, and the reply is rendered by `bot.telegram.review_texts`.

"⚠️ Perlu dicek" asks for the reason as typed text. Which family the next text is for is kept
in memory only (per Telegram user, for `REASON_WAIT`); after a restart the supervisor simply
taps again. A repeated or stale tap is harmless: the same verdict twice changes nothing.
"""

from __future__ import annotations

import logging
import time
from typing import Final

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.db.models import ReviewStatus
from bot.repositories.reviews import REVIEWER_ROLES, ReviewError, ReviewStale
from bot.repositories.scope import OutOfScope
from bot.services import family_review
from bot.telegram import review_texts, texts
from bot.telegram.chat_state import Account
from bot.telegram.deps import Deps
from bot.telegram.handlers.common import answer_query, claimed_account, send
from bot.telegram.render import Rendered
from bot.telegram.review_texts import ReviewAction

__all__ = ["REASON_WAIT", "review_handlers"]

log = logging.getLogger(__name__)

Handlers = list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]
REASON_WAIT: Final = 15 * 60.0
"""Seconds a "perlu dicek" tap waits for its typed reason."""


class AwaitingReason(filters.MessageFilter):
    """Texts of supervisors who were asked for a reason (and not too long ago)."""

    def __init__(self) -> None:
        super().__init__(name="AwaitingReason")
        self.waiting: dict[int, tuple[int, int, float]] = {}

    def expect(self, telegram_id: int, family_id: int, version: int) -> None:
        self.waiting[telegram_id] = (family_id, version, time.monotonic())

    def drop(self, telegram_id: int) -> None:
        self.waiting.pop(telegram_id, None)

    def family_of(self, telegram_id: int) -> tuple[int, int] | None:
        """(family id, version seen) the next text of this user is the reason for."""
        found = self.waiting.get(telegram_id)
        if found is None or time.monotonic() - found[2] > REASON_WAIT:
            self.waiting.pop(telegram_id, None)
            return None
        return found[0], found[1]

    def filter(self, message: object) -> bool:
        sender = getattr(message, "from_user", None)
        return sender is not None and self.family_of(sender.id) is not None


class Review:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.ctx = deps.services
        self.awaiting = AwaitingReason()

    async def _reviewer(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> Account | None:
        """The reviewer behind a new update; None after a redelivery or a refusal."""
        account = await claimed_account(self.deps.session_factory, update, context)
        if account is None:
            return None
        if update.callback_query is not None:
            await answer_query(update.callback_query)
        if account.role not in REVIEWER_ROLES:
            await send(update, context, review_texts.NOT_A_REVIEWER)
            return None
        return account

    async def _show(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, shown: Rendered
    ) -> None:
        await send(update, context, shown.text, shown.markup)

    async def _page(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, account: Account, page: int
    ) -> None:
        queue = await family_review.review_page(self.ctx, account.user_id, page)
        await self._show(update, context, review_texts.queue_message(queue))

    async def periksa(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account = await self._reviewer(update, context)
        if account is None or update.effective_user is None:
            return
        self.awaiting.drop(update.effective_user.id)  # /periksa also cancels a reason prompt
        await self._page(update, context, account, 0)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        data = review_texts.decode(query.data)
        if data is None:
            await answer_query(query, texts.BUTTON_EXPIRED)
            return
        account = await self._reviewer(update, context)
        user = update.effective_user
        if account is None or user is None:
            return
        try:
            if data.action is ReviewAction.PAGE:
                await self._page(update, context, account, data.number)
                return
            seen = await family_review.show_family(self.ctx, account.user_id, data.number)
            if data.action is ReviewAction.FAMILY:
                await self._show(update, context, review_texts.family_message(seen))
            elif data.version != seen.item.version:  # a card older than the kader's change
                await self._changed(update, context, seen)
            elif data.action is ReviewAction.CHECK:
                self.awaiting.expect(user.id, data.number, seen.item.version)
                await send(update, context, review_texts.asked_reason(seen))
            else:
                change = await family_review.mark_family(
                    self.ctx, account.user_id, data.number, ReviewStatus.VERIFIED,
                    seen_version=data.version,
                )
                await self._show(update, context, review_texts.marked(
                    seen.item.family.text, change.new, change.changed))
        except ReviewStale:  # changed between the two reads
            await self._changed(update, context, await family_review.show_family(
                self.ctx, account.user_id, data.number))
        except OutOfScope as refused:
            log.info("update %s: review of family %s refused", update.update_id, data.number)
            await send(update, context, str(refused))

    async def _changed(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE,
        seen: family_review.FamilyForReview,
    ) -> None:
        await send(update, context, review_texts.CHANGED_SINCE)
        await self._show(update, context, review_texts.family_message(seen))

    async def reason(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        user = update.effective_user
        if message is None or message.text is None or user is None:
            return
        waiting = self.awaiting.family_of(user.id)
        account = await self._reviewer(update, context)
        if account is None or waiting is None:
            return
        family_id, version = waiting
        try:
            change = await family_review.mark_family(
                self.ctx, account.user_id, family_id, ReviewStatus.NEEDS_CHECK, message.text,
                seen_version=version,
            )
            seen = await family_review.show_family(self.ctx, account.user_id, family_id)
        except ReviewError as bad:  # still waiting: she can type it again
            await send(update, context, str(bad))
            return
        except ReviewStale:
            self.awaiting.drop(user.id)
            await self._changed(update, context, await family_review.show_family(
                self.ctx, account.user_id, family_id))
            return
        except OutOfScope as refused:
            self.awaiting.drop(user.id)
            await send(update, context, str(refused))
            return
        self.awaiting.drop(user.id)
        await self._show(update, context, review_texts.marked(
            seen.item.family.text, change.new, change.changed))


def review_handlers(deps: Deps) -> Handlers:
    """/periksa, its buttons, and the typed reason of "perlu dicek". Register before the
    questionnaire's catch-all text and button handlers."""
    review = Review(deps)
    new_private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        CommandHandler("periksa", review.periksa, filters=new_private),
        CallbackQueryHandler(review.button, pattern=review_texts.PATTERN),
        MessageHandler(
            new_private & filters.TEXT & ~filters.COMMAND & review.awaiting, review.reason
        ),
    ]
