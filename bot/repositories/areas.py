"""Areas: import from a Kemendagri `kode,nama` list, scoped reads, and name search.

Import is an idempotent upsert that reports every row it rejects with its line number, so an
operator can fix the file; it never deletes areas (people and families point at them).
Search tolerates case, spacing, level words ("desa", "kec.", "kab.") and typos, and only ever
looks inside the caller's scope, so an area outside it behaves exactly like an unknown name.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Area
from bot.db.types import utcnow
from bot.repositories.scope import Scope
from ikk_core.areas import (
    VILLAGE_LEVELS,
    AreaCodeError,
    AreaLevel,
    ancestors,
    code_depth,
    level_from_code,
    normalize_name,
    parent_code,
    short_label,
    split_level_prefix,
    strip_level_word,
    validate_code,
)

__all__ = [
    "AreaCandidate",
    "AreaFileError",
    "AreaImportReport",
    "AreaView",
    "RejectedRow",
    "count_areas_by_level",
    "get_area",
    "import_areas",
    "import_areas_csv",
    "list_children",
    "list_villages",
    "load_demo_areas",
    "parent_labels",
    "read_area_rows",
    "search_areas",
]

DEMO_AREAS_CSV = Path(__file__).resolve().parents[1] / "data" / "demo-areas.csv"
MAX_NAME_LENGTH = 120
FUZZY_CUTOFF = 75.0
"""Lowest rapidfuzz WRatio (0–100) for a non-exact candidate; below it names are unrelated."""


class AreaFileError(ValueError):
    """The file as a whole cannot be read as an area list (message is Indonesian)."""


@dataclass(frozen=True)
class RejectedRow:
    """A row of an import file that was not imported, and why (Indonesian)."""

    line: int
    code: str
    reason: str

    def __str__(self) -> str:
        return f"baris {self.line}: {self.reason}"


@dataclass(frozen=True)
class AreaImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: tuple[RejectedRow, ...] = field(default_factory=tuple)

    @property
    def accepted(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass(frozen=True)
class AreaView:
    """An area with the names of the areas above it, ready to show."""

    code: str
    name: str
    level: AreaLevel
    parent_code: str | None
    parents: str
    """e.g. "Kec. Sampanahan, Kab. Kotabaru" (province left out below kabupaten level)."""

    @property
    def label(self) -> str:
        """e.g. "Desa Sampanahan (Kec. Sampanahan, Kab. Kotabaru)"."""
        own = short_label(self.level, self.name)
        return f"{own} ({self.parents})" if self.parents else own


@dataclass(frozen=True)
class AreaCandidate(AreaView):
    """A search hit: `exact` when the normalised name equals the query; `score` 0–100."""

    score: float = 0.0
    exact: bool = False


# ------------------------------------------------------------------------------------ import


@dataclass(frozen=True)
class _FileRow:
    line: int
    code: str
    name: str


def _clean_name(raw: str) -> str:
    return " ".join(raw.split())


def open_code_csv(text: str, value_column: str) -> tuple[Any, tuple[int, int]]:
    """A CSV reader past the header of a `kode,<value_column>` file (comma or semicolon, BOM
    allowed) and the positions of both columns; the areas and the targets files share it."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines:
        raise AreaFileError(f"file kosong: diharapkan kolom kode,{value_column}")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    header = [cell.strip().casefold() for cell in next(reader)]
    if "kode" not in header or value_column not in header:
        raise AreaFileError(
            f"baris 1: kolom 'kode' dan '{value_column}' tidak ditemukan "
            f"(ada: {', '.join(header)})"
        )
    return reader, (header.index("kode"), header.index(value_column))


def read_area_rows(text: str) -> tuple[list[_FileRow], list[RejectedRow]]:
    """Parse a `kode,nama` CSV (comma or semicolon) into well-formed rows and rejected rows.

    Checks each row on its own (code shape, empty or long name, duplicate code in the file);
    whether the parent exists is decided by `import_areas`, which knows the database.
    """
    reader, (code_at, name_at) = open_code_csv(text, "nama")
    rows: list[_FileRow] = []
    rejected: list[RejectedRow] = []
    first_line_of: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        raw_code = cells[code_at].strip() if code_at < len(cells) else ""
        name = _clean_name(cells[name_at]) if name_at < len(cells) else ""
        try:
            code = validate_code(raw_code)
        except AreaCodeError as exc:
            rejected.append(RejectedRow(line, raw_code, str(exc)))
            continue
        if not name:
            rejected.append(RejectedRow(line, code, f"nama kosong untuk kode {code}"))
            continue
        if len(name) > MAX_NAME_LENGTH:
            rejected.append(
                RejectedRow(line, code, f"nama lebih dari {MAX_NAME_LENGTH} karakter")
            )
            continue
        if code in first_line_of:
            rejected.append(
                RejectedRow(
                    line, code, f"kode {code} ganda (sudah ada di baris {first_line_of[code]})"
                )
            )
            continue
        first_line_of[code] = line
        rows.append(_FileRow(line, code, name))
    return rows, rejected


