"""An area's IKK for an official (or a cadre's own village) from the STORED family scores.

Design decision 3: scores are stored at submit, aggregates are computed. The database counts,
per village and indicator, the submitted families meeting it and those it applies to (one
grouped query); `ikk_core.aggregation` rolls the village counts up and computes indicator
values, dimensions, the IKK and its category. Counts add up, so the area's result is exactly
the result of its families taken as one set (what `ikk_core.aggregation.aggregate` gives over
their score rows), and the villages below come out of the same computation, not N queries.

An area outside the actor's scope gives None, exactly like an unknown area code.

Disclosure (issue 10): a pejabat or kader never sees an indicator over fewer than MIN_CELL
families, nor an area IKK over fewer than MIN_FAMILIES families. Which cells are hidden is
decided by `ikk_core.disclosure` as over the counts of the WHOLE province for the period (read
as this area's villages plus the summed siblings of every area above it, which decides the
same: see `_hidden_cells`), so subtracting one published figure from another reveals nothing
small, and every reader sees the same cells hidden whichever area they ask for. The result
objects already carry the hidden cells as suppressed (no value, no counts), so no renderer can
show them by mistake. The admin and the command line see the figures unsuppressed (they may
see per-family data anyway).
Every report also carries its coverage (`ikk_core.coverage`).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Area, ResponseStatus, Role
from bot.repositories.responses import load_acting_user
from bot.repositories.scope import Scope
from bot.repositories.scores import (
    ActivityRow,
    IndicatorCount,
    activity,
    applicable_by_child,
    indicator_counts,
    instruments_by_period,
    periods_with_data,
)
from bot.repositories.targets import targets_by_village, village_targets
from bot.services.context import Actor, ServiceContext, actor_id
from bot.services.verified_figures import VerifiedView, read_verified
from ikk_core.aggregation import (
    Counts,
    area_indices,  # vectorised IKK of many areas
    results_from_counts,
    rollup_counts,
    without_hidden,
)
from ikk_core.areas import AreaLevel, ancestors, is_village_code, short_label
from ikk_core.coverage import Coverage
from ikk_core.disclosure import suppress
from ikk_core.instrument import Band, Instrument
from ikk_core.period_change import PeriodChange, compare_periods
from ikk_core.results import AreaResult

__all__ = ["AreaLine", "AreaReport", "PeriodResult", "area_report", "operator_report"]


@dataclass(frozen=True)
class _LineCounts:
    """What it takes to compute one line's full result when it is asked for."""

    instrument: Instrument
    counts: Counts
    names: Mapping[str, str]
    levels: Mapping[str, str]
    hidden: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class AreaLine:
    """A village or sub-area of the report with its IKK (None while no family is submitted).

    `ikk` is computed for every line at once (vectorised); the full `result` (dimensions,
    indicators) is built the first time it is read, because a province report has 2,000
    village lines and building 58,000 indicator objects nobody reads costs seconds. Sort and
    list by `ikk`; open `result` for the lines actually shown in detail.
    """

    code: str
    name: str
    level: AreaLevel
    submitted: int
    drafts: int
    prepared: AreaResult | None = None
    """A result already built (given by the caller); otherwise `result` is built lazily."""
    _ikk: float | None = None
    _source: _LineCounts | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        return short_label(self.level, self.name)

    @property
    def ikk(self) -> float | None:
        """The line's IKK (None without a value), without building the full result."""
        return self.prepared.ikk if self.prepared is not None else self._ikk

    def cell(self, column: int) -> tuple[int, int, bool]:
        """(met, applicable, hidden) of the indicator at `column` of the instrument, read from
        the counts without building the full result (a hidden cell has 0 and 0)."""
        if self.prepared is not None:
            found = self.prepared.indicators[column]
            return found.numerator, found.denominator, found.suppressed
        if self._source is None:
            return 0, 0, False
        source = self._source
        if bool(source.hidden[0, column]):
            return 0, 0, True
        return (int(source.counts.numerator[0, column]),
                int(source.counts.denominator[0, column]), False)

    @cached_property
    def result(self) -> AreaResult | None:
        """The line's full result from the stored counts (None without submitted families)."""
        if self.prepared is not None:
            return self.prepared
        if self._source is None or self.submitted == 0:
            return None
        source = self._source
        return results_from_counts(source.instrument, source.counts, source.names,
                                   source.levels, source.hidden)[self.code]


