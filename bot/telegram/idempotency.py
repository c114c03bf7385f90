"""Remember which Telegram updates were handled, so a redelivered one does nothing twice.

Telegram resends an update the bot did not confirm (a crash between fetching and confirming,
a webhook that timed out); it keeps its `update_id`. Claiming the id in `processed_update`
(``INSERT ... ON CONFLICT DO NOTHING RETURNING``) lets exactly one delivery through.
Telegram keeps undelivered updates for 24 hours; rows older than that are pruned.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import SessionFactory, run_in_transaction
from bot.db.models import ProcessedUpdate
from bot.db.types import utcnow
from bot.repositories.responses import claim_update as claim_in

__all__ = ["KEEP_FOR", "claim_update", "prune_processed_updates"]

KEEP_FOR: Final = timedelta(hours=48)


async def claim_update(
    session_factory: SessionFactory, update_id: int, telegram_id: int | None
) -> bool:
    """True the first time `update_id` is claimed, False for every redelivery (committed).

    For updates that change nothing themselves (commands, lists, refusals); the answering
    services claim their update inside their own transaction instead.
    """

    async def unit(session: AsyncSession) -> bool:
        return await claim_in(session, update_id, telegram_id)

    return await run_in_transaction(session_factory, unit)


async def prune_processed_updates(
    session_factory: SessionFactory, *, now: datetime | None = None
) -> int:
    """Forget claims older than `KEEP_FOR`; returns how many rows were deleted."""
    cutoff = (now or utcnow()) - KEEP_FOR

    async def unit(session: AsyncSession) -> int:
        result = await session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    return await run_in_transaction(session_factory, unit)
