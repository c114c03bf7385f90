"""Area-level IKK from family indicator scores, vectorised over families.

Every area value is computed from counts of FAMILIES: an indicator's numerator is the number of
families meeting it and its denominator the number it applies to. Counts add up, so a kecamatan
is the sum of its villages' counts, which is exactly its families scored as one set, never a mean
of village values. Only the counting touches every family (numpy, no Python loop per family);
indices, dimensions and categories are then computed per area from its small count vectors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ikk_core.areas import ancestors, is_valid_code, level_from_code
from ikk_core.instrument import Instrument, band_for
from ikk_core.results import AreaResult, DimensionResult, IndicatorResult

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Counts:
    """Per-area family counts: `numerator[g, i]` families meeting indicator i in area g, etc."""

    codes: tuple[str, ...]
    families: IntArray
    numerator: IntArray
    denominator: IntArray


def _indicator_matrix(instrument: Instrument, scores: pd.DataFrame) -> list[pd.Series]:
    codes = [i.code for i in instrument.indicators]
    missing = [c for c in codes if c not in scores.columns]
    if missing:
        raise ValueError(f"scores lack indicator columns: {', '.join(missing)}")
    return [scores[c] for c in codes]


def _column_flags(column: pd.Series) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(met, applicable) for one indicator column, whatever its dtype (nullable int or float)."""
    values = column.to_numpy(dtype=np.float32, na_value=np.nan)
    applicable = ~np.isnan(values)
    return values == 1, applicable


def count_by(
    instrument: Instrument, scores: pd.DataFrame, codes: pd.Series | Sequence[str]
) -> Counts:
    """Numerators, denominators and family counts per area code (rows without a code left out).

    `codes` go with the rows of `scores` by position.

    One pass of `np.bincount` per indicator: linear in families, no Python loop over them.
    """
    columns = _indicator_matrix(instrument, scores)
    group, uniques = pd.factorize(_by_position(codes, len(scores)), sort=True)
    keep = group >= 0
    group = group[keep]
    n_groups = len(uniques)
    numerator = np.zeros((n_groups, len(columns)), dtype=np.int64)
    denominator = np.zeros((n_groups, len(columns)), dtype=np.int64)
    for j, column in enumerate(columns):
        met, applicable = _column_flags(column)
        numerator[:, j] = np.bincount(group, weights=met[keep], minlength=n_groups)
        denominator[:, j] = np.bincount(group, weights=applicable[keep], minlength=n_groups)
    families = np.bincount(group, minlength=n_groups).astype(np.int64)
    return Counts(tuple(str(u) for u in uniques), families, numerator, denominator)


def _by_position(codes: pd.Series | Sequence[str], size: int) -> npt.NDArray[np.object_]:
    """Area codes matched to score rows by position, never by index label: a mismatched index
    would otherwise silently drop families."""
    values = np.asarray(codes, dtype=object)
    if len(values) != size:
        raise ValueError(f"{len(values)} area codes for {size} families")
    return values


def _weighted_nanmean(values: FloatArray, weights: FloatArray) -> FloatArray:
    """Row-wise weighted mean over the columns that have a value; NaN where none has.

    Columns are added one by one, left to right (a loop over indicators, not families): numpy's
    row sums change their summation order with the number of rows, and an area's value must not
    change in the last bit depending on which other areas were computed with it. It is also the
    order of the plain-Python reference, so both give the same floats.
    """
    n_rows = values.shape[0]
    summed = np.zeros(n_rows)
    total = np.zeros(n_rows)
    for j, weight in enumerate(weights.tolist()):
        column = values[:, j]
        present = ~np.isnan(column)
        summed = summed + np.where(present, weight * column, 0.0)
        total = total + np.where(present, weight, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, summed / np.where(total > 0, total, 1.0), np.nan)


