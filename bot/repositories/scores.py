"""Family scores: storing them at submit, and the grouped reads behind reports and progress.

Reports never re-score answers (design decision 3) and never load score rows as objects: the
database counts, per village and indicator, the families that meet it and those it applies to.
Counts add up, so a kabupaten is the sum of its villages' counts (see `ikk_core.aggregation`),
and the province needs one grouped scan, not 400,000 objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Family, FamilyScore, Response, ResponseStatus

__all__ = [
    "ActivityRow",
    "IndicatorCount",
    "activity",
    "area_filter",
    "delete_scores",
    "indicator_counts",
    "insert_scores",
    "latest_period",
    "periods_with_data",
    "replace_scores",
]


def area_filter(area_code: str) -> ColumnElement[bool]:
    """Families of the area `area_code` and everything below it."""
    return (Family.village_code == area_code) | Family.village_code.like(f"{area_code}.%")


async def replace_scores(
    session: AsyncSession,
    response_id: int,
    scores: Mapping[str, int | None],
    *,
    instrument_id: str,
    instrument_version: str,
) -> None:
    """Replace a response's stored indicator scores (1, 0, None = not applicable)."""
    await session.execute(delete(FamilyScore).where(FamilyScore.response_id == response_id))
    await insert_scores(
        session, [(response_id, scores)], instrument_id=instrument_id,
        instrument_version=instrument_version,
    )


async def insert_scores(
    session: AsyncSession,
    rows: Sequence[tuple[int, Mapping[str, int | None]]],
    *,
    instrument_id: str,
    instrument_version: str,
) -> None:
    """Insert the score rows of several responses in one statement (executemany)."""
    params = [
        {
            "response_id": response_id,
            "indicator": code,
            "score": score,
            "instrument_id": instrument_id,
            "instrument_version": instrument_version,
        }
        for response_id, scores in rows
        for code, score in scores.items()
    ]
    if params:
        await session.execute(insert(FamilyScore), params)


async def delete_scores(session: AsyncSession, response_ids: Sequence[int]) -> None:
    if response_ids:
        await session.execute(
            delete(FamilyScore).where(FamilyScore.response_id.in_(list(response_ids)))
        )


async def periods_with_data(session: AsyncSession, area_code: str) -> dict[int, int]:
    """Period → number of submitted families in the area, for every period that has any."""
    rows = await session.execute(
        select(Family.period, func.count())
        .join(Response, Response.family_id == Family.id)
        .where(Response.status == ResponseStatus.SUBMITTED, area_filter(area_code))
        .group_by(Family.period)
    )
    return {int(period): int(n) for period, n in rows.all()}


async def latest_period(
    session: AsyncSession, area_code: str, *, cadre_id: int | None = None
) -> int | None:
    """The latest period with any family (draft or submitted) in the area, or None."""
    query = (
        select(func.max(Family.period))
        .join(Response, Response.family_id == Family.id)
        .where(area_filter(area_code))
    )
    if cadre_id is not None:
        query = query.where(Response.cadre_id == cadre_id)
    found = await session.scalar(query)
    return int(found) if found is not None else None


@dataclass(frozen=True)
class IndicatorCount:
    """Submitted families of one village and period: how many meet an indicator, how many it
    applies to, and how many of the rows were scored by another instrument than the current."""

    period: int
    village_code: str
    indicator: str
    met: int
    applicable: int
    outdated: int


async def indicator_counts(
    session: AsyncSession,
    area_code: str,
    periods: Sequence[int],
    *,
    instrument_id: str,
    instrument_version: str,
) -> list[IndicatorCount]:
    """One grouped query over the stored scores of the area's submitted families."""
    if not periods:
        return []
    current = (FamilyScore.instrument_id == instrument_id) & (
        FamilyScore.instrument_version == instrument_version
    )
    query = (
        select(
            Family.period,
            Family.village_code,
            FamilyScore.indicator,
            func.sum(case((FamilyScore.score == 1, 1), else_=0)),
            func.count(FamilyScore.score),
            func.sum(case((current, 0), else_=1)),
        )
        .select_from(Family)
        .join(Response, Response.family_id == Family.id)
        .join(FamilyScore, FamilyScore.response_id == Response.id)
        .where(
            Response.status == ResponseStatus.SUBMITTED,
            Family.period.in_(list(periods)),
            area_filter(area_code),
        )
        .group_by(Family.period, Family.village_code, FamilyScore.indicator)
    )
    rows = await session.execute(query)
    return [
        IndicatorCount(int(p), code, indicator, int(met or 0), int(app or 0), int(old or 0))
        for p, code, indicator, met, app, old in rows.all()
    ]


@dataclass(frozen=True)
class ActivityRow:
    """Responses of one village, cadre and status in a period, with the latest change."""

    period: int
    village_code: str
    cadre_id: int
    status: ResponseStatus
    count: int
    last_activity: datetime | None


async def activity(
    session: AsyncSession,
    area_code: str,
    periods: Sequence[int],
    *,
    cadre_id: int | None = None,
) -> list[ActivityRow]:
    """Counts of responses per period, village, cadre and status (one grouped query)."""
    if not periods:
        return []
    last = func.max(Response.updated_at)
    query = (
        select(
            Family.period,
            Family.village_code,
            Response.cadre_id,
            Response.status,
            func.count(),
            last,  # max() keeps the column's type: aware UTC on both databases
        )
        .join(Response, Response.family_id == Family.id)
        .where(Family.period.in_(list(periods)), area_filter(area_code))
        .group_by(Family.period, Family.village_code, Response.cadre_id, Response.status)
    )
    if cadre_id is not None:
        query = query.where(Response.cadre_id == cadre_id)
    rows = await session.execute(query)
    return [
        ActivityRow(int(p), code, int(cadre), ResponseStatus(status), int(n), when)
        for p, code, cadre, status, n, when in rows.all()
    ]
