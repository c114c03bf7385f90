"""/peringatan (an official's alert settings), /status_peringatan (admins) and the alert
buttons ("✅ Sudah dibaca" and the settings buttons, which edit the settings message in place).

Blocking and unblocking the bot (`my_chat_member`) already updates reachability in
`bot.telegram.handlers.robustness`; the alert sender also marks a user unreachable when
Telegram answers Forbidden. Register these handlers BEFORE the questionnaire's catch-all
callback handler and the unknown-command fallback.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.alerts import buttons
from bot.alerts.buttons import AlertButton, Op
from bot.alerts.delivery import AckOutcome, acknowledge
from bot.alerts.schedule import describe_schedule
from bot.alerts.status import alert_status
from bot.alerts.subscriptions import Subscription, ensure_subscription, update_subscription
from bot.db.models import Role
from bot.telegram import accounts, alert_texts, texts
from bot.telegram.accounts import Profile
from bot.telegram.deps import Deps
from bot.telegram.handlers.common import answer_query, is_not_modified, send
from bot.telegram.idempotency import claim_update
from ikk_core.alert_digest import instrument_sectors

__all__ = ["alert_handlers"]

log = logging.getLogger(__name__)

Handlers = list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]
OFFICIALS = frozenset({Role.PEJABAT, Role.ADMIN})


def _button(label: str, button: AlertButton) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=buttons.encode(button))


def _tick(on: bool) -> str:
    return "✅" if on else "⬜"


class AlertHandlers:
    """The alert commands and buttons, bound to the application's dependencies."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.ctx = deps.services
        self.sectors = instrument_sectors(deps.instrument)

    # -- views -----------------------------------------------------------------------------

    def main_view(
        self, profile: Profile, sub: Subscription
    ) -> tuple[str, InlineKeyboardMarkup]:
        settings = self.deps.settings
        text = alert_texts.settings_text(
            sub,
            ", ".join(profile.areas) or "-",
            describe_schedule(settings.alert_schedule, settings.timezone),
            self.deps.instrument.settings.red_threshold,
        )
        toggle = (
            _button("🔕 Matikan peringatan", AlertButton(Op.ENABLE, flag=False))
            if sub.enabled
            else _button("🔔 Aktifkan peringatan", AlertButton(Op.ENABLE, flag=True))
        )
        sectors_label = f"🏢 Sektor: {len(sub.sectors)} dipilih" if sub.sectors else (
            "🏢 Sektor: semua"
        )
        quiet = _button(
            f"{_tick(sub.quiet_weeks)} Pesan minggu tanpa indikator merah",
            AlertButton(Op.QUIET, flag=not sub.quiet_weeks),
        )
        keyboard = [[toggle], [_button(sectors_label, AlertButton(Op.SECTOR_LIST))], [quiet]]
        return text, InlineKeyboardMarkup(keyboard)

    def sectors_view(self, sub: Subscription) -> tuple[str, InlineKeyboardMarkup]:
        followed = {s.casefold() for s in sub.sectors}
        rows = [[_button(f"{_tick(not followed)} Semua sektor", AlertButton(Op.ALL_SECTORS))]]
        row: list[InlineKeyboardButton] = []
        for index, name in enumerate(self.sectors):
            on = name.casefold() in followed
            row.append(
                _button(
                    f"{_tick(on)} {name}",
                    AlertButton(Op.SECTOR, number=index, flag=not on,
                                check=buttons.sector_check(name)),
                )
            )
            if len(row) == 2:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
        rows.append([_button("⬅️ Kembali", AlertButton(Op.MAIN))])
        return alert_texts.sectors_text(sub), InlineKeyboardMarkup(rows)

    # -- commands --------------------------------------------------------------------------

    async def official(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, *, admin_only: bool = False
    ) -> Profile | None:
        """The official behind a command, or None after saying why not (claims the update,
        so a redelivered command answers once)."""
        user = update.effective_user
        if user is None or not await claim_update(
            self.deps.session_factory, update.update_id, user.id
        ):
            return None
        profile = await accounts.load_profile(self.deps.session_factory, user.id)
        if profile is None:
            await send(update, context, texts.ACCESS)
            return None
        allowed = {Role.ADMIN} if admin_only else OFFICIALS
        if profile.role not in allowed:
            refusal = alert_texts.ADMIN_ONLY if admin_only else alert_texts.OFFICIALS_ONLY
            await send(update, context, refusal)
            return None
        return profile

    async def peringatan(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        profile = await self.official(update, context)
        if profile is None:
            return
        sub = await self._subscription(profile.user_id)
        text, markup = self.main_view(profile, sub)
        await send(update, context, text, markup)

    async def status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        profile = await self.official(update, context, admin_only=True)
        if profile is None:
            return
        found = await alert_status(self.ctx, profile.user_id)
        if found is None:  # demoted or deactivated since the profile was read
            await send(update, context, alert_texts.ADMIN_ONLY)
            return
        settings = self.deps.settings
        schedule = describe_schedule(settings.alert_schedule, settings.timezone)
        await send(update, context, alert_texts.status_text(found, schedule, settings.tz))

    async def _subscription(self, user_id: int) -> Subscription:
        async def work(session: AsyncSession) -> Subscription:
            return await ensure_subscription(session, user_id)

        return await self.ctx.write(work)

    # -- buttons ---------------------------------------------------------------------------

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        user = update.effective_user
        if query is None or user is None:
            return
        data = buttons.decode(query.data)
        if data is None:
            await answer_query(query, alert_texts.STALE_BUTTON)
            return
        if data.op is Op.ACK:
            await self._acknowledge(query, user.id, data.number)
            return
        profile = await accounts.load_profile(self.deps.session_factory, user.id)
        if profile is None or profile.role not in OFFICIALS:
            await answer_query(
                query, alert_texts.OFFICIALS_ONLY if profile is not None else texts.ACCESS
            )
            return
        await self._settings(query, profile, data)

    async def _acknowledge(self, query: CallbackQuery, telegram_id: int, delivery: int) -> None:
        outcome = await acknowledge(self.ctx, delivery, telegram_id)
        if outcome is AckOutcome.NOT_FOUND:
            await answer_query(query, alert_texts.ACK_NOT_YOURS)
            return
        await answer_query(
            query,
            alert_texts.ACKNOWLEDGED if outcome is AckOutcome.RECORDED else alert_texts.ACK_ALREADY,
        )
        if isinstance(query.message, Message):
            try:
                await query.edit_message_reply_markup(reply_markup=None)
            except BadRequest as error:
                if not is_not_modified(error):
                    log.info("could not remove the read button: %s", error)

    async def _settings(self, query: CallbackQuery, profile: Profile, data: AlertButton) -> None:
        user_id = profile.user_id
        sector_view = data.op in (Op.SECTOR_LIST, Op.SECTOR, Op.ALL_SECTORS)
        if data.op is Op.SECTOR and not self._sector_ok(data):
            await answer_query(query, alert_texts.STALE_BUTTON)
            await self._show(query, self.sectors_view(await self._subscription(user_id)))
            return

        async def work(session: AsyncSession) -> Subscription:
            current = await ensure_subscription(session, user_id)
            if data.op is Op.ENABLE:
                return await update_subscription(session, user_id, enabled=data.flag)
            if data.op is Op.QUIET:
                return await update_subscription(session, user_id, quiet_weeks=data.flag)
            if data.op is Op.ALL_SECTORS:
                return await update_subscription(session, user_id, sectors=())
            if data.op is Op.SECTOR:
                name = self.sectors[data.number]
                kept = [s for s in current.sectors if s.casefold() != name.casefold()]
                if data.flag:
                    kept.append(name)
                ordered = [s for s in self.sectors if s in kept] + [
                    s for s in kept if s not in self.sectors
                ]
                return await update_subscription(session, user_id, sectors=ordered)
            return current

        sub = await self.ctx.write(work)
        changes = data.op in (Op.ENABLE, Op.QUIET, Op.ALL_SECTORS, Op.SECTOR)
        await answer_query(query, alert_texts.SAVED if changes else None)
        view = self.sectors_view(sub) if sector_view else self.main_view(profile, sub)
        await self._show(query, view)

    def _sector_ok(self, data: AlertButton) -> bool:
        return 0 <= data.number < len(self.sectors) and buttons.sector_check(
            self.sectors[data.number]
        ) == data.check

    async def _show(self, query: CallbackQuery, view: tuple[str, InlineKeyboardMarkup]) -> None:
        """Edit the settings message in place (a tap that changes nothing is fine)."""
        text, markup = view
        if not isinstance(query.message, Message):
            return
        try:
            await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        except BadRequest as error:
            if not is_not_modified(error):
                raise


def alert_handlers(deps: Deps) -> Handlers:
    """/peringatan, /status_peringatan and the alert buttons (private chats)."""
    alerts = AlertHandlers(deps)
    new_private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        CommandHandler("peringatan", alerts.peringatan, filters=new_private),
        CommandHandler("status_peringatan", alerts.status, filters=new_private),
        CallbackQueryHandler(alerts.button, pattern=buttons.PATTERN),
    ]