async def import_areas(
    session: AsyncSession, rows: Iterable[_FileRow], rejected: Iterable[RejectedRow] = ()
) -> AreaImportReport:
    """Upsert parsed rows (parents first) in the caller's transaction.

    A row whose parent is neither in the database nor accepted from the same file is rejected;
    a known code with a new name (or level) is updated; nothing is deleted.
    """
    existing = {
        row.code: (row.name, row.level)
        for row in (await session.execute(select(Area.code, Area.name, Area.level))).all()
    }
    known = set(existing)
    rejections = list(rejected)
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    unchanged = 0
    now = utcnow()
    for row in sorted(rows, key=lambda r: (code_depth(r.code), r.line)):
        parent = parent_code(row.code)
        if parent is not None and parent not in known:
            rejections.append(
                RejectedRow(
                    row.line,
                    row.code,
                    f"wilayah induk {parent} untuk kode {row.code} tidak ada "
                    "(tidak di database dan tidak diterima dari file ini)",
                )
            )
            continue
        level = level_from_code(row.code, row.name)
        known.add(row.code)
        values: dict[str, object] = {
            "code": row.code,
            "name": row.name,
            "level": level,
            "parent_code": parent,
            "updated_at": now,
        }
        if row.code not in existing:
            inserts.append(values)
        elif existing[row.code] != (row.name, level):
            updates.append(values)
        else:
            unchanged += 1
    if inserts:
        await session.execute(insert(Area), inserts)
    if updates:
        await session.execute(update(Area), updates)
    return AreaImportReport(
        inserted=len(inserts),
        updated=len(updates),
        unchanged=unchanged,
        rejected=tuple(sorted(rejections, key=lambda r: r.line)),
    )


async def import_areas_csv(session: AsyncSession, path: Path) -> AreaImportReport:
    """Read and import a `kode,nama` file (UTF-8, with or without BOM)."""
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AreaFileError(f"{path} bukan teks UTF-8 (simpan ulang sebagai CSV UTF-8)") from exc
    rows, rejected = read_area_rows(text)
    return await import_areas(session, rows, rejected)


async def load_demo_areas(session: AsyncSession) -> AreaImportReport:
    """Import the built-in demo set: the province, its 13 kabupaten/kota and Kecamatan
    Sampanahan (Kabupaten Kotabaru) with its 10 villages."""
    text = await asyncio.to_thread(DEMO_AREAS_CSV.read_text, encoding="utf-8")
    rows, rejected = read_area_rows(text)
    return await import_areas(session, rows, rejected)


# ------------------------------------------------------------------------------- scoped reads


def _parents_label(code: str, level: AreaLevel, names: dict[str, tuple[str, AreaLevel]]) -> str:
    above = [c for c in ancestors(code) if c in names]
    if level not in {AreaLevel.KABUPATEN, AreaLevel.KOTA}:
        above = [c for c in above if code_depth(c) > 1]
    return ", ".join(short_label(names[c][1], names[c][0]) for c in above)


async def _ancestor_names(
    session: AsyncSession, codes: Iterable[str]
) -> dict[str, tuple[str, AreaLevel]]:
    wanted = sorted({a for code in codes for a in ancestors(code)})
    if not wanted:
        return {}
    result = await session.execute(
        select(Area.code, Area.name, Area.level).where(Area.code.in_(wanted))
    )
    return {row.code: (row.name, row.level) for row in result.all()}


async def parent_labels(session: AsyncSession, codes: Sequence[str]) -> dict[str, str]:
    """For each code, the short labels of the areas above it (names only, no data)."""
    levels = dict(
        (await session.execute(select(Area.code, Area.level).where(Area.code.in_(codes)))).all()
    )
    names = await _ancestor_names(session, codes)
    return {code: _parents_label(code, levels[code], names) for code in codes if code in levels}


async def _views(session: AsyncSession, areas: Sequence[Area]) -> list[AreaView]:
    names = await _ancestor_names(session, (a.code for a in areas))
    return [
        AreaView(
            code=a.code,
            name=a.name,
            level=a.level,
            parent_code=a.parent_code,
            parents=_parents_label(a.code, a.level, names),
        )
        for a in areas
    ]


async def get_area(session: AsyncSession, code: str, scope: Scope) -> AreaView | None:
    """The area `code`, or None when it does not exist or lies outside `scope`."""
    if not scope.contains(code):
        return None
    area = await session.get(Area, code)
    if area is None:
        return None
    return (await _views(session, [area]))[0]


async def list_children(session: AsyncSession, code: str, scope: Scope) -> list[AreaView]:
    """The areas directly below `code` that lie in `scope`, by name."""
    areas = await session.scalars(
        select(Area)
        .where(Area.parent_code == code, scope.filter_codes(Area.code))
        .order_by(Area.name, Area.code)
    )
    return await _views(session, areas.all())


async def list_villages(session: AsyncSession, code: str, scope: Scope) -> list[AreaView]:
    """The desa and kelurahan in the subtree of `code` that lie in `scope`, by code."""
    areas = await session.scalars(
        select(Area)
        .where(
            Area.level.in_(sorted(VILLAGE_LEVELS)),
            Area.code.like(f"{code}.%"),
            scope.filter_codes(Area.code),
        )
        .order_by(Area.code)
    )
    return await _views(session, areas.all())


