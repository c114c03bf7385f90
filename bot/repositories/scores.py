"""Family scores: storing them with their village counts, and the reads behind reports.

Reports never re-score answers (design decision 3) and never load score rows as objects. Every
write of `family_score` rows goes through `rewrite_scores`, which in the same transaction adds
and subtracts the family's contribution to `village_indicator_count` (families scored, met,
applicable per village, period, indicator and scoring instrument). Counts add up, so a
kabupaten is the sum of its villages' counts (see `ikk_core.aggregation`) and a province report
reads at most villages × indicators rows: 58,000, not 11.6 million score rows.

Invariant kept by the services: a response has score rows exactly while it is submitted, so
the counts are those of submitted families. `rebuild_counts` recomputes them from the score
rows (the migration's backfill, and the check the tests make).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.bulk import insert_tuples
from bot.db.models import (
    Family,
    FamilyScore,
    Response,
    ResponseReview,
    ResponseStatus,
    ReviewStatus,
    VerifiedIndicatorCount,
    VillageIndicatorCount,
)
from ikk_core.areas import code_depth, is_village_code

__all__ = [
    "ActivityRow",
    "IndicatorCount",
    "NewScores",
    "activity",
    "applicable_by_child",
    "area_filter",
    "count_rows",
    "indicator_counts",
    "instruments_by_period",
    "latest_period",
    "periods_with_data",
    "rebuild_counts",
    "rewrite_scores",
]

Counts: Table = VillageIndicatorCount.__table__  # type: ignore[assignment]
VerifiedCounts: Table = VerifiedIndicatorCount.__table__  # type: ignore[assignment]
Scores: Table = FamilyScore.__table__  # type: ignore[assignment]
_SCORE_COLUMNS = ("response_id", "indicator", "score", "instrument_id", "instrument_version")
CountKey = tuple[int, str, str, str, str]
"""(period, village code, indicator, instrument id, instrument version)."""


def area_filter(
    area_code: str,
    column: ColumnElement[str] = Family.village_code,  # type: ignore[assignment]
    dialect: str = "postgresql",
) -> ColumnElement[bool]:
    """Rows of the area `area_code` and everything below it, by a column of VILLAGE codes.

    A village is an equality. An area above it is ``LIKE 'code.%'`` on PostgreSQL; on SQLite,
    whose LIKE ignores case and so never uses an index, it is the same set written as the
    range ``'code.' <= c < 'code/'`` ('/' follows '.'; SQLite compares text bytewise). That
    range is NOT used on PostgreSQL, where a locale collation may order punctuation otherwise.
    """
    if is_village_code(area_code):
        return column == area_code
    # The columns hold village codes only, so an area above a village never equals one.
    if dialect == "sqlite":
        return (column >= f"{area_code}.") & (column < f"{area_code}/")
    return column.like(f"{area_code}.%")


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


@dataclass(frozen=True)
class NewScores:
    """A family's indicator scores (1, 0, None = not applicable) to store for a response."""

    response_id: int
    period: int
    village_code: str
    scores: Mapping[str, int | None]
    instrument_id: str
    instrument_version: str


def _add(
    deltas: dict[CountKey, list[int]], key: CountKey, score: int | None, sign: int
) -> None:
    delta = deltas[key]
    delta[0] += sign
    delta[1] += sign * (score == 1)
    delta[2] += sign * (score is not None)


