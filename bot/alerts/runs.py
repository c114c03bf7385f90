"""Alert runs: claiming a period once, the outbox rows, and one sender per run at a time.

`claim_run` inserts the run with ``INSERT ... ON CONFLICT (alert, period_key) DO NOTHING
RETURNING id`` and, in the SAME transaction, one `alert_delivery` row per recipient: a process
that wins the claim and then dies leaves either nothing (rolled back: the next start claims
again) or a complete outbox (the next start sends what is pending). Never a claimed run with
half an outbox, and never a second claim of the same period.

Sending is leased per run (`sender`, `sender_until`): the process holding the lease sends the
run; another finds it busy and leaves it. A dead sender's lease expires and the run is taken
over by whoever resumes next; a sender known to be dead (`owner.owner_is_dead`: same machine,
process gone) has its run and row leases released at once by `release_dead_leases`, so a
restarted bot resumes within seconds instead of after the lease.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, insert, or_, select, union, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AlertDelivery, AlertRun, AlertRunStatus, DeliveryStatus
from bot.services.context import ServiceContext

__all__ = [
    "DEAD_SENDER_ERROR",
    "EXPIRED_ERROR",
    "EarlierRun",
    "NewDelivery",
    "OpenRun",
    "ReleasedLeases",
    "claim_run",
    "expire_run",
    "find_run",
    "finish_run_if_complete",
    "open_runs",
    "pending_delivery_ids",
    "release_dead_leases",
    "release_run",
    "repeat_count",
    "run_exists",
    "take_run",
    "told_this_week",
]

EXPIRED_ERROR = "kedaluwarsa: tidak terkirim sebelum batas waktu pengiriman"
DEAD_SENDER_ERROR = "proses pengirim berhenti saat pesan dikirim (mungkin sudah terkirim)"


@dataclass(frozen=True)
class NewDelivery:
    """One outbox row to create: who, where, the message parts and what they report."""

    user_id: int
    chat_id: int
    parts: tuple[str, ...]
    snapshot: str | None


@dataclass(frozen=True)
class OpenRun:
    id: int
    alert: str
    period_key: str
    started_at: datetime
    sender: str | None
    sender_until: datetime | None


@dataclass(frozen=True)
class EarlierRun:
    """A run found for a period, with how far it got (what run-now tells the operator)."""

    id: int
    period_key: str
    status: AlertRunStatus
    started_at: datetime
    finished_at: datetime | None
    sent: int
    total: int


def _insert_for(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def run_exists(ctx: ServiceContext, alert: str, period_key: str) -> bool:
    """True when the period was claimed already (cheap check before planning a run)."""

    async def work(session: AsyncSession) -> bool:
        found = await session.scalar(
            select(AlertRun.id).where(AlertRun.alert == alert, AlertRun.period_key == period_key)
        )
        return found is not None

    return await ctx.read(work)


async def find_run(ctx: ServiceContext, alert: str, period_key: str) -> EarlierRun | None:
    """The run of `period_key` with its sent and total outbox counts, if it was claimed."""

    async def work(session: AsyncSession) -> EarlierRun | None:
        run = (
            await session.scalars(
                select(AlertRun).where(AlertRun.alert == alert, AlertRun.period_key == period_key)
            )
        ).one_or_none()
        if run is None:
            return None
        total, sent = (
            await session.execute(
                select(
                    func.count(),
                    func.sum(case((AlertDelivery.status == DeliveryStatus.SENT, 1), else_=0)),
                ).where(AlertDelivery.run_id == run.id)
            )
        ).one()
        return EarlierRun(run.id, run.period_key, run.status, run.started_at, run.finished_at,
                          int(sent or 0), int(total or 0))

    return await ctx.read(work)


async def repeat_count(ctx: ServiceContext, alert: str, period_key: str) -> int:
    """How many forced repeats ("<key>#<n>") of `period_key` were claimed."""

    async def work(session: AsyncSession) -> int:
        found = await session.scalar(
            select(func.count()).select_from(AlertRun).where(
                AlertRun.alert == alert,
                AlertRun.period_key.startswith(f"{period_key}#", autoescape=True),
            )
        )
        return int(found or 0)

    return await ctx.read(work)


async def told_this_week(ctx: ServiceContext, alert: str, week: str) -> set[int]:
    """Users with an outbox row (sent, or still to send) in any run of `week` ("2026-W49",
    "2026-W49@63.01", a repeat "2026-W49#2"): a new run of that week must not tell them
    again."""

    async def work(session: AsyncSession) -> set[int]:
        rows = await session.scalars(
            select(AlertDelivery.user_id)
            .distinct()
            .join(AlertRun, AlertRun.id == AlertDelivery.run_id)
            .where(
                AlertRun.alert == alert,
                or_(
                    AlertRun.period_key == week,
                    AlertRun.period_key.startswith(f"{week}@", autoescape=True),
                    AlertRun.period_key.startswith(f"{week}#", autoescape=True),
                ),
                AlertDelivery.status.in_((DeliveryStatus.SENT, DeliveryStatus.PENDING)),
            )
        )
        return {int(u) for u in rows.all()}

    return await ctx.read(work)


async def claim_run(
    ctx: ServiceContext,
    alert: str,
    period_key: str,
    deliveries: Sequence[NewDelivery],
    *,
    now: datetime,
    due_at: datetime | None = None,
) -> int | None:
    """Claim the period and write its outbox atomically; the run id, or None when the period
    was claimed before (by this or any other process)."""

    async def work(session: AsyncSession) -> int | None:
        statement = (
            _insert_for(session)(AlertRun)
            .values(alert=alert, period_key=period_key, started_at=now, due_at=due_at,
                    status=AlertRunStatus.RUNNING)
            .on_conflict_do_nothing(index_elements=[AlertRun.alert, AlertRun.period_key])
            .returning(AlertRun.id)
        )
        run_id = (await session.execute(statement)).scalar_one_or_none()
        if run_id is None:
            return None
        rows = [
            {
                "run_id": run_id,
                "user_id": d.user_id,
                "chat_id": d.chat_id,
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "parts": json.dumps(list(d.parts), ensure_ascii=False),
                "parts_sent": 0,
                "snapshot": d.snapshot,
                "uncertain": 0,
            }
            for d in deliveries
        ]
        for start in range(0, len(rows), 500):
            await session.execute(insert(AlertDelivery), rows[start : start + 500])
        if not rows:
            await session.execute(
                update(AlertRun)
                .where(AlertRun.id == run_id)
                .values(status=AlertRunStatus.DONE, finished_at=now)
            )
        return int(run_id)

    return await ctx.write(work)


async def open_runs(ctx: ServiceContext) -> list[OpenRun]:
    """Runs not finished yet (some outbox rows may still be pending), oldest first."""

    async def work(session: AsyncSession) -> list[OpenRun]:
        rows = await session.execute(
            select(
                AlertRun.id, AlertRun.alert, AlertRun.period_key, AlertRun.started_at,
                AlertRun.sender, AlertRun.sender_until,
            )
            .where(AlertRun.status == AlertRunStatus.RUNNING)
            .order_by(AlertRun.id)
        )
        return [OpenRun(*row) for row in rows.all()]

    return await ctx.read(work)


async def take_run(
    ctx: ServiceContext, run_id: int, owner: str, *, now: datetime, lease: timedelta
) -> bool:
    """Become (or stay) the one process sending `run_id` until now + `lease`; False when
    another process holds it or the run is finished."""

    async def work(session: AsyncSession) -> bool:
        result = await session.execute(
            update(AlertRun)
            .where(
                AlertRun.id == run_id,
                AlertRun.status == AlertRunStatus.RUNNING,
                or_(
                    AlertRun.sender.is_(None),
                    AlertRun.sender == owner,
                    AlertRun.sender_until.is_(None),
                    AlertRun.sender_until < now,
                ),
            )
            .values(sender=owner, sender_until=now + lease)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    return await ctx.write(work)


async def release_run(ctx: ServiceContext, run_id: int, owner: str) -> None:
    """Give up sending `run_id` (another process may take it at once)."""

    async def work(session: AsyncSession) -> None:
        await session.execute(
            update(AlertRun)
            .where(AlertRun.id == run_id, AlertRun.sender == owner)
            .values(sender=None, sender_until=None)
        )

    await ctx.write(work)


async def pending_delivery_ids(ctx: ServiceContext, run_id: int) -> list[int]:
    async def work(session: AsyncSession) -> list[int]:
        rows = await session.scalars(
            select(AlertDelivery.id)
            .where(AlertDelivery.run_id == run_id, AlertDelivery.status == DeliveryStatus.PENDING)
            .order_by(AlertDelivery.id)
        )
        return list(rows.all())

    return await ctx.read(work)


async def finish_run_if_complete(ctx: ServiceContext, run_id: int, *, now: datetime) -> bool:
    """Mark the run done when no outbox row is pending any more; True if it is done now."""

    async def work(session: AsyncSession) -> bool:
        pending = await session.scalar(
            select(func.count())
            .select_from(AlertDelivery)
            .where(AlertDelivery.run_id == run_id, AlertDelivery.status == DeliveryStatus.PENDING)
        )
        if pending:
            return False
        await session.execute(
            update(AlertRun)
            .where(AlertRun.id == run_id, AlertRun.status == AlertRunStatus.RUNNING)
            .values(status=AlertRunStatus.DONE, finished_at=now, sender=None, sender_until=None)
        )
        return True

    return await ctx.write(work)


async def expire_run(ctx: ServiceContext, run_id: int, *, now: datetime) -> int:
    """Give up a run too old to send (last week's alert is no news): its pending rows become
    failed and the run failed. Returns how many rows were still pending."""

    async def work(session: AsyncSession) -> int:
        result = await session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.run_id == run_id, AlertDelivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.FAILED, last_error=EXPIRED_ERROR, lease_owner=None,
                    lease_until=None)
        )
        await session.execute(
            update(AlertRun)
            .where(AlertRun.id == run_id)
            .values(status=AlertRunStatus.FAILED, finished_at=now, sender=None,
                    sender_until=None)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    return await ctx.write(work)


@dataclass(frozen=True)
class ReleasedLeases:
    """What `release_dead_leases` gave back."""

    runs: int = 0
    rows: int = 0
    """Rows leased ahead but never sent: pending again, as if never touched."""
    uncertain: int = 0
    """Rows whose request had started: pending again with one more uncertain attempt."""


async def release_dead_leases(
    ctx: ServiceContext, is_dead: Callable[[str], bool]
) -> ReleasedLeases:
    """Release every run and row lease whose owner `is_dead` says is dead. A row counts one
    uncertain attempt only if its request had started (`sending_since`)."""

    async def owners(session: AsyncSession) -> list[str]:
        rows = await session.scalars(
            union(
                select(AlertDelivery.lease_owner).where(
                    AlertDelivery.status == DeliveryStatus.PENDING,
                    AlertDelivery.lease_owner.is_not(None),
                ),
                select(AlertRun.sender).where(
                    AlertRun.status == AlertRunStatus.RUNNING, AlertRun.sender.is_not(None)
                ),
            )
        )
        return [o for o in rows.all() if o]

    dead = [o for o in await ctx.read(owners) if is_dead(o)]
    if not dead:
        return ReleasedLeases()

    async def work(session: AsyncSession) -> ReleasedLeases:
        held = (AlertDelivery.status == DeliveryStatus.PENDING) & (
            AlertDelivery.lease_owner.in_(dead)
        )
        started = await session.execute(
            update(AlertDelivery)
            .where(held, AlertDelivery.sending_since.is_not(None))
            .values(uncertain=AlertDelivery.uncertain + 1, sending_since=None,
                    lease_owner=None, lease_until=None, last_error=DEAD_SENDER_ERROR)
        )
        ahead = await session.execute(
            update(AlertDelivery)
            .where(held)
            .values(
                attempts=case((AlertDelivery.attempts > 0, AlertDelivery.attempts - 1), else_=0),
                lease_owner=None, lease_until=None,
            )
        )
        runs = await session.execute(
            update(AlertRun)
            .where(AlertRun.status == AlertRunStatus.RUNNING, AlertRun.sender.in_(dead))
            .values(sender=None, sender_until=None)
        )
        return ReleasedLeases(
            int(runs.rowcount),  # type: ignore[attr-defined]
            int(ahead.rowcount),  # type: ignore[attr-defined]
            int(started.rowcount),  # type: ignore[attr-defined]
        )

    return await ctx.write(work)
