"""The Excel export of an area: the report's numbers plus one row of indicator scores per family.

The area, village and dimension numbers come from `bot.services.reports` (the same stored-score
aggregation `/ikk` shows), so the workbook and the chat report cannot disagree. This module adds
what only the export needs: the submitted families of the area with their stored scores, read in
two flat queries (families, then scores) rather than as ORM objects, because a kabupaten holds
tens of thousands of families.

Per-family rows are personal data (UU PDP): only the admin sees them. A pejabat's workbook, and the
operator's without `--names`, has no family sheet at all (`include_names` False); with names, the
sensitive indicators (`Instrument.sensitive_names`: violence, crime, child marriage) are left out
and not even read unless `include_sensitive` is asked for explicitly.

A family sheet is written for areas up to `MAX_FAMILY_ROWS` submitted families (a large
kabupaten): a province's 400,000 families would take gigabytes of memory and minutes to write,
for a sheet nobody scrolls. Above it the workbook holds the area, village and dimension sheets
and says where to get the family rows (an export per kabupaten).

`operator_export` is the workbook for the command line (`ikk-bot export`), where whoever holds the
database sees everything (`reports.operator_report`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Area, Family, FamilyScore, Response, ResponseStatus
from bot.db.types import utcnow
from bot.reporting.workbook import FamilyRow, build_area_workbook
from bot.repositories.audit import ACTION_SENSITIVE_EXPORT, record_audit
from bot.repositories.scores import area_filter
from bot.services.change_export import change_sheets
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


log = logging.getLogger(__name__)

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
    family_sheet: bool = True
    """False when the workbook has no per-family sheet at all (a pejabat's, or no --names)."""
    sensitive: bool = False
    """True when the family sheet carries the sensitive indicators (`--sensitive`)."""
    change_sheet: bool = False
    """True when the workbook compares with the previous period ("Perubahan")."""


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
    include_sensitive: bool = False,
) -> list[FamilyRow]:
    """Every submitted family of the area in `period`, by village code and family number (the
    family id), with its stored indicator scores; names only when `include_names`, sensitive
    indicators only when `include_sensitive`."""
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
    # A sensitive score is not read at all unless asked for: it cannot leak from what is absent.
    hidden = () if include_sensitive else sorted(instrument.sensitive_names())
    scores_read = and_(FamilyScore.response_id == Response.id,
                       FamilyScore.indicator.not_in(hidden))
    grouped = [Family.id, Family.village_code, Area.name, Family.rt, Response.family_score_pct]
    if include_names:
        grouped.append(Family.head_name)
    rows_read = (
        await session.execute(
            select(Family.id, Family.village_code, Area.name, Family.rt,
                   Response.family_score_pct, head, packed)
            .join(Response, Response.family_id == Family.id)
            .join(Area, Area.code == Family.village_code)
            .outerjoin(FamilyScore, scores_read)
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
    include_sensitive: bool = False,
    generated_at: datetime | None = None,
) -> ExportFile:
    """The workbook of `report` (blocking, a few seconds for a kabupaten: run it in a thread).

    Without `include_names` there is no family sheet (aggregates only); `families` None leaves
    it empty (too many families); sensitive indicators only with `include_sensitive`.
    """
    if include_sensitive and not include_names:
        raise ValueError("sensitive columns are only written into a named (admin) export")
    villages = village_results(report)
    extra = change_sheets(report, instrument, generated_at or utcnow())
    data = build_area_workbook(
        area=report.result,
        villages=villages,
        families=(families or ()) if include_names else (),
        instrument=instrument,
        period=report.period,
        include_names=include_names and families is not None,
        generated_at=generated_at or utcnow(),
        family_sheet=include_names,
        hidden_indicators=() if include_sensitive else instrument.sensitive_names(),
        coverage=report.coverage,
        extra_sheets=extra,
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
        family_rows=include_names and families is not None,
        family_sheet=include_names,
        sensitive=include_sensitive and families is not None,
        change_sheet=bool(extra),
    )


async def family_rows_for(
    ctx: ServiceContext, report: AreaReport, *, include_names: bool,
    include_sensitive: bool = False,
) -> list[FamilyRow] | None:
    """The report's families with their scores, or None when there are too many to list."""
    if too_many_families(report):
        return None

    async def work(session: AsyncSession) -> list[FamilyRow]:
        return await read_family_rows(
            session, report.code, report.period, ctx.instrument, include_names=include_names,
            include_sensitive=include_sensitive,
        )

    return await ctx.read(work)


async def operator_export(
    ctx: ServiceContext,
    area_code: str,
    period: int | None = None,
    *,
    include_names: bool = False,
    include_sensitive: bool = False,
    actor: str = "cli",
    generated_at: datetime | None = None,
) -> ExportFile | None:
    """The workbook of `area_code` for the command line; None for an unknown code.

    Per-family rows only with `include_names`; sensitive indicators only with
    `include_sensitive` as well, and such an export is logged and leaves an audit row (who,
    when, which area and period; no personal data) before any byte of it exists.
    """
    if include_sensitive and not include_names:
        raise ValueError("include_sensitive requires include_names")
    report = await operator_report(ctx, area_code, period)
    if report is None:
        return None
    families = (
        await family_rows_for(ctx, report, include_names=True,
                              include_sensitive=include_sensitive)
        if include_names else None
    )
    if include_sensitive:
        await _audit_sensitive_export(ctx, actor, report)
    return await asyncio.to_thread(
        build_export, report, families, ctx.instrument, include_names=include_names,
        include_sensitive=include_sensitive, generated_at=generated_at,
    )


async def _audit_sensitive_export(ctx: ServiceContext, actor: str, report: AreaReport) -> None:
    """Log and record that sensitive per-family columns left the database, and by whom."""
    log.warning(
        "sensitive export: actor=%s area=%s period=%s", actor, report.code, report.period
    )

    async def work(session: AsyncSession) -> None:
        await record_audit(session, ACTION_SENSITIVE_EXPORT, actor, area_code=report.code,
                           period=report.period)

    await ctx.write(work)
