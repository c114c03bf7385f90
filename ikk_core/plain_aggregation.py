"""The aggregation method written out in plain Python, one family at a time.

It is the readable statement of the method ("Aggregation" in the instrument spec) that the
vectorised `ikk_core.aggregation` is tested against, and the naive baseline of the benchmark.
It is also fine for a handful of families; for files and whole areas use `aggregation`.
"""

from __future__ import annotations

from collections.abc import Iterable

from ikk_core.instrument import Instrument, band_for
from ikk_core.results import AreaResult, DimensionResult, FamilyResult, IndicatorResult


def _weighted_mean(pairs: list[tuple[float, float | None]]) -> float | None:
    """Mean of the values that exist, weighted; None if none exists."""
    present = [(w, v) for w, v in pairs if v is not None]
    total = sum(w for w, _ in present)
    if not present or total <= 0:
        return None
    return sum(w * v for w, v in present) / total


def aggregate_families(
    instrument: Instrument, families: Iterable[FamilyResult], code: str, name: str, level: str
) -> AreaResult:
    """The AreaResult of a set of scored families."""
    met = {i.code: 0 for i in instrument.indicators}
    applicable = {i.code: 0 for i in instrument.indicators}
    count = 0
    for family in families:
        count += 1
        for indicator_code, score in family.scores.items():
            if score is None:
                continue  # does not apply: out of numerator and denominator
            applicable[indicator_code] += 1
            met[indicator_code] += score
    settings = instrument.settings
    indicators = []
    for ind in instrument.indicators:
        n, d = met[ind.code], applicable[ind.code]
        value = 100.0 * n / d if d else None
        red = value is not None and value < settings.red_threshold
        indicators.append(
            IndicatorResult(ind.code, ind.dimension, ind.name, ind.sector, n, d, value, red)
        )
    dimensions = tuple(
        DimensionResult(
            d.code,
            d.name,
            d.weight,
            _weighted_mean(
                [(i.weight, r.value) for i, r in zip(instrument.indicators, indicators, strict=True)
                 if i.dimension == d.code]
            ),
        )
        for d in instrument.dimensions
    )
    if settings.aggregation == "flat_mean":
        ikk = _weighted_mean(
            [(i.weight, r.value) for i, r in zip(instrument.indicators, indicators, strict=True)]
        )
    else:
        ikk = _weighted_mean([(d.weight, d.value) for d in dimensions])
    return AreaResult(
        code=code,
        name=name,
        level=level,
        families=count,
        ikk=ikk,
        category=band_for(settings.ikk_bands, ikk),
        dimensions=dimensions,
        indicators=tuple(indicators),
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        method=settings.aggregation,
    )