@dataclass(frozen=True)
class PeriodResult:
    period: int
    result: AreaResult
    submitted: int
    coverage: Coverage | None = None
    """The previous period's own denominators ("2024: 80 keluarga dari 3 desa")."""


@dataclass(frozen=True)
class AreaReport:
    """The IKK of one area in one period, with what an official reads around it.

    `children` are the areas one level down (kecamatan of a kabupaten...), `villages` every
    village of the area; both empty for a village. `previous` is the latest earlier period with
    submitted families ("perubahan sejak 2024"). `outdated` counts submitted families whose
    stored scores come from another instrument than the current one (run `ikk-bot rescore`).
    """

    code: str
    name: str
    level: AreaLevel
    period: int
    result: AreaResult
    submitted: int
    drafts: int
    previous: PeriodResult | None
    children: tuple[AreaLine, ...]
    villages: tuple[AreaLine, ...]
    periods: tuple[int, ...]
    outdated: int
    instrument_id: str
    instrument_version: str
    coverage: Coverage | None = None
    """What the figures stand on: villages with data of all, families of expected."""
    verified_of: int | None = None
    """Set for a report over verified families only: all submitted families of the period
    ("hanya keluarga terverifikasi: `submitted` dari `verified_of`")."""
    categories: tuple[Band, ...] = ()
    """The instrument's IKK bands, to say "Kategori 2 dari 3"."""
    suppressed_view: bool = False
    """True for a pejabat or kader: small cells hidden (`min_cell`), and no IKK for an area
    under `min_families` families. False for the admin and the command line."""
    min_cell: int = 1
    min_families: int = 1
    comparison: PeriodChange | None = None
    """The IKK and dimensions against `previous`, arrows only where both are shown and
    like-for-like (`ikk_core.period_change`)."""
    expected: Mapping[str, int] = field(default_factory=dict)
    """Expected families per village (`ikk-bot areas targets`), for the villages' coverage."""

    @property
    def label(self) -> str:
        return short_label(self.level, self.name)

    def too_few(self, families: int) -> bool:
        """True when an area with `families` submitted families shows no figure at all here."""
        return self.suppressed_view and 0 < families < self.min_families

    @property
    def change(self) -> float | None:
        """IKK now minus IKK in the previous period (None without both)."""
        if self.previous is None or self.previous.result.ikk is None or self.result.ikk is None:
            return None
        return self.result.ikk - self.previous.result.ikk


@dataclass(frozen=True)
class _AreaInfo:
    code: str
    name: str
    level: AreaLevel
    parent: str | None


@dataclass(frozen=True)
class Disclosure:
    """The rules of one reader: `min_cell` 1 and `min_families` 1 hide nothing."""

    sees_all: bool
    min_cell: int
    min_families: int


@dataclass(frozen=True)
class _Raw:
    area: _AreaInfo
    period: int
    previous: int | None
    periods: tuple[int, ...]
    areas: tuple[_AreaInfo, ...]
    counts: tuple[IndicatorCount, ...]
    activity: tuple[ActivityRow, ...]
    """Response counts per village and status; only the drafts of `period` are used (submitted
    families are counted from `counts`)."""
    disclosure: Disclosure = Disclosure(True, 1, 1)
    tree_counts: tuple[IndicatorCount, ...] = ()
    """Applicable families of the siblings of every area above this one (one row per sibling
    area and indicator, summed by the database); empty when the reader sees everything."""
    verified: VerifiedView | None = None
    """Set when `counts` and `tree_counts` are over verified families only."""
    targets: tuple[int, int] = (0, 0)
    """(villages of the area with an expected number of families, their sum)."""
    instruments: tuple[tuple[int, frozenset[str]], ...] = ()
    """(period, ids of the instruments that scored it) for the periods read."""
    expected: Mapping[str, int] = field(default_factory=dict)
    """Expected families per village of the area (those with a target)."""


