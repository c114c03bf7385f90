"""Alerts through the official's own bot when several bot tokens are configured.

An official started (pressed Start in) the bot of her area only; a message from another bot
would be refused with 403 and mark her unreachable. So a run's pending rows are grouped by the
bot that serves each official's area (`bot.bot_tokens.bot_for_area`), and each group is sent
through its own token with its own `Pacer`: Telegram's ~30 messages/s is per token, so the
tokens are paced separately and send side by side. The run itself is still claimed and leased
once in the database, so two processes sharing the tokens never both send it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.delivery import (
    DeliveryPolicy,
    DeliveryReport,
    MessageSender,
    Pacer,
    deliver_rows,
)
from bot.alerts.schedule import Clock
from bot.bot_tokens import BotToken, bot_for_area
from bot.db.models import AlertDelivery, AppUser
from bot.services.context import ServiceContext

__all__ = ["BotSenderFactory", "merge_reports", "rows_by_bot", "send_through_bots"]

log = logging.getLogger(__name__)

BotSenderFactory = Callable[[BotToken], AbstractAsyncContextManager[MessageSender]]


async def rows_by_bot(
    ctx: ServiceContext, row_ids: Sequence[int], bots: Sequence[BotToken]
) -> dict[BotToken, list[int]]:
    """The rows each bot sends (by the official's area). A row whose official no bot serves is
    left out, and so stays pending: logged, never sent through a bot she never started."""

    async def work(session: AsyncSession) -> list[tuple[int, str]]:
        rows = await session.execute(
            select(AlertDelivery.id, AppUser.area_code)
            .join(AppUser, AppUser.id == AlertDelivery.user_id)
            .where(AlertDelivery.id.in_(list(row_ids)))
            .order_by(AlertDelivery.id)
        )
        return [(int(i), str(a)) for i, a in rows.all()]

    groups: dict[BotToken, list[int]] = {}
    for row_id, area in await ctx.read(work):
        owner = bot_for_area(bots, area)
        if owner is None:
            log.warning("alert row %s: no bot serves area %s (set TELEGRAM_BOT_TOKEN as the "
                        "main bot); left pending", row_id, area)
            continue
        groups.setdefault(owner, []).append(row_id)
    return groups


def merge_reports(reports: Sequence[DeliveryReport]) -> DeliveryReport:
    """One report for bots that sent side by side (their time: the longest)."""
    merged = DeliveryReport()
    for report in reports:
        merged.sent += report.sent
        merged.blocked += report.blocked
        merged.failed += report.failed
        merged.skipped += report.skipped
        merged.messages += report.messages
        merged.seconds = max(merged.seconds, report.seconds)
    return merged


async def send_through_bots(
    ctx: ServiceContext,
    groups: Mapping[BotToken, list[int]],
    senders: BotSenderFactory,
    pacer_of: Callable[[BotToken], Pacer],
    *,
    policy: DeliveryPolicy,
    owner: str,
    clock: Clock,
) -> DeliveryReport:
    """Each bot's rows through that bot's sender and pacer, all bots at once."""

    async def one(bot: BotToken, rows: list[int]) -> DeliveryReport:
        async with senders(bot) as sender:
            return await deliver_rows(
                ctx, rows, sender, pacer_of(bot), policy=policy, owner=owner, clock=clock
            )

    async with asyncio.TaskGroup() as group:  # one failing bot stops (gracefully) the others
        tasks = [group.create_task(one(bot, rows)) for bot, rows in groups.items()]
    return merge_reports([t.result() for t in tasks])
