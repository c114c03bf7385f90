"""/undangan for the admin: the usable invites of her area, each with a button that revokes it.

Buttons carry `ia1r:<invite number>`; the service checks that the tapper is an admin and that
the invite lies in her area, so a forged button changes nothing. After a tap the list is drawn
again in place, so a revoked invite's button disappears and a second tap has nothing to hit.
"""

from __future__ import annotations

import logging
import re
from typing import Final
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.db.models import Role
from bot.services import invite_admin
from bot.services.context import ServiceContext
from bot.telegram import invite_texts, texts
from bot.telegram.chat_state import account_of
from bot.telegram.deps import Deps
from bot.telegram.handlers.common import answer_query, is_not_modified, send
from bot.telegram.idempotency import claim_update

__all__ = ["PATTERN", "invite_admin_handlers"]

log = logging.getLogger(__name__)

PATTERN: Final = re.compile(r"^ia\d")
_SHAPE: Final = re.compile(r"^ia1r:([1-9][0-9]{0,17})$")


def _listing(
    lines: list[invite_admin.InviteLine], tz: ZoneInfo
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not lines:
        return invite_texts.NO_ACTIVE_INVITES, None
    body = [invite_texts.invites_intro(len(lines), invite_admin.MAX_LISTED), ""]
    buttons = []
    for line in lines:
        invite = line.invite
        expires = format_datetime(invite.expires_at, "d MMM y HH.mm", tzinfo=tz, locale="id")
        body.append(invite_texts.invite_line(invite.id, texts.ROLE_NAMES[invite.role],
                                             line.area_label, invite.uses, invite.max_uses,
                                             f"{expires} WITA"))
        buttons.append([InlineKeyboardButton(invite_texts.revoke_button(invite.id),
                                             callback_data=f"ia1r:{invite.id}")])
    return "\n".join(body), InlineKeyboardMarkup(buttons)


def invite_admin_handlers(
    deps: Deps,
) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """/undangan and its revoke buttons (register before the questionnaire's catch-all)."""
    ctx = ServiceContext.create(deps.session_factory, deps.settings, deps.instrument)
    tz = deps.settings.tz

    async def admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
        user = update.effective_user
        if user is None or not await claim_update(deps.session_factory, update.update_id,
                                                  user.id):
            return None
        account = await account_of(deps.session_factory, context, user.id)
        if account is None:
            await send(update, context, texts.ACCESS)
            return None
        if account.role is not Role.ADMIN:
            await send(update, context, invite_texts.UNDANGAN_ADMIN_ONLY)
            return None
        return account.user_id

    async def undangan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        actor = await admin(update, context)
        if actor is None:
            return
        lines = await invite_admin.admin_invites(ctx, actor)
        if lines is None:  # no longer an admin (changed at the command line)
            await send(update, context, invite_texts.UNDANGAN_ADMIN_ONLY)
            return
        text, markup = _listing(lines, tz)
        await send(update, context, text, markup)

    async def revoke(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        match = _SHAPE.match(query.data or "")
        if match is None:
            await answer_query(query, texts.BUTTON_EXPIRED)
            return
        if not await claim_update(deps.session_factory, update.update_id, user.id):
            await answer_query(query)
            return
        account = await account_of(deps.session_factory, context, user.id)
        result = (
            await invite_admin.admin_revoke(ctx, account.user_id, int(match.group(1)))
            if account is not None else None
        )
        if result is None:
            await answer_query(query, invite_texts.UNDANGAN_ADMIN_ONLY)
            return
        if result.invite is None:
            await answer_query(query, invite_texts.INVITE_NOT_FOUND)
        elif result.already:
            await answer_query(query, invite_texts.already_revoked(result.invite.id))
        else:
            await answer_query(query, invite_texts.revoked(result.invite.id))
        if account is not None and isinstance(query.message, Message):
            lines = await invite_admin.admin_invites(ctx, account.user_id) or []
            text, markup = _listing(lines, tz)
            try:
                await query.message.edit_text(text, reply_markup=markup)
            except BadRequest as error:
                if not is_not_modified(error):
                    raise

    new_private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        CommandHandler("undangan", undangan, filters=new_private),
        CallbackQueryHandler(revoke, pattern=PATTERN),
    ]
