"""The admin's housekeeping in chat: /undangan (revoke an invite) and /pengguna (switch a user
off or on).

Buttons carry `ia1r:<invite number>` and `iu1d:<user>` / `iu1a:<user>`; the services check that
the tapper is an admin and that the invite or person lies in her area, so a forged button
changes nothing. After a tap the list is drawn again in place, so a used button disappears.
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
from bot.repositories.users import UserSummary
from bot.services import invite_admin, user_admin
from bot.services.context import ServiceContext
from bot.services.user_admin import ToggleResult
from bot.telegram import invite_texts, people_texts, texts
from bot.telegram.chat_state import account_of, forget_account_of
from bot.telegram.deps import Deps
from bot.telegram.handlers.common import answer_query, is_not_modified, send
from bot.telegram.idempotency import claim_update

__all__ = ["INVITE_PATTERN", "PEOPLE_PATTERN", "admin_handlers"]

log = logging.getLogger(__name__)

INVITE_PATTERN: Final = re.compile(r"^ia\d")
_SHAPE: Final = re.compile(r"^ia1r:([1-9][0-9]{0,17})$")
PEOPLE_PATTERN: Final = re.compile(r"^iu\d")
_PEOPLE_SHAPE: Final = re.compile(r"^iu1([da]):([1-9][0-9]{0,17})$")


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


def _people(people: list[UserSummary]) -> tuple[str, InlineKeyboardMarkup | None]:
    if not people:
        return people_texts.NO_PEOPLE, None
    body = [people_texts.people_intro(len(people), user_admin.MAX_LISTED), ""]
    buttons = []
    for person in people:
        name = person.display_name or str(person.telegram_id)
        body.append(people_texts.person_line(name, texts.ROLE_NAMES[person.role],
                                             person.area_label, person.active))
        label, data = (
            (people_texts.deactivate_button(name), f"iu1d:{person.id}") if person.active
            else (people_texts.activate_button(name), f"iu1a:{person.id}")
        )
        buttons.append([InlineKeyboardButton(label, callback_data=data)])
    return "\n".join(body), InlineKeyboardMarkup(buttons)


async def _redraw(message: object, text: str, markup: InlineKeyboardMarkup | None) -> None:
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(text, reply_markup=markup)
    except BadRequest as error:
        if not is_not_modified(error):
            raise


def admin_handlers(
    deps: Deps,
) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """/undangan, /pengguna and their buttons (register before the questionnaire's catch-all)."""
    ctx = ServiceContext.create(deps.session_factory, deps.settings, deps.instrument)
    tz = deps.settings.tz

    async def admin(update: Update, context: ContextTypes.DEFAULT_TYPE,
                    refusal: str = invite_texts.UNDANGAN_ADMIN_ONLY) -> int | None:
        user = update.effective_user
        if user is None or not await claim_update(deps.session_factory, update.update_id,
                                                  user.id):
            return None
        account = await account_of(deps.session_factory, context, user.id)
        if account is None:
            await send(update, context, texts.ACCESS)
            return None
        if account.role is not Role.ADMIN:
            await send(update, context, refusal)
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
        if account is not None:
            lines = await invite_admin.admin_invites(ctx, account.user_id) or []
            await _redraw(query.message, *_listing(lines, tz))

    async def pengguna(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        actor = await admin(update, context, people_texts.PENGGUNA_ADMIN_ONLY)
        if actor is None:
            return
        people = await user_admin.admin_users(ctx, actor)
        if people is None:
            await send(update, context, people_texts.PENGGUNA_ADMIN_ONLY)
            return
        await send(update, context, *_people(people))

    async def toggle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        match = _PEOPLE_SHAPE.match(query.data or "")
        if match is None:
            await answer_query(query, texts.BUTTON_EXPIRED)
            return
        if not await claim_update(deps.session_factory, update.update_id, user.id):
            await answer_query(query)
            return
        account = await account_of(deps.session_factory, context, user.id)
        if account is None:
            await answer_query(query, people_texts.PENGGUNA_ADMIN_ONLY)
            return
        activate = match.group(1) == "a"
        done = await user_admin.set_active(ctx, account.user_id, int(match.group(2)), activate)
        toast = {
            ToggleResult.FORBIDDEN: people_texts.PENGGUNA_ADMIN_ONLY,
            ToggleResult.NOT_FOUND: people_texts.USER_NOT_FOUND,
            ToggleResult.SELF: people_texts.SELF,
            ToggleResult.UNCHANGED: people_texts.unchanged(done.name, done.active),
            ToggleResult.CHANGED: (people_texts.activated(done.name) if activate
                                   else people_texts.deactivated(done.name)),
        }[done.result]
        if done.telegram_id is not None:
            forget_account_of(context, done.telegram_id)  # their next message sees the change
        await answer_query(query, toast)
        if done.result is not ToggleResult.FORBIDDEN:
            people = await user_admin.admin_users(ctx, account.user_id) or []
            await _redraw(query.message, *_people(people))

    new_private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        CommandHandler("undangan", undangan, filters=new_private),
        CallbackQueryHandler(revoke, pattern=INVITE_PATTERN),
        CommandHandler("pengguna", pengguna, filters=new_private),
        CallbackQueryHandler(toggle, pattern=PEOPLE_PATTERN),
    ]
