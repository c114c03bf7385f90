"""Which periods `ikk-bot rescore` touches: each period stays on the instrument it was scored
with unless the operator says otherwise.

A survey year's published IKK was computed with the instrument of that year; rescoring 2024 with
the 2026 instrument silently changes a figure that officials already compared and reported. So
by default only the latest period with submitted families (the survey in progress) is rescored,
or the one period named; every period only with an explicit choice. The stored scores record
the instrument id and version that produced them, so the command can say what each period it
leaves alone stays on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import SessionFactory, run_in_transaction
from bot.db.models import Family, FamilyScore, Response, ResponseStatus

__all__ = ["PeriodOnRecord", "periods_on_record", "periods_to_rescore"]


@dataclass(frozen=True)
class PeriodOnRecord:
    """A period with submitted families, and the instruments (id, version) that scored them."""

    period: int
    families: int
    instruments: tuple[tuple[str, str], ...]


async def periods_on_record(session_factory: SessionFactory) -> list[PeriodOnRecord]:
    """Every period with submitted families, newest first (one grouped query)."""

    async def work(session: AsyncSession) -> list[PeriodOnRecord]:
        rows = await session.execute(
            select(
                Family.period, FamilyScore.instrument_id, FamilyScore.instrument_version,
                func.count(func.distinct(FamilyScore.response_id)),
            )
            .join(Response, Response.family_id == Family.id)
            .join(FamilyScore, FamilyScore.response_id == Response.id)
            .where(Response.status == ResponseStatus.SUBMITTED)
            .group_by(Family.period, FamilyScore.instrument_id, FamilyScore.instrument_version)
        )
        families: dict[int, int] = defaultdict(int)
        instruments: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for period, iid, version, count in rows.all():
            families[int(period)] += int(count)
            instruments[int(period)].append((str(iid), str(version)))
        return [
            PeriodOnRecord(p, families[p], tuple(sorted(instruments[p])))
            for p in sorted(families, reverse=True)
        ]

    return await run_in_transaction(session_factory, work)


def periods_to_rescore(
    on_record: Sequence[PeriodOnRecord], *, period: int | None, every_period: bool
) -> list[int]:
    """The periods a rescore touches: all (`every_period`), the one named, or the latest."""
    if every_period:
        return [p.period for p in on_record]
    if period is not None:
        return [period]
    return [on_record[0].period] if on_record else []
