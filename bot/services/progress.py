"""Collection progress of an area: families submitted and in draft, per village and per kader.

One grouped query over responses (period, village, cadre, status → count, latest change) and
one over the kader assigned to the area's villages, so a kader who has not started yet is listed
with zeros: that is the line an official most needs to see. A kader asking about her own village
sees her own work only; an area outside the actor's scope gives None, like an unknown code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AppUser, Area, ResponseStatus, Role, UserArea
from bot.repositories.responses import load_acting_user
from bot.repositories.scores import activity, latest_period
from bot.services.context import Actor, ServiceContext, actor_id
from ikk_core.areas import AreaLevel, is_village_code, short_label

__all__ = ["KaderProgress", "ProgressReport", "VillageProgress", "progress"]


@dataclass(frozen=True)
class VillageProgress:
    code: str
    name: str
    level: AreaLevel
    submitted: int
    drafts: int
    last_activity: datetime | None

    @property
    def label(self) -> str:
        return short_label(self.level, self.name)


@dataclass(frozen=True)
class KaderProgress:
    user_id: int
    name: str
    villages: tuple[str, ...]
    submitted: int
    drafts: int
    last_activity: datetime | None


@dataclass(frozen=True)
class ProgressReport:
    code: str
    name: str
    level: AreaLevel
    period: int
    submitted: int
    drafts: int
    last_activity: datetime | None
    villages: tuple[VillageProgress, ...]
    kader: tuple[KaderProgress, ...]

    @property
    def label(self) -> str:
        return short_label(self.level, self.name)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


async def progress(
    ctx: ServiceContext, actor: Actor | int, area_code: str, period: int | None = None
) -> ProgressReport | None:
    """Progress of `area_code` in `period` (default: the latest period with any family)."""

    async def work(session: AsyncSession) -> ProgressReport | None:
        user = await load_acting_user(session, actor_id(actor))
        if user is None or not user.scope.contains(area_code):
            return None
        area = await session.get(Area, area_code)
        if area is None:
            return None
        in_area = (Area.code == area_code) | Area.code.like(f"{area_code}.%")
        villages = {
            code: (name, level)
            for code, name, level in (
                await session.execute(select(Area.code, Area.name, Area.level).where(in_area))
            ).all()
            if is_village_code(code)
        }
        only = user.id if user.is_kader else None
        chosen = period
        if chosen is None:
            latest = await latest_period(session, area_code, cadre_id=only)
            chosen = latest if latest is not None else ctx.current_period()
        rows = await activity(session, area_code, [chosen], cadre_id=only)

        assigned = (
            select(UserArea.user_id, UserArea.area_code, AppUser.display_name)
            .join(AppUser, AppUser.id == UserArea.user_id)
            .join(Area, Area.code == UserArea.area_code)
            .where(AppUser.role == Role.KADER, AppUser.active.is_(True), in_area)
        )
        if only is not None:
            assigned = assigned.where(UserArea.user_id == only)
        kader_names: dict[int, str] = {}
        kader_villages: dict[int, set[str]] = defaultdict(set)
        for user_id, village, name in (await session.execute(assigned)).all():
            kader_names[user_id] = name
            kader_villages[user_id].add(village)
        missing = {r.cadre_id for r in rows} - set(kader_names)
        if missing:
            for user_id, name in (
                await session.execute(
                    select(AppUser.id, AppUser.display_name).where(AppUser.id.in_(missing))
                )
            ).all():
                kader_names[user_id] = name

        per_village: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        per_kader: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        village_last: dict[str, datetime | None] = {}
        kader_last: dict[int, datetime | None] = {}
        for row in rows:
            slot = 0 if row.status is ResponseStatus.SUBMITTED else 1
            per_village[row.village_code][slot] += row.count
            per_kader[row.cadre_id][slot] += row.count
            kader_villages[row.cadre_id].add(row.village_code)
            village_last[row.village_code] = _latest(
                village_last.get(row.village_code), row.last_activity
            )
            kader_last[row.cadre_id] = _latest(kader_last.get(row.cadre_id), row.last_activity)

        village_lines = tuple(
            VillageProgress(
                code=code,
                name=name,
                level=level,
                submitted=per_village[code][0],
                drafts=per_village[code][1],
                last_activity=village_last.get(code),
            )
            for code, (name, level) in sorted(villages.items())
        )
        kader_lines = tuple(
            sorted(
                (
                    KaderProgress(
                        user_id=user_id,
                        name=kader_names.get(user_id, ""),
                        villages=tuple(sorted(kader_villages[user_id])),
                        submitted=per_kader[user_id][0],
                        drafts=per_kader[user_id][1],
                        last_activity=kader_last.get(user_id),
                    )
                    for user_id in set(kader_names) | set(per_kader)
                ),
                key=lambda k: (-k.submitted, k.name, k.user_id),
            )
        )
        last: datetime | None = None
        for when in village_last.values():
            last = _latest(last, when)
        return ProgressReport(
            code=area.code,
            name=area.name,
            level=area.level,
            period=chosen,
            submitted=sum(v[0] for v in per_village.values()),
            drafts=sum(v[1] for v in per_village.values()),
            last_activity=last,
            villages=village_lines,
            kader=kader_lines,
        )

    return await ctx.read(work)

