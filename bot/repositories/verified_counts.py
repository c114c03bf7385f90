"""Indicator counts over VERIFIED families only ("terverifikasi saja"), from the family scores.

The stored village counts (`village_indicator_count`) hold every submitted family; a report of
verified families alone counts the stored family scores of families whose review says
"terverifikasi", grouped by the database in the same shape as `bot.repositories.scores`
(`IndicatorCount`), so the report's roll-up, disclosure and coverage code takes them unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Family,
    FamilyScore,
    Response,
    ResponseReview,
    ResponseStatus,
    ReviewStatus,
)
from bot.repositories.scores import IndicatorCount, area_filter

__all__ = ["verified_indicator_counts"]


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
