"""Expected families per village (`kode,keluarga` CSV) and their sums for coverage lines.

The import checks every row and stores nothing when any row is wrong, so a file is either taken
whole or sent back with every problem listed by line; importing the same file again changes
nothing (an upsert by village code). Targets are read as sums over an area's villages, and
per village for the ranking of villages in /ikk.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Area, VillageTarget
from bot.db.types import utcnow
from bot.repositories.areas import AreaFileError, RejectedRow, open_code_csv
from bot.repositories.scores import area_filter
from ikk_core.areas import AreaCodeError, is_village_code, validate_code

__all__ = [
    "TargetImportReport",
    "import_targets",
    "import_targets_csv",
    "read_target_rows",
    "targets_by_village",
    "village_targets",
]

MAX_TARGET = 1_000_000
"""No village has a million families: a bigger number is a typing error."""


@dataclass(frozen=True)
class TargetImportReport:
    """What an import did; `rejected` non-empty means nothing was stored."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: tuple[RejectedRow, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class _TargetRow:
    line: int
    code: str
    families: int


def _positive(raw: str) -> int | None:
    """A whole number of families, digits only ("1.200" or "12,5" are refused, not guessed)."""
    text = raw.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= MAX_TARGET else None


def read_target_rows(text: str) -> tuple[list[_TargetRow], list[RejectedRow]]:
    """Parse a `kode,keluarga` CSV (comma or semicolon): well-formed rows and rejected rows."""
    reader, (code_at, count_at) = open_code_csv(text, "keluarga")
    rows: list[_TargetRow] = []
    rejected: list[RejectedRow] = []
    first_line_of: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        raw_code = cells[code_at].strip() if code_at < len(cells) else ""
        raw_count = cells[count_at].strip() if count_at < len(cells) else ""
        try:
            code = validate_code(raw_code)
        except AreaCodeError as exc:
            rejected.append(RejectedRow(line, raw_code, str(exc)))
            continue
        if not is_village_code(code):
            rejected.append(RejectedRow(
                line, code, f"kode {code} bukan desa/kelurahan (target hanya untuk desa)"
            ))
            continue
        families = _positive(raw_count)
        if families is None:
            rejected.append(RejectedRow(
                line, code,
                f"jumlah keluarga '{raw_count}' untuk kode {code} harus bilangan bulat "
                f"1 sampai {MAX_TARGET:,}".replace(",", "."),
            ))
            continue
        if code in first_line_of:
            rejected.append(RejectedRow(
                line, code, f"kode {code} ganda (sudah ada di baris {first_line_of[code]})"
            ))
            continue
        first_line_of[code] = line
        rows.append(_TargetRow(line, code, families))
    return rows, rejected


async def import_targets(
    session: AsyncSession, rows: list[_TargetRow], rejected: list[RejectedRow]
) -> TargetImportReport:
    """Store the rows in the caller's transaction, or nothing when any row is rejected."""
    codes = [row.code for row in rows]
    known = set((await session.scalars(select(Area.code).where(Area.code.in_(codes)))).all())
    problems = list(rejected) + [
        RejectedRow(row.line, row.code, f"kode {row.code} tidak ada di daftar wilayah")
        for row in rows if row.code not in known
    ]
    if problems:
        return TargetImportReport(rejected=tuple(sorted(problems, key=lambda r: r.line)))
    existing = {
        code: families
        for code, families in (await session.execute(
            select(VillageTarget.village_code, VillageTarget.families)
            .where(VillageTarget.village_code.in_(codes))
        )).all()
    }
    now = utcnow()
    inserts = [
        {"village_code": r.code, "families": r.families, "updated_at": now}
        for r in rows if r.code not in existing
    ]
    updates = [
        {"village_code": r.code, "families": r.families, "updated_at": now}
        for r in rows if r.code in existing and existing[r.code] != r.families
    ]
    if inserts:
        await session.execute(insert(VillageTarget), inserts)
    if updates:
        await session.execute(update(VillageTarget), updates)
    return TargetImportReport(
        inserted=len(inserts), updated=len(updates),
        unchanged=len(rows) - len(inserts) - len(updates),
    )


async def import_targets_csv(session: AsyncSession, path: Path) -> TargetImportReport:
    """Read and import a `kode,keluarga` file (UTF-8, with or without BOM)."""
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AreaFileError(f"{path} bukan teks UTF-8 (simpan ulang sebagai CSV UTF-8)") from exc
    rows, rejected = read_target_rows(text)
    return await import_targets(session, rows, rejected)


async def village_targets(session: AsyncSession, area_code: str) -> tuple[int, int]:
    """(villages of the area with a target, sum of their targets)."""
    column = VillageTarget.village_code
    found = (await session.execute(
        select(func.count(), func.coalesce(func.sum(VillageTarget.families), 0)).where(
            area_filter(area_code, column, session.get_bind().dialect.name)  # type: ignore[arg-type]
        )
    )).one()
    return int(found[0]), int(found[1])


async def targets_by_village(session: AsyncSession, area_code: str) -> dict[str, int]:
    """Expected families of each village of the area that has a target (for the ranking's
    "34 kel. dari 120 KK" per village)."""
    column = VillageTarget.village_code
    rows = await session.execute(
        select(column, VillageTarget.families).where(
            area_filter(area_code, column, session.get_bind().dialect.name)  # type: ignore[arg-type]
        )
    )
    return {str(code): int(families) for code, families in rows.all()}