async def _subtree(session: AsyncSession, code: str) -> list[_AreaInfo]:
    rows = await session.execute(
        select(Area.code, Area.name, Area.level, Area.parent_code).where(
            (Area.code == code) | Area.code.like(f"{code}.%")
        )
    )
    return [_AreaInfo(c, n, lv, p) for c, n, lv, p in rows.all()]


async def _read(
    ctx: ServiceContext, actor: Actor | int | Scope, area_code: str, period: int | None,
    verified_only: bool = False,
) -> _Raw | None:
    instrument = ctx.instrument

    async def work(session: AsyncSession) -> _Raw | None:
        if isinstance(actor, Scope):
            scope, sees_all = actor, True
        else:
            user = await load_acting_user(session, actor_id(actor))
            scope = user.scope if user is not None else Scope.nothing()
            sees_all = user is not None and user.role is Role.ADMIN
        if not scope.contains(area_code):
            return None
        area = await session.get(Area, area_code)
        if area is None:
            return None
        available = await periods_with_data(session, area_code)
        chosen = period if period is not None else max(available, default=ctx.current_period())
        previous = max((p for p in available if p < chosen), default=None)
        wanted = [chosen] if previous is None else [chosen, previous]
        counts = await indicator_counts(
            session, area_code, wanted,
            instrument_id=instrument.id, instrument_version=instrument.version,
        )
        tree: list[IndicatorCount] = []
        pairs = [] if sees_all else list(itertools.pairwise([area_code, *ancestors(area_code)]))
        # What decides the hidden cells of this area besides its own villages: at every
        # level above it, the sums of the siblings of the path (see `_hidden_cells`).
        for below, above in pairs:
            tree += await applicable_by_child(session, above, below, wanted)
        verified = None
        if verified_only:
            counts, tree, verified = await read_verified(
                session, area_code, wanted, period=chosen, path=pairs, all_counts=counts,
                all_tree=tree, instrument_id=instrument.id,
                instrument_version=instrument.version,
            )
        drafts = await activity(session, area_code, [chosen], status=ResponseStatus.DRAFT)
        areas = await _subtree(session, area_code) if not is_village_code(area_code) else [
            _AreaInfo(area.code, area.name, area.level, area.parent_code)
        ]
        return _Raw(
            area=_AreaInfo(area.code, area.name, area.level, area.parent_code),
            period=chosen,
            previous=previous,
            periods=tuple(available),
            areas=tuple(areas),
            counts=tuple(counts),
            activity=tuple(drafts),
            disclosure=Disclosure(sees_all, ctx.min_cell, ctx.min_families),
            tree_counts=tuple(tree),
            verified=verified,
            targets=await village_targets(session, area_code),
            instruments=tuple(
                (await instruments_by_period(session, area_code, wanted)).items()
            ),
            expected=await targets_by_village(session, area_code),
        )

    return await ctx.read(work)


def _counts(
    instrument: Instrument, rows: Sequence[IndicatorCount], families: Mapping[str, int]
) -> Counts:
    """ikk_core `Counts` per village from the grouped rows (indicators the instrument does not
    have are ignored; an indicator without rows has no applicable family)."""
    codes = tuple(sorted(families))
    row_of = {code: i for i, code in enumerate(codes)}
    column_of = {ind.code: j for j, ind in enumerate(instrument.indicators)}
    numerator = np.zeros((len(codes), len(column_of)), dtype=np.int64)
    denominator = np.zeros_like(numerator)
    for row in rows:
        i, j = row_of.get(row.village_code), column_of.get(row.indicator)
        if i is None or j is None:
            continue
        numerator[i, j] = row.met
        denominator[i, j] = row.applicable
    family_counts = np.asarray([families[c] for c in codes], dtype=np.int64)
    return Counts(codes, family_counts, numerator, denominator)


def _one(counts: Counts, g: int) -> Counts:
    """The counts of the g-th area alone."""
    return Counts(
        (counts.codes[g],),
        counts.families[g : g + 1],
        counts.numerator[g : g + 1],
        counts.denominator[g : g + 1],
    )


def _empty(code: str, n_indicators: int) -> Counts:
    zeros = np.zeros((1, n_indicators), dtype=np.int64)
    return Counts((code,), np.zeros(1, dtype=np.int64), zeros, zeros.copy())


