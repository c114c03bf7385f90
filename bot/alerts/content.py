"""Who receives this week's alert and what it says: the shell around `ikk_core.alert_digest`.

Recipients are active pejabat and admin users who can be reached and have not switched alerts
off. Each gets the villages of their own area from `bot.services.reports.area_report`, called
with THEM as the acting user, so scope is decided where it always is (the data layer), and the
digest is compared with the snapshot stored with the last alert they were actually sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.runs import NewDelivery
from bot.alerts.schedule import WEEKLY_ALERT
from bot.alerts.subscriptions import Subscription, load_subscriptions
from bot.alerts.weeks import period_label
from bot.db.models import AlertDelivery, AlertRun, AppUser, DeliveryStatus, Role
from bot.repositories.scope import Scope
from bot.services.context import ServiceContext
from bot.services.reports import AreaReport, area_report
from ikk_core.alert_digest import (
    CollectionProgress,
    Digest,
    DigestHeader,
    Snapshot,
    build_digest,
    render_digest,
    snapshot_from_json,
    snapshot_to_json,
)
from ikk_core.areas import is_village_code
from ikk_core.results import AreaResult

__all__ = ["Official", "Plan", "Skip", "load_officials", "plan_alerts"]

OFFICIAL_ROLES = (Role.PEJABAT, Role.ADMIN)


class Skip(StrEnum):
    """Why an official gets no message this time (shown by `run-now --dry-run`)."""

    DISABLED = "peringatan dimatikan oleh pengguna"
    UNREACHABLE = "tidak dapat dihubungi (memblokir bot)"
    NO_AREA = "wilayahnya tidak ada atau di luar cakupannya"
    NOTHING = "tidak ada indikator merah dan pesan minggu tenang mati"


@dataclass(frozen=True)
class Official:
    user_id: int
    telegram_id: int
    display_name: str
    role: Role
    area_code: str
    reachable: bool
    subscription: Subscription


@dataclass(frozen=True)
class Plan:
    """One official's alert for a period: the message parts (empty: nothing is sent)."""

    official: Official
    parts: tuple[str, ...]
    digest: Digest | None
    skip: Skip | None
    area_label: str = ""

    @property
    def delivery(self) -> NewDelivery | None:
        if not self.parts:
            return None
        snapshot = snapshot_to_json(self.digest.snapshot) if self.digest is not None else None
        return NewDelivery(
            self.official.user_id, self.official.telegram_id, self.parts, snapshot
        )


async def load_officials(session: AsyncSession, *, area: str | None = None) -> list[Official]:
    """Active pejabat and admin users (reachable or not, alerts on or off), optionally only
    those whose area lies within `area`."""
    query = (
        select(AppUser)
        .where(AppUser.active.is_(True), AppUser.role.in_(OFFICIAL_ROLES))
        .order_by(AppUser.area_code, AppUser.id)
    )
    if area is not None:
        query = query.where(Scope.subtree(area).filter_codes(AppUser.area_code))
    users = list((await session.scalars(query)).all())
    subscriptions = await load_subscriptions(session, [u.id for u in users])
    return [
        Official(
            u.id, u.telegram_id, u.display_name, u.role, u.area_code, bool(u.reachable),
            subscriptions[u.id],
        )
        for u in users
    ]


async def last_told(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, Snapshot]:
    """For each user, the snapshot of the latest weekly alert they were actually sent."""
    out: dict[int, Snapshot] = {}
    ids = list(user_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        latest = (
            select(func.max(AlertDelivery.id).label("id"))
            .join(AlertRun, AlertRun.id == AlertDelivery.run_id)
            .where(
                AlertRun.alert == WEEKLY_ALERT,
                AlertDelivery.status == DeliveryStatus.SENT,
                AlertDelivery.user_id.in_(chunk),
            )
            .group_by(AlertDelivery.user_id)
            .subquery()
        )
        rows = await session.execute(
            select(AlertDelivery.user_id, AlertDelivery.snapshot).join(
                latest, latest.c.id == AlertDelivery.id
            )
        )
        for user_id, text in rows.all():
            out[int(user_id)] = snapshot_from_json(text)
    return out


def _village_results(report: AreaReport) -> list[AreaResult]:
    if is_village_code(report.code):
        return [report.result] if report.submitted > 0 else []
    return [line.result for line in report.villages if line.result is not None]


def _progress(report: AreaReport) -> CollectionProgress:
    if is_village_code(report.code):
        return CollectionProgress(
            report.period, report.submitted, report.drafts, int(report.submitted > 0), 1
        )
    with_data = sum(1 for line in report.villages if line.submitted > 0)
    return CollectionProgress(
        report.period, report.submitted, report.drafts, with_data, len(report.villages)
    )


async def plan_alerts(
    ctx: ServiceContext,
    period_key: str,
    *,
    min_families: int,
    area: str | None = None,
) -> list[Plan]:
    """Every official's alert for `period_key` (officials who get nothing are listed with the
    reason, so a dry run can say why)."""

    async def gather(session: AsyncSession) -> tuple[list[Official], dict[int, Snapshot]]:
        officials = await load_officials(session, area=area)
        wanted = [o.user_id for o in officials if o.reachable and o.subscription.enabled]
        return officials, await last_told(session, wanted)

    officials, told = await ctx.read(gather)
    threshold = ctx.instrument.settings.red_threshold
    reports: dict[str, AreaReport | None] = {}
    # Officials of one area with the same settings who were told the same last time get the
    # same alert: compute it once (1,000 officials of a province are mostly such groups).
    made: dict[tuple[str, tuple[str, ...], bool, str], tuple[Digest, tuple[str, ...]]] = {}
    plans: list[Plan] = []
    for official in officials:
        if not official.subscription.enabled:
            plans.append(Plan(official, (), None, Skip.DISABLED))
            continue
        if not official.reachable:
            plans.append(Plan(official, (), None, Skip.UNREACHABLE))
            continue
        # Officials of the same area have the same scope (the area's subtree), so the area's
        # report is read once, as the first of them.
        if official.area_code not in reports:
            reports[official.area_code] = await area_report(
                ctx, official.user_id, official.area_code
            )
        report = reports[official.area_code]
        if report is None:
            plans.append(Plan(official, (), None, Skip.NO_AREA))
            continue
        sectors = official.subscription.sectors
        previous = told.get(official.user_id)
        quiet = official.subscription.quiet_weeks
        key = (official.area_code, sectors, quiet, snapshot_to_json(previous or {}))
        if key not in made:
            digest = build_digest(
                _village_results(report),
                previous,
                red_threshold=threshold,
                min_families=min_families,
                sectors=sectors,
            )
            header = DigestHeader(
                period_label(period_key), report.label, report.period, threshold, min_families,
                sectors, coverage=report.coverage,
            )
            rendered = render_digest(digest, header, progress=_progress(report), quiet_weeks=quiet)
            made[key] = (digest, tuple(rendered))
        digest, parts = made[key]
        plans.append(
            Plan(official, parts, digest, None if parts else Skip.NOTHING, report.label)
        )
    return plans