def area_indices(
    instrument: Instrument, counts: Counts
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(indicator values, dimension values, IKK) for every area, as arrays with NaN for no value."""
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(
            counts.denominator > 0,
            100.0 * counts.numerator / np.where(counts.denominator > 0, counts.denominator, 1),
            np.nan,
        )
    weights = np.array([i.weight for i in instrument.indicators], dtype=np.float64)
    n_areas = len(counts.codes)
    dims = np.full((n_areas, len(instrument.dimensions)), np.nan)
    for k, dimension in enumerate(instrument.dimensions):
        idx = [j for j, i in enumerate(instrument.indicators) if i.dimension == dimension.code]
        if idx:
            dims[:, k] = _weighted_nanmean(values[:, idx], weights[idx])
    if instrument.settings.aggregation == "flat_mean":
        ikk = _weighted_nanmean(values, weights)
    else:
        dim_weights = np.array([d.weight for d in instrument.dimensions], dtype=np.float64)
        ikk = _weighted_nanmean(dims, dim_weights)
    return values, dims, ikk


def _optional(row: list[float]) -> list[float | None]:
    return [None if math.isnan(v) else v for v in row]


def without_hidden(counts: Counts, hidden: npt.NDArray[np.bool_]) -> Counts:
    """`counts` with the hidden cells emptied: their indicators then have no value, so the
    dimensions and the IKK are computed from the published indicators only (a hidden value
    could otherwise be backed out of a dimension mean)."""
    return Counts(
        counts.codes,
        counts.families,
        np.where(hidden, 0, counts.numerator),
        np.where(hidden, 0, counts.denominator),
    )


def results_from_counts(
    instrument: Instrument,
    counts: Counts,
    names: Mapping[str, str],
    levels: Mapping[str, str],
    hidden: npt.NDArray[np.bool_] | None = None,
) -> dict[str, AreaResult]:
    """One AreaResult per area of `counts` (the method and thresholds come from the instrument).

    `hidden[g, i]` marks cells suppressed for the reader (see `ikk_core.disclosure`): they come
    out as suppressed indicators without value or counts and take no part in the indices.
    Arrays are turned into Python lists once: building thousands of small result objects from
    numpy scalars one element at a time would cost more than all the arithmetic.
    """
    if hidden is None:
        hidden = np.zeros(counts.numerator.shape, dtype=bool)
    else:
        counts = without_hidden(counts, hidden)
    hidden_rows = hidden.tolist()
    values, dims, ikk = area_indices(instrument, counts)
    settings = instrument.settings
    threshold = settings.red_threshold
    numerators = counts.numerator.tolist()
    denominators = counts.denominator.tolist()
    all_values = values.tolist()
    all_dims = dims.tolist()
    families = counts.families.tolist()
    out: dict[str, AreaResult] = {}
    for g, (code, area_ikk) in enumerate(zip(counts.codes, _optional(ikk.tolist()), strict=True)):
        area_values = _optional(all_values[g])
        indicators = tuple(
            IndicatorResult(
                code=ind.code,
                dimension=ind.dimension,
                name=ind.name,
                sector=ind.sector,
                numerator=n,
                denominator=d,
                value=value,
                red=value is not None and value < threshold,
                suppressed=bool(secret),
            )
            for ind, n, d, value, secret in zip(
                instrument.indicators, numerators[g], denominators[g], area_values,
                hidden_rows[g], strict=True,
            )
        )
        dimensions = tuple(
            DimensionResult(code=d.code, name=d.name, weight=d.weight, value=value)
            for d, value in zip(instrument.dimensions, _optional(all_dims[g]), strict=True)
        )
        out[code] = AreaResult(
            code=code,
            name=names.get(code, code),
            level=levels.get(code, ""),
            families=families[g],
            ikk=area_ikk,
            category=band_for(settings.ikk_bands, area_ikk),
            dimensions=dimensions,
            indicators=indicators,
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            method=settings.aggregation,
        )
    return out


def aggregate(
    instrument: Instrument, scores: pd.DataFrame, area_code: str, area_name: str, level: str
) -> AreaResult:
    """The result of one area from the scores of all its families (rows of `scores`)."""
    counts = count_by(instrument, scores, pd.Series(area_code, index=scores.index, dtype=object))
    if not counts.codes:  # no family at all: every indicator without value
        empty = np.zeros((1, len(instrument.indicators)), dtype=np.int64)
        counts = Counts((area_code,), np.zeros(1, dtype=np.int64), empty, empty.copy())
    return results_from_counts(instrument, counts, {area_code: area_name}, {area_code: level})[
        area_code
    ]


def aggregate_by(
    instrument: Instrument, scores: pd.DataFrame, codes: pd.Series, names: Mapping[str, str]
) -> dict[str, AreaResult]:
    """One result per distinct area code in `codes` (aligned with the rows of `scores`)."""
    counts = count_by(instrument, scores, codes)
    return results_from_counts(instrument, counts, names, _levels(counts.codes, names))


def _levels(codes: Sequence[str], names: Mapping[str, str]) -> dict[str, str]:
    """Level names ("desa", "kecamatan"...) of Kemendagri codes; other labels get no level."""
    return {
        code: level_from_code(code, names.get(code, "")).value if is_valid_code(code) else ""
        for code in codes
    }


def rollup_counts(counts: Counts) -> Counts:
    """Counts of every area in `counts` and of every area above them, by summing family counts."""
    pairs_area: list[str] = []
    pairs_source: list[int] = []
    for g, code in enumerate(counts.codes):
        for area in (code, *ancestors(code)):
            pairs_area.append(area)
            pairs_source.append(g)
    target, uniques = pd.factorize(pd.Series(pairs_area, dtype=object), sort=True)
    source = np.asarray(pairs_source, dtype=np.int64)
    n = len(uniques)
    numerator = np.zeros((n, counts.numerator.shape[1]), dtype=np.int64)
    denominator = np.zeros_like(numerator)
    families = np.zeros(n, dtype=np.int64)
    np.add.at(numerator, target, counts.numerator[source])
    np.add.at(denominator, target, counts.denominator[source])
    np.add.at(families, target, counts.families[source])
    return Counts(tuple(str(u) for u in uniques), families, numerator, denominator)


def rollup(
    instrument: Instrument,
    scores: pd.DataFrame,
    village_codes: pd.Series,
    names: Mapping[str, str],
) -> dict[str, AreaResult]:
    """Results for every village in `village_codes` and every kecamatan, kabupaten and province
    above them, each over its families (an area's counts are the sum of its villages' counts)."""
    counts = rollup_counts(count_by(instrument, scores, village_codes))
    return results_from_counts(instrument, counts, names, _levels(counts.codes, names))