async def rewrite_scores(
    session: AsyncSession, remove: Sequence[int], add: Sequence[NewScores] = ()
) -> None:
    """Delete the score rows of the responses `remove`, insert `add`, and move the village
    counts by the difference (one upsert of the net change, keys in order so two writers of
    one village lock the same rows in the same order).

    A family a supervisor verified moves the verified counts too: its old rows (read here
    anyway) say it is verified, and its new rows follow them. Only a response in `remove` can
    be verified (a review needs stored scores), so this costs no extra query."""
    deltas: dict[CountKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    verified: dict[CountKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    verified_ids: set[int] = set()
    if remove:
        old = await session.execute(
            select(
                Family.period, Family.village_code, FamilyScore.indicator,
                FamilyScore.instrument_id, FamilyScore.instrument_version, FamilyScore.score,
                FamilyScore.response_id, ResponseReview.status,
            )
            .select_from(FamilyScore)
            .join(Response, Response.id == FamilyScore.response_id)
            .join(Family, Family.id == Response.family_id)
            .outerjoin(ResponseReview, ResponseReview.family_id == Family.id)
            .where(FamilyScore.response_id.in_(list(remove)))
        )
        found = False
        for period, village, indicator, iid, iver, score, rid, review in old.all():
            _add(deltas, (period, village, indicator, iid, iver), score, -1)
            if review is ReviewStatus.VERIFIED:
                _add(verified, (period, village, indicator, iid, iver), score, -1)
                verified_ids.add(rid)
            found = True
        if found:
            await session.execute(
                delete(FamilyScore).where(FamilyScore.response_id.in_(list(remove)))
            )
    rows = []
    for new in add:
        for indicator, score in new.scores.items():
            key = (new.period, new.village_code, indicator, new.instrument_id,
                   new.instrument_version)
            _add(deltas, key, score, +1)
            if new.response_id in verified_ids:
                _add(verified, key, score, +1)
            rows.append(
                (new.response_id, indicator, score, new.instrument_id, new.instrument_version)
            )
    # Plain tuples through the driver: an import writes millions of these rows.
    await insert_tuples(session, Scores, _SCORE_COLUMNS, rows)
    await _move_counts(session, deltas)
    await _move_counts(session, verified, VerifiedCounts)


async def move_verified(session: AsyncSession, family_id: int, sign: int) -> None:
    """Add (+1) or take out (-1) one family's stored scores in the verified counts: its review
    has just turned "terverifikasi", or stopped being it."""
    deltas: dict[CountKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = await session.execute(
        select(
            Family.period, Family.village_code, FamilyScore.indicator,
            FamilyScore.instrument_id, FamilyScore.instrument_version, FamilyScore.score,
        )
        .select_from(FamilyScore)
        .join(Response, Response.id == FamilyScore.response_id)
        .join(Family, Family.id == Response.family_id)
        .where(Family.id == family_id)
    )
    for period, village, indicator, iid, iver, score in rows.all():
        _add(deltas, (period, village, indicator, iid, iver), score, sign)
    await _move_counts(session, deltas, VerifiedCounts)


def _is_new_row(delta: Sequence[int]) -> bool:
    """Whether a delta is itself a consistent count row (families ≥ applicable ≥ met ≥ 0)."""
    families, met, applicable = delta
    return families >= applicable >= met >= 0


async def _move_counts(
    session: AsyncSession, deltas: Mapping[CountKey, list[int]], table: Table | None = None
) -> None:
    """Add the deltas to the count rows. A delta that could stand as a row of its own (a family
    added) is an upsert; any other one (a family removed or changed) is an UPDATE of a row that
    exists, since it counted that family. Rows are never deleted (a zero row is harmless), so
    an UPDATE can never miss a row another transaction removed. `table`: the village counts
    (default) or the verified families' counts."""
    counts = Counts if table is None else table
    changed = sorted(key for key, delta in deltas.items() if any(delta))
    if not changed:
        return

    def params(key: CountKey) -> dict[str, object]:
        families, met, applicable = deltas[key]
        return {
            "k_period": key[0], "k_village": key[1], "k_indicator": key[2],
            "k_instrument": key[3], "k_version": key[4],
            "families": families, "met": met, "applicable": applicable,
        }

    inserts = [params(k) for k in changed if _is_new_row(deltas[k])]
    updates = [params(k) for k in changed if not _is_new_row(deltas[k])]
    if inserts:
        dialect = session.get_bind().dialect.name
        insert_for: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert_for(counts).values(
            period=bindparam("k_period"), village_code=bindparam("k_village"),
            indicator=bindparam("k_indicator"), instrument_id=bindparam("k_instrument"),
            instrument_version=bindparam("k_version"), families=bindparam("families"),
            met=bindparam("met"), applicable=bindparam("applicable"),
        )
        statement = statement.on_conflict_do_update(
            index_elements=[counts.c.period, counts.c.village_code, counts.c.indicator,
                            counts.c.instrument_id, counts.c.instrument_version],
            set_={
                "families": counts.c.families + statement.excluded.families,
                "met": counts.c.met + statement.excluded.met,
                "applicable": counts.c.applicable + statement.excluded.applicable,
            },
        )
        await session.execute(statement, inserts)
    if updates:
        await session.execute(
            update(counts)
            .where(
                counts.c.period == bindparam("k_period"),
                counts.c.village_code == bindparam("k_village"),
                counts.c.indicator == bindparam("k_indicator"),
                counts.c.instrument_id == bindparam("k_instrument"),
                counts.c.instrument_version == bindparam("k_version"),
            )
            .values(
                families=counts.c.families + bindparam("families"),
                met=counts.c.met + bindparam("met"),
                applicable=counts.c.applicable + bindparam("applicable"),
            ),
            updates,
        )


REBUILD = """
INSERT INTO village_indicator_count
    (period, village_code, indicator, instrument_id, instrument_version,
     families, met, applicable)
SELECT f.period, f.village_code, s.indicator, s.instrument_id, s.instrument_version,
       count(*), sum(CASE WHEN s.score = 1 THEN 1 ELSE 0 END), count(s.score)
FROM family_score s
JOIN response r ON r.id = s.response_id
JOIN family f ON f.id = r.family_id
WHERE r.status = 'submitted'
GROUP BY f.period, f.village_code, s.indicator, s.instrument_id, s.instrument_version
"""


async def rebuild_counts(session: AsyncSession) -> None:
    """Recompute every village count from the stored score rows (slow: a full scan)."""
    await session.execute(delete(Counts))
    await session.execute(text(REBUILD))


async def count_rows(session: AsyncSession) -> list[tuple[Any, ...]]:
    """The whole count table, ordered (for checks)."""
    rows = await session.execute(select(Counts).order_by(*Counts.primary_key))
    return [tuple(row) for row in rows.all()]


async def periods_with_data(session: AsyncSession, area_code: str) -> list[int]:
    """The periods with submitted families in the area, newest first."""
    rows = await session.scalars(
        select(Counts.c.period)
        .where(
            Counts.c.families > 0,
            area_filter(area_code, Counts.c.village_code, _dialect(session)),
        )
        .distinct()
    )
    return sorted({int(p) for p in rows.all()}, reverse=True)


async def latest_period(
    session: AsyncSession, area_code: str, *, cadre_id: int | None = None
) -> int | None:
    """The latest period with any family (draft or submitted) in the area, or None."""
    query = (
        select(func.max(Family.period))
        .join(Response, Response.family_id == Family.id)
        .where(area_filter(area_code, Family.village_code, _dialect(session)))  # type: ignore[arg-type]
    )
    if cadre_id is not None:
        query = query.where(Response.cadre_id == cadre_id)
    found = await session.scalar(query)
    return int(found) if found is not None else None


@dataclass(frozen=True)
class IndicatorCount:
    """Submitted families of one village and period for one indicator: how many were scored,
    met it, and it applied to; `outdated` of them were scored by another instrument than the
    current one."""

    period: int
    village_code: str
    indicator: str
    families: int
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
    table: Table | None = None,
) -> list[IndicatorCount]:
    """The village counts of the area (summed over scoring instruments), one query; `table`
    `VerifiedCounts` reads those of verified families instead.

    Rows are read as stored and summed here: no GROUP BY, which SQLite answers with a
    temporary b-tree even though the key is in index order.
    """
    if not periods:
        return []
    counts = Counts if table is None else table
    query = select(
        counts.c.period,
        counts.c.village_code,
        counts.c.indicator,
        counts.c.instrument_id,
        counts.c.instrument_version,
        counts.c.families,
        counts.c.met,
        counts.c.applicable,
    ).where(
        area_filter(area_code, counts.c.village_code, _dialect(session)),
        counts.c.period.in_(list(periods)),
    )
    sums: dict[tuple[int, str, str], list[int]] = {}
    for period, village, indicator, iid, iver, families, met, applicable in (
        await session.execute(query)
    ).all():
        key = (period, village, indicator)
        total = sums.get(key)
        if total is None:
            total = sums[key] = [0, 0, 0, 0]
        total[0] += families
        total[1] += met
        total[2] += applicable
        if iid != instrument_id or iver != instrument_version:
            total[3] += families
    return [
        IndicatorCount(period, village, indicator, t[0], t[1], t[2], t[3])
        for (period, village, indicator), t in sums.items()
    ]


async def instruments_by_period(
    session: AsyncSession, area_code: str, periods: Sequence[int]
) -> dict[int, frozenset[str]]:
    """The ids of the instruments that scored the area's submitted families, per period: two
    periods scored by different instruments are not compared (`ikk_core.period_change`)."""
    if not periods:
        return {}
    rows = await session.execute(
        select(Counts.c.period, Counts.c.instrument_id)
        .where(
            Counts.c.families > 0,
            area_filter(area_code, Counts.c.village_code, _dialect(session)),
            Counts.c.period.in_(list(periods)),
        )
        .distinct()
    )
    found: dict[int, set[str]] = defaultdict(set)
    for period, instrument_id in rows.all():
        found[int(period)].add(str(instrument_id))
    return {period: frozenset(ids) for period, ids in found.items()}


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
    status: ResponseStatus | None = None,
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
        .where(
            Family.period.in_(list(periods)),
            area_filter(area_code, Family.village_code, _dialect(session)),  # type: ignore[arg-type]
        )
        .group_by(Family.period, Family.village_code, Response.cadre_id, Response.status)
    )
    if cadre_id is not None:
        query = query.where(Response.cadre_id == cadre_id)
    if status is not None:
        # As a subquery on the status index: with few drafts among many submitted families,
        # SQLite would otherwise walk every family of the area (200 ms for a kabupaten).
        query = query.where(
            Response.id.in_(select(Response.id).where(Response.status == status))
        )
    rows = await session.execute(query)
    return [
        ActivityRow(int(p), code, int(cadre), ResponseStatus(status), int(n), when)
        for p, code, cadre, status, n, when in rows.all()
    ]


async def applicable_by_child(
    session: AsyncSession, parent: str, leave_out: str, periods: Sequence[int],
    table: Table | None = None,
) -> list[IndicatorCount]:
    """Applicable families per child area of `parent` (one level down), indicator and period,
    summed by the database, for every child but `leave_out` (whose subtree the caller reads in
    detail). Only `applicable` is filled: it is what small-cell suppression decides on.

    The disclosure decision for an area depends on its ancestors and their siblings only, so a
    report reads these few sums per level instead of every village count of the province.
    """
    if not periods or is_village_code(parent):
        return []
    counts = Counts if table is None else table
    # Codes are 63 / 63.02 / 63.02.12 / 63.02.12.2005: a village segment has 4 digits.
    width = len(parent) + 1 + (4 if code_depth(parent) == 3 else 2)
    child = func.substr(counts.c.village_code, 1, width)
    dialect = _dialect(session)
    query = (
        select(counts.c.period, child, counts.c.indicator, func.sum(counts.c.applicable))
        .where(
            area_filter(parent, counts.c.village_code, dialect),
            ~area_filter(leave_out, counts.c.village_code, dialect),
            counts.c.period.in_(list(periods)),
        )
        .group_by(counts.c.period, child, counts.c.indicator)
    )
    return [
        IndicatorCount(int(period), str(code), str(indicator), 0, 0, int(applicable or 0), 0)
        for period, code, indicator, applicable in (await session.execute(query)).all()
    ]
