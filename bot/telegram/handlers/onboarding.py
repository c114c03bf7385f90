"""/start (with or without an invite code) and /bantuan."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from bot.repositories.invites import RedeemOutcome
from bot.telegram import accounts, texts
from bot.telegram.accounts import Profile
from bot.telegram.chat_state import Account, forget_account, remember_account
from bot.telegram.deps import Deps
from bot.telegram.handlers.common import send
from bot.telegram.idempotency import claim_update
from bot.telegram.menus import commands_for, set_user_menu

__all__ = ["greeting_for", "onboarding_handlers"]

_FAILURES = {
    RedeemOutcome.UNKNOWN: texts.INVITE_UNKNOWN,
    RedeemOutcome.USED_UP: texts.INVITE_USED_UP,
    RedeemOutcome.EXPIRED: texts.INVITE_EXPIRED,
    RedeemOutcome.MALFORMED: texts.INVITE_MALFORMED,
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
        profile = result.profile
        if profile is None:
            forget_account(context)
        else:
            remember_account(context, Account(profile.user_id, profile.role))
            await set_user_menu(context.bot, user.id, profile.role)
        await send(update, context, _start_reply(result))

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
    ]