def _area_total(counts: Counts, code: str) -> Counts:
    return Counts(
        (code,),
        np.asarray([counts.families.sum()], dtype=np.int64),
        counts.numerator.sum(axis=0, keepdims=True),
        counts.denominator.sum(axis=0, keepdims=True),
    )


def _submitted_by_period(rows: Sequence[IndicatorCount]) -> dict[int, dict[str, int]]:
    """Submitted families per period and village: every scored family has a row for each
    indicator of its instrument, so a village's families are the most counted on any one."""
    submitted: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for count in rows:
        per_village = submitted[count.period]
        per_village[count.village_code] = max(per_village[count.village_code], count.families)
    return submitted


def _hidden_cells(
    instrument: Instrument, raw: _Raw, period: int, areas: Counts
) -> npt.NDArray[np.bool_]:
    """Which cells of `areas` this reader may not see in `period`: the small cells, and every
    cell of an area under `min_families` families.

    `ikk_core.disclosure` decides top-down: whether a node is hidden depends only on its own
    count, its siblings' counts and its ancestors' decisions, never on anything below it. So
    the decision over the whole province is reproduced exactly from this area's villages plus,
    at each level above, its siblings as single (summed) nodes: the same cells are hidden
    whoever asks and whichever area is asked, at a fraction of the reading.
    """
    rules = raw.disclosure
    hidden = np.zeros(areas.numerator.shape, dtype=bool)
    if rules.sees_all:
        return hidden
    rows = [c for c in (*raw.counts, *raw.tree_counts) if c.period == period]
    province = _counts(instrument, rows, _submitted_by_period(rows)[period])
    forced = None
    if raw.verified is not None:  # the families left out must not show by subtraction
        rest = [c for c in raw.verified.remainder if c.period == period]
        forced = suppress(_counts(instrument, rest, _submitted_by_period(rest)[period]),
                          rules.min_cell)
    decided = suppress(province, rules.min_cell, forced=forced)
    n_indicators = len(instrument.indicators)
    for g, code in enumerate(areas.codes):
        hidden[g] = decided.row(code, n_indicators)
    hidden[(areas.families > 0) & (areas.families < rules.min_families)] = True
    return hidden


def _coverage(raw: _Raw, submitted: Mapping[str, int]) -> Coverage:
    village_codes = [a.code for a in raw.areas if is_village_code(a.code)]
    with_target, expected = raw.targets
    return Coverage(
        villages_with_data=sum(1 for code in village_codes if submitted.get(code, 0) > 0),
        villages=len(village_codes),
        families=sum(submitted.values()),
        expected=expected,
        villages_with_target=with_target,
        is_village=is_village_code(raw.area.code),
    )


