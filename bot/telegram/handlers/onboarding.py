"""/start (with or without an invite code), the area-change question, and /bantuan.

An official who opens an invite of her own role for another area is asked first ("Area Anda
akan berubah dari X ke Y. Lanjutkan?"); the invite is only used when she taps "Ya", and "Tidak"
leaves everything as it was. A stale or double "Ya" is answered by the invite's own state
(already used by her: nothing new; used up, expired, revoked: said so).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.repositories.invites import RedeemOutcome
from bot.telegram import accounts, invite_texts, texts
from bot.telegram.accounts import AreaChange, Profile
from bot.telegram.chat_state import Account, forget_account, remember_account
from bot.telegram.deps import Deps
from bot.telegram.handlers.common import answer_query, is_not_modified, send
from bot.telegram.idempotency import claim_update
from bot.telegram.invite_buttons import PATTERN as AREA_CHANGE_PATTERN
from bot.telegram.invite_buttons import decode as decode_area_change
from bot.telegram.invite_buttons import encode_no, encode_yes
from bot.telegram.menus import commands_for, set_user_menu

__all__ = ["greeting_for", "onboarding_handlers"]

_FAILURES = {
    RedeemOutcome.UNKNOWN: texts.INVITE_UNKNOWN,
    RedeemOutcome.USED_UP: texts.INVITE_USED_UP,
    RedeemOutcome.EXPIRED: texts.INVITE_EXPIRED,
    RedeemOutcome.MALFORMED: texts.INVITE_MALFORMED,
    RedeemOutcome.REVOKED: invite_texts.INVITE_REVOKED,
}


def greeting_for(profile: Profile) -> str:
    """The welcome of a registered user, listing the commands of their menu."""
    return texts.greeting(
        profile.role, profile.display_name, profile.areas, commands_for(profile.role)
    )


def _start_reply(result: accounts.StartResult) -> str:
    profile = result.profile
    parts: list[str] = []
    failure = _FAILURES.get(result.outcome) if result.outcome is not None else None
    if failure is not None:
        parts.append(failure)
    elif result.outcome is RedeemOutcome.ROLE_CONFLICT and profile is not None:
        parts.append(texts.role_conflict(profile.role))
    if profile is not None:
        parts.append(greeting_for(profile))
    elif result.outcome is None:
        parts.append(texts.ACCESS)
    return "\n\n".join(parts)


def _area_change_keyboard(change: AreaChange) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(invite_texts.AREA_CHANGE_YES, callback_data=encode_yes(change.code)),
        InlineKeyboardButton(invite_texts.AREA_CHANGE_NO, callback_data=encode_no()),
    ]])


async def _close_question(message: object, text: str) -> None:
    """Replace the question by its outcome, without buttons, so it cannot be tapped again."""
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(text, reply_markup=None)
    except BadRequest as error:
        if not is_not_modified(error):
            raise


def onboarding_handlers(deps: Deps) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Handlers of /start and /bantuan (private chats, new messages only)."""

    async def claimed(update: Update, telegram_id: int) -> bool:
        return await claim_update(deps.session_factory, update.update_id, telegram_id)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is None or not await claimed(update, user.id):
            return
        code = " ".join(context.args) if context.args else None
        result = await accounts.start(deps.session_factory, user.id, user.full_name, code)
        if result.area_change is not None:
            change = result.area_change
            await send(update, context,
                       invite_texts.area_change_question(change.current, change.new),
                       _area_change_keyboard(change))
            return
        await _registered(update, context, user.id, result)

    async def _registered(update: Update, context: ContextTypes.DEFAULT_TYPE, telegram_id: int,
                          result: accounts.StartResult) -> None:
        profile = result.profile
        if profile is None:
            forget_account(context)
        else:
            remember_account(context, Account(profile.user_id, profile.role))
            await set_user_menu(context.bot, telegram_id, profile.role)
        await send(update, context, _start_reply(result))

    async def area_change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, user = update.callback_query, update.effective_user
        if query is None or user is None or not await claimed(update, user.id):
            return
        button = decode_area_change(query.data)
        if button is None:
            await answer_query(query, texts.BUTTON_EXPIRED)
            return
        if not button.confirm or button.code is None:
            await answer_query(query)
            profile = await accounts.load_profile(deps.session_factory, user.id)
            current = ", ".join(profile.areas) if profile is not None else "-"
            await _close_question(query.message, invite_texts.area_kept(current))
            return
        result = await accounts.start(deps.session_factory, user.id, user.full_name,
                                      button.code, confirm_area_change=True)
        if result.outcome is RedeemOutcome.OK and result.already_redeemed:
            await answer_query(query, texts.ALREADY_RECORDED)  # a second tap: nothing new
            return
        await answer_query(query)
        if result.outcome is not RedeemOutcome.OK or result.profile is None:
            # Used up, expired or revoked since the question: say so, with who she still is.
            await _close_question(query.message, _start_reply(result))
            return
        await _close_question(query.message,
                              invite_texts.area_changed(", ".join(result.profile.areas)))
        await _registered(update, context, user.id, result)

    async def bantuan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is None or not await claimed(update, user.id):
            return
        profile = await accounts.load_profile(deps.session_factory, user.id)
        if profile is None:
            await send(update, context, texts.ACCESS)
            return
        await send(update, context, texts.help_text(profile.role, commands_for(profile.role)))

    new_private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        CommandHandler("start", start, filters=new_private),
        CommandHandler(["bantuan", "help"], bantuan, filters=new_private),
        CallbackQueryHandler(area_change, pattern=AREA_CHANGE_PATTERN),
    ]
