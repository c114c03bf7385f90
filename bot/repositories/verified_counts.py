"""Recount of the verified counts from the family scores ("terverifikasi saja").

`verified_indicator_count` is kept in step with every score and review change (see
`bot.repositories.scores.rewrite_scores` and `bot.repositories.reviews`); this recount, grouped
by the database over the stored scores of families whose review says "terverifikasi", is what
the kept counts must always equal (a check for tests and operators, and the repair after a
restore of an inconsistent copy: `rebuild_verified_counts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Family,
    FamilyScore,
    Response,
    ResponseReview,
    ResponseStatus,
    ReviewStatus,
)
from bot.repositories.scores import IndicatorCount, VerifiedCounts, area_filter

__all__ = ["rebuild_verified_counts", "verified_indicator_counts"]


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _verified_scores(columns: Sequence[Any]) -> Any:
    return (
        select(*columns)
        .select_from(FamilyScore)
        .join(Response, Response.id == FamilyScore.response_id)
        .join(Family, Family.id == Response.family_id)
        .join(ResponseReview, ResponseReview.family_id == Family.id)
        .where(
            Response.status == ResponseStatus.SUBMITTED,
            ResponseReview.status == ReviewStatus.VERIFIED,
        )
    )


async def verified_indicator_counts(
    session: AsyncSession,
    area_code: str,
    periods: Sequence[int],
    *,
    instrument_id: str,
    instrument_version: str,
) -> list[IndicatorCount]:
    """Per village, period and indicator: verified families scored, meeting it, applicable,
    and how many of them another instrument scored (summed over instruments)."""
    if not periods:
        return []
    met = func.sum(case((FamilyScore.score == 1, 1), else_=0))
    other = case(
        (
            (FamilyScore.instrument_id == instrument_id)
            & (FamilyScore.instrument_version == instrument_version),
            0,
        ),
        else_=1,
    )
    query = _verified_scores([
        Family.period, Family.village_code, FamilyScore.indicator,
        func.count(), met, func.count(FamilyScore.score), func.sum(other),
    ]).where(
        area_filter(area_code, Family.village_code, _dialect(session)),  # type: ignore[arg-type]
        Family.period.in_(list(periods)),
    ).group_by(Family.period, Family.village_code, FamilyScore.indicator)
    return [
        IndicatorCount(int(period), str(village), str(indicator), int(families), int(met or 0),
                       int(applicable or 0), int(outdated or 0))
        for period, village, indicator, families, met, applicable, outdated in (
            await session.execute(query)
        ).all()
    ]


async def rebuild_verified_counts(session: AsyncSession) -> None:
    """Recompute the whole verified count table from the stored scores (a full scan)."""
    await session.execute(delete(VerifiedCounts))
    rows = (await session.execute(
        _verified_scores([
            Family.period, Family.village_code, FamilyScore.indicator, FamilyScore.instrument_id,
            FamilyScore.instrument_version, func.count(),
            func.sum(case((FamilyScore.score == 1, 1), else_=0)), func.count(FamilyScore.score),
        ]).group_by(Family.period, Family.village_code, FamilyScore.indicator,
                    FamilyScore.instrument_id, FamilyScore.instrument_version)
    )).all()
    if rows:
        await session.execute(insert(VerifiedCounts), [
            {"period": p, "village_code": v, "indicator": i, "instrument_id": iid,
             "instrument_version": iver, "families": f, "met": m, "applicable": a}
            for p, v, i, iid, iver, f, m, a in rows
        ])