def build_report(instrument: Instrument, raw: _Raw) -> AreaReport:
    """The report from the rows read (pure: numpy and ikk_core only)."""
    area = raw.area
    info = {a.code: a for a in raw.areas}
    names = {a.code: a.name for a in raw.areas}
    levels = {a.code: a.level.value for a in raw.areas}
    drafts: dict[str, int] = defaultdict(int)
    for row in raw.activity:
        if row.status is ResponseStatus.DRAFT and row.period == raw.period:
            drafts[row.village_code] += row.count
    submitted = _submitted_by_period(raw.counts)
    by_period: dict[int, list[IndicatorCount]] = defaultdict(list)
    for count in raw.counts:
        by_period[count.period].append(count)
    n_indicators = len(instrument.indicators)

    current = _counts(instrument, by_period[raw.period], submitted[raw.period])
    if is_village_code(area.code):
        rolled = current if current.codes else _empty(area.code, n_indicators)
    else:
        rolled = rollup_counts(current) if current.codes else _empty(area.code, n_indicators)
    if area.code not in rolled.codes:
        rolled = _empty(area.code, n_indicators)
    # The roll-up also made the areas above this one: keep this area and what lies below it.
    keep = [i for i, c in enumerate(rolled.codes) if c == area.code or c in info]
    wanted = [rolled.codes[i] for i in keep]
    rolled = Counts(
        tuple(wanted), rolled.families[keep], rolled.numerator[keep], rolled.denominator[keep]
    )
    hidden = _hidden_cells(instrument, raw, raw.period, rolled)
    _, _, ikk = area_indices(instrument, without_hidden(rolled, hidden))
    row_of = {code: i for i, code in enumerate(rolled.codes)}
    g_main = row_of[area.code]
    main = results_from_counts(
        instrument, _one(rolled, g_main), names, levels, hidden[g_main : g_main + 1]
    )[area.code]

    drafts_in: dict[str, int] = defaultdict(int)  # drafts of each area, its villages' summed
    for draft_village, n in drafts.items():
        for code in (draft_village, *ancestors(draft_village)):
            drafts_in[code] += n

    def drafts_below(code: str) -> int:
        return drafts_in.get(code, 0)

    def line(code: str) -> AreaLine:
        a = info[code]
        g = row_of.get(code)
        if g is None:
            return AreaLine(code, a.name, a.level, 0, drafts_below(code))
        value = float(ikk[g])
        return AreaLine(
            code=code,
            name=a.name,
            level=a.level,
            submitted=int(rolled.families[g]),
            drafts=drafts_below(code),
            _ikk=None if math.isnan(value) else value,
            _source=_LineCounts(instrument, _one(rolled, g), names, levels, hidden[g : g + 1]),
        )

    village_level = is_village_code(area.code)
    children = () if village_level else tuple(
        line(a.code) for a in sorted(raw.areas, key=lambda a: a.code) if a.parent == area.code
    )
    villages = () if village_level else tuple(
        line(a.code)
        for a in sorted(raw.areas, key=lambda a: a.code)
        if is_village_code(a.code) and a.code != area.code
    )
    previous: PeriodResult | None = None
    if raw.previous is not None:
        before = _counts(instrument, by_period[raw.previous], submitted[raw.previous])
        total = _area_total(before, area.code)
        result = results_from_counts(
            instrument, total, names, levels, _hidden_cells(instrument, raw, raw.previous, total)
        )[area.code]
        previous = PeriodResult(raw.previous, result, int(total.families[0]),
                                _coverage(raw, submitted[raw.previous]))

    per_village_outdated: dict[str, int] = defaultdict(int)
    for count in by_period[raw.period]:
        per_village_outdated[count.village_code] = max(
            per_village_outdated[count.village_code], count.outdated
        )
    comparison: PeriodChange | None = None
    if previous is not None:
        scored_by = dict(raw.instruments)
        comparison = compare_periods(
            main, previous.result, period=raw.period, previous=previous.period,
            now_instruments=scored_by.get(raw.period, frozenset()),
            before_instruments=scored_by.get(previous.period, frozenset()),
        )
    rules = raw.disclosure
    return AreaReport(
        code=area.code,
        name=area.name,
        level=area.level,
        period=raw.period,
        result=main,
        submitted=main.families,
        drafts=drafts_below(area.code),
        previous=previous,
        children=children,
        villages=villages,
        periods=raw.periods,
        outdated=sum(per_village_outdated.values()),
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        coverage=_coverage(raw, submitted[raw.period]),
        verified_of=raw.verified.all_families if raw.verified is not None else None,
        categories=instrument.settings.ikk_bands,
        suppressed_view=not rules.sees_all,
        min_cell=1 if rules.sees_all else rules.min_cell,
        min_families=1 if rules.sees_all else rules.min_families,
        comparison=comparison,
        expected=raw.expected,
    )


async def area_report(
    ctx: ServiceContext, actor: Actor | int, area_code: str, period: int | None = None,
    *, verified_only: bool = False,
) -> AreaReport | None:
    """The IKK report of `area_code` for `period` (default: the latest period with submitted
    families), or None when the area is unknown or outside the actor's scope.
    `verified_only`: over the families a supervisor verified (`bot.services.verified_figures`)."""
    raw = await _read(ctx, actor, area_code, period, verified_only)
    if raw is None:
        return None
    return build_report(ctx.instrument, raw)


async def operator_report(
    ctx: ServiceContext, area_code: str, period: int | None = None,
    *, verified_only: bool = False,
) -> AreaReport | None:
    """The same report for the command line, where whoever holds the database sees every area
    (None only for an unknown code). Never call it on behalf of a chat user."""
    raw = await _read(ctx, Scope.everything(), area_code, period, verified_only)
    return None if raw is None else build_report(ctx.instrument, raw)
