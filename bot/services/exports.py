"""The Excel export of an area: the report's numbers plus one row of indicator scores per family.

The area, village and dimension numbers come from `bot.services.reports` (the same stored-score
aggregation `/ikk` shows), so the workbook and the chat report cannot disagree. This module adds
what only the export needs: the submitted families of the area with their stored scores, read in
two flat queries (families, then scores) rather than as ORM objects, because a kabupaten holds
tens of thousands of families. The head of family's name is not even selected unless the caller
may see it (an admin, or the operator at the command line).

A family sheet is written for areas up to `MAX_FAMILY_ROWS` submitted families (a large
kabupaten): a province's 400,000 families would take gigabytes of memory and minutes to write,
for a sheet nobody scrolls. Above it the workbook holds the area, village and dimension sheets
and says where to get the family rows (an export per kabupaten).

`operator_export` is the workbook for the command line (`ikk-bot export`), where whoever holds the
database sees everything (`reports.operator_report`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Area, Family, FamilyScore, Response, ResponseStatus
from bot.db.types import utcnow
from bot.reporting.workbook import FamilyRow, build_area_workbook
from bot.repositories.scores import area_filter
from bot.services.context import ServiceContext
from bot.services.reports import AreaReport, operator_report
from ikk_core.areas import display_name, is_village_code
from ikk_core.instrument import Instrument, band_for
from ikk_core.results import AreaResult

__all__ = [
    "MAX_FAMILY_ROWS",
    "ExportFile",
    "build_export",
    "export_filename",
    "family_rows_for",
    "operator_export",
    "read_family_rows",
    "too_many_families",
    "village_results",
]


_SEPARATOR = "\x1e"  # ASCII record separator: never part of an indicator code
MAX_FAMILY_ROWS = 60_000
"""Most families written one per row; a kabupaten of Kalimantan Selatan has up to about 50,000."""


@dataclass(frozen=True)
class ExportFile:
    """A built workbook, ready to send or write: its file name, bytes and what it holds."""

    filename: str
    data: bytes
    area_code: str
    area_label: str
    period: int
    families: int
    villages: int
    with_names: bool
    family_rows: bool = True
    """False when the area had more than `MAX_FAMILY_ROWS` families and the family sheet was
    left empty."""


def export_filename(area_code: str, period: int) -> str:
    """`ikk-63.02.12.2005-2026.xlsx`: the area code and period, nothing personal."""
    return f"ikk-{area_code}-{period}.xlsx"


def village_results(report: AreaReport) -> list[AreaResult]:
    """The villages of the workbook's per-village sheets: the village itself for a village
    report, else every village below with at least one submitted family (code order)."""
    if not report.villages and is_village_code(report.code):
        return [report.result] if report.submitted else []
    return [line.result for line in report.villages if line.result is not None]


async def read_family_rows(
    session: AsyncSession,
    area_code: str,
    period: int,
    instrument: Instrument,
    *,
    include_names: bool,
) -> list[FamilyRow]:
    """Every submitted family of the area in `period`, by village code and family number (the
    family id), with its stored indicator scores; names only when `include_names`."""
    submitted = (
        Response.status == ResponseStatus.SUBMITTED,
        Family.period == period,
        area_filter(area_code),
    )
    # Without the right to see names, the name column is not even read.
    head = Family.head_name if include_names else literal("", String)
    # One row per family: its met and unmet indicators packed by the database as "1KF1", "0KE2"
    # (score digit, then code) joined by a separator no code contains. A not-applicable score
    # (NULL) makes the whole piece NULL, which the aggregate skips: absent means NA.
    packed = func.aggregate_strings(
        cast(FamilyScore.score, String) + FamilyScore.indicator, _SEPARATOR
    )
    grouped = [Family.id, Family.village_code, Area.name, Family.rt, Response.family_score_pct]
    if include_names:
        grouped.append(Family.head_name)
    rows_read = (
        await session.execute(
            select(Family.id, Family.village_code, Area.name, Family.rt,
                   Response.family_score_pct, head, packed)
            .join(Response, Response.family_id == Family.id)
            .join(Area, Area.code == Family.village_code)
            .outerjoin(FamilyScore, FamilyScore.response_id == Response.id)
            .where(*submitted)
            .group_by(*grouped)
            .order_by(Family.village_code, Family.id)
        )
    ).all()
    bands = instrument.settings.family_bands
    rows: list[FamilyRow] = []
    for family_id, village_code, village_name, rt, pct, name, scores in rows_read:
        rows.append(
            FamilyRow(
                number=int(family_id),
                village_code=village_code,
                village_name=village_name,
                rt=str(rt),
                score=pct,
                band=band_for(bands, pct),
                scores={piece[1:]: int(piece[0]) for piece in (scores or "").split(_SEPARATOR)
                        if piece},
                head_name=name if include_names else None,
            )
        )
    return rows


def too_many_families(report: AreaReport) -> bool:
    """True when the area's families are not written one per row (see the module docstring)."""
    return report.submitted > MAX_FAMILY_ROWS


def build_export(
    report: AreaReport,
    families: Sequence[FamilyRow] | None,
    instrument: Instrument,
    *,
    include_names: bool,
    generated_at: datetime | None = None,
) -> ExportFile:
    """The workbook of `report` (blocking, a few seconds for a kabupaten: run it in a thread);
    `families` None leaves the family sheet empty (too many families)."""
    villages = village_results(report)
    data = build_area_workbook(
        area=report.result,
        villages=villages,
        families=families or (),
        instrument=instrument,
        period=report.period,
        include_names=include_names and families is not None,
        generated_at=generated_at or utcnow(),
        coverage=report.coverage,
    )
    return ExportFile(
        filename=export_filename(report.code, report.period),
        data=data,
        area_code=report.code,
        area_label=display_name(report.level, report.name),
        period=report.period,
        families=report.submitted if families is None else len(families),
        villages=len(villages),
        with_names=include_names and families is not None,
        family_rows=families is not None,
    )


async def family_rows_for(
    ctx: ServiceContext, report: AreaReport, *, include_names: bool
) -> list[FamilyRow] | None:
    """The report's families with their scores, or None when there are too many to list."""
    if too_many_families(report):
        return None

    async def work(session: AsyncSession) -> list[FamilyRow]:
        return await read_family_rows(
            session, report.code, report.period, ctx.instrument, include_names=include_names
        )

    return await ctx.read(work)


async def operator_export(
    ctx: ServiceContext,
    area_code: str,
    period: int | None = None,
    *,
    include_names: bool = False,
    generated_at: datetime | None = None,
) -> ExportFile | None:
    """The workbook of `area_code` for the command line; None for an unknown code."""
    report = await operator_report(ctx, area_code, period)
    if report is None:
        return None
    families = await family_rows_for(ctx, report, include_names=include_names)
    return await asyncio.to_thread(
        build_export, report, families, ctx.instrument, include_names=include_names,
        generated_at=generated_at,
    )