async def count_areas_by_level(session: AsyncSession, scope: Scope) -> dict[AreaLevel, int]:
    """How many areas of each level lie in `scope` (levels with none are left out)."""
    result = await session.execute(
        select(Area.level, func.count())
        .where(scope.filter_codes(Area.code))
        .group_by(Area.level)
    )
    return {level: count for level, count in result.all()}


# ------------------------------------------------------------------------------------- search


@dataclass(frozen=True)
class _Entry:
    code: str
    name: str
    level: AreaLevel
    parent_code: str | None
    key: str  # normalised, level word stripped ("kotabaru")
    full: str  # normalised whole name ("kabupaten kotabaru")


@dataclass(frozen=True)
class _AreaIndex:
    token: tuple[int, object]
    entries: tuple[_Entry, ...]
    names: dict[str, tuple[str, AreaLevel]]


_INDEX_CACHE: OrderedDict[str, _AreaIndex] = OrderedDict()
_INDEX_CACHE_SIZE = 8


async def _area_index(session: AsyncSession) -> _AreaIndex:
    """All areas with their normalised names, cached per database until the area table changes
    (row count or newest `updated_at`, which every import sets); a few thousand rows."""
    token_row = (await session.execute(select(func.count(), func.max(Area.updated_at)))).one()
    token = (int(token_row[0]), token_row[1])
    cache_key = session.get_bind().engine.url.render_as_string(hide_password=False)
    cached = _INDEX_CACHE.get(cache_key)
    if cached is not None and cached.token == token:
        _INDEX_CACHE.move_to_end(cache_key)
        return cached
    result = await session.execute(select(Area.code, Area.name, Area.level, Area.parent_code))
    entries = tuple(
        _Entry(
            code=row.code,
            name=row.name,
            level=row.level,
            parent_code=row.parent_code,
            key=strip_level_word(row.level, row.name),
            full=normalize_name(row.name),
        )
        for row in result.all()
    )
    index = _AreaIndex(
        token=token, entries=entries, names={e.code: (e.name, e.level) for e in entries}
    )
    _INDEX_CACHE[cache_key] = index
    _INDEX_CACHE.move_to_end(cache_key)
    while len(_INDEX_CACHE) > _INDEX_CACHE_SIZE:
        _INDEX_CACHE.popitem(last=False)
    return index


def _compact(text: str) -> str:
    return text.replace(" ", "")


def _is_exact(entry: _Entry, normalized: str, rest: str) -> bool:
    if rest in (entry.key, entry.full) or normalized in (entry.key, entry.full):
        return True
    compact_key = _compact(entry.key)
    return compact_key in (_compact(rest), _compact(normalized))


async def search_areas(
    session: AsyncSession,
    query: str,
    scope: Scope,
    levels: Iterable[AreaLevel] | None = None,
    limit: int = 8,
) -> list[AreaCandidate]:
    """Areas in `scope` whose name matches `query`, best first.

    Every exact match (after normalising case, spaces, punctuation and the level word) is
    returned, even beyond `limit`, higher levels first: "Sampanahan" gives the kecamatan and
    the desa. Fuzzy matches (typos, partial names) fill up to `limit` after them. A level word
    in the query ("desa sampanahan") puts areas of that level first.
    """
    normalized = normalize_name(query)
    if not normalized:
        return []
    preferred, rest = split_level_prefix(normalized)
    wanted_levels = frozenset(levels) if levels is not None else None
    index = await _area_index(session)
    entries = [
        e
        for e in index.entries
        if scope.contains(e.code) and (wanted_levels is None or e.level in wanted_levels)
    ]
    if not entries:
        return []

    scores: dict[int, float] = {}
    for needle, haystack in (
        (rest, [e.key for e in entries]),
        (normalized, [e.full for e in entries]),
    ):
        for _choice, score, position in process.extract(
            needle, haystack, scorer=fuzz.WRatio, limit=None, score_cutoff=FUZZY_CUTOFF
        ):
            scores[position] = max(scores.get(position, 0.0), float(score))

    ranked: list[tuple[tuple[bool, bool, float, int, str], _Entry, float, bool]] = []
    for position, entry in enumerate(entries):
        exact = _is_exact(entry, normalized, rest)
        if not exact and position not in scores:
            continue
        score = 100.0 if exact else scores[position]
        level_match = not preferred or entry.level in preferred
        sort_key = (not exact, not level_match, -score, code_depth(entry.code), entry.name)
        ranked.append((sort_key, entry, score, exact))
    ranked.sort(key=lambda item: item[0])

    exact_count = sum(1 for item in ranked if item[3])
    return [
        AreaCandidate(
            code=entry.code,
            name=entry.name,
            level=entry.level,
            parent_code=entry.parent_code,
            parents=_parents_label(entry.code, entry.level, index.names),
            score=round(score, 1),
            exact=exact,
        )
        for _key, entry, score, exact in ranked[: max(limit, exact_count)]
    ]
