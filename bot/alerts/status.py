"""What an admin sees in /status_peringatan: the last runs with their outbox counts, and the
officials the bot cannot reach. Counts and people are limited to the admin's scope here, in
the query, like every other read of the data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    AlertDelivery,
    AlertRun,
    AlertRunStatus,
    AppUser,
    Area,
    DeliveryStatus,
    Role,
)
from bot.repositories.responses import load_acting_user
from bot.repositories.scope import Scope
from bot.services.context import ServiceContext
from ikk_core.areas import short_label

__all__ = ["AlertStatus", "RunSummary", "UnreachableOfficial", "alert_status"]


@dataclass(frozen=True)
class RunSummary:
    id: int
    period_key: str
    status: AlertRunStatus
    started_at: datetime
    finished_at: datetime | None
    due_at: datetime | None
    total: int
    sent: int
    blocked: int
    failed: int
    pending: int
    acknowledged: int


@dataclass(frozen=True)
class UnreachableOfficial:
    user_id: int
    display_name: str
    role: Role
    area_label: str


@dataclass(frozen=True)
class AlertStatus:
    runs: tuple[RunSummary, ...]
    unreachable: tuple[UnreachableOfficial, ...]


def _count(status: DeliveryStatus) -> ColumnElement[int]:
    return func.sum(case((AlertDelivery.status == status, 1), else_=0))


async def _runs(session: AsyncSession, scope: Scope, limit: int) -> list[RunSummary]:
    runs = (
        await session.execute(
            select(AlertRun).order_by(AlertRun.id.desc()).limit(limit)
        )
    ).scalars().all()
    if not runs:
        return []
    counts = await session.execute(
        select(
            AlertDelivery.run_id,
            func.count(),
            _count(DeliveryStatus.SENT),
            _count(DeliveryStatus.BLOCKED),
            _count(DeliveryStatus.FAILED),
            _count(DeliveryStatus.PENDING),
            func.count(AlertDelivery.acknowledged_at),
        )
        .join(AppUser, AppUser.id == AlertDelivery.user_id)
        .where(
            AlertDelivery.run_id.in_([r.id for r in runs]),
            scope.filter_codes(AppUser.area_code),
        )
        .group_by(AlertDelivery.run_id)
    )
    by_run = {int(row[0]): [int(n or 0) for n in row[1:]] for row in counts.all()}
    out = []
    for run in runs:
        total, sent, blocked, failed, pending, acked = by_run.get(run.id, [0] * 6)
        out.append(
            RunSummary(
                run.id, run.period_key, run.status, run.started_at, run.finished_at, run.due_at,
                total, sent, blocked, failed, pending, acked,
            )
        )
    return out


async def _unreachable(session: AsyncSession, scope: Scope) -> list[UnreachableOfficial]:
    rows = await session.execute(
        select(AppUser.id, AppUser.display_name, AppUser.role, Area.level, Area.name)
        .join(Area, Area.code == AppUser.area_code)
        .where(
            AppUser.active.is_(True),
            AppUser.reachable.is_(False),
            AppUser.role.in_((Role.PEJABAT, Role.ADMIN)),
            scope.filter_codes(AppUser.area_code),
        )
        .order_by(AppUser.area_code, AppUser.id)
    )
    return [
        UnreachableOfficial(int(uid), name, role, short_label(level, area_name))
        for uid, name, role, level, area_name in rows.all()
    ]


async def alert_status(
    ctx: ServiceContext, actor_user_id: int, *, limit: int = 5
) -> AlertStatus | None:
    """The status for an admin (None for anyone else): the `limit` latest runs, counted over
    the admin's scope, and the unreachable officials in it."""

    async def work(session: AsyncSession) -> AlertStatus | None:
        actor = await load_acting_user(session, actor_user_id)
        if actor is None or actor.role is not Role.ADMIN:
            return None
        return AlertStatus(
            tuple(await _runs(session, actor.scope, limit)),
            tuple(await _unreachable(session, actor.scope)),
        )

    return await ctx.read(work)
