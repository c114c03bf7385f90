"""Result objects of scoring: one family, one area.

The bot, the `ikk-bot score` command and the exports all read these, so a number is computed once
and shown the same everywhere. Values keep full precision; only `ikk_core.formatting` rounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ikk_core.instrument import Band, Text


@dataclass(frozen=True)
class FamilyResult:
    """One family's indicator scores (1 meets, 0 does not, None does not apply) and its score."""

    scores: Mapping[str, int | None]
    applicable: int
    met: int
    score: float | None
    band: Band | None


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator over a set of families: `value` = 100·numerator/denominator.

    `value` is None when no family is applicable (denominator 0); such an indicator is never red.
    `suppressed`: too few families for a pejabat to see it (`ikk_core.disclosure`); its value,
    numerator and denominator are then None, 0 and 0, and it is never red.
    """

    code: str
    dimension: str
    name: Text
    sector: str
    numerator: int
    denominator: int
    value: float | None
    red: bool
    suppressed: bool = False


@dataclass(frozen=True)
class DimensionResult:
    """A dimension index: weighted mean of its indicator values that have a value."""

    code: str
    name: Text
    weight: float
    value: float | None


@dataclass(frozen=True)
class AreaResult:
    """The IKK of one area (village or any area above it), computed over its families."""

    code: str
    name: str
    level: str
    families: int
    ikk: float | None
    category: Band | None
    dimensions: tuple[DimensionResult, ...]
    indicators: tuple[IndicatorResult, ...]
    instrument_id: str
    instrument_version: str
    method: str

    @property
    def red(self) -> tuple[IndicatorResult, ...]:
        """Red indicators, lowest value first: the order in which they need attention."""
        reds = [i for i in self.indicators if i.red and i.value is not None]
        return tuple(sorted(reds, key=lambda i: i.value if i.value is not None else 0.0))

    @property
    def no_value(self) -> tuple[IndicatorResult, ...]:
        """Indicators no family of the area is concerned by (shown as "–", never 0 or 100)."""
        return tuple(i for i in self.indicators if i.value is None and not i.suppressed)

    @property
    def suppressed(self) -> tuple[IndicatorResult, ...]:
        """Indicators hidden from this reader: too few families ("data belum cukup")."""
        return tuple(i for i in self.indicators if i.suppressed)

    def dimension(self, code: str) -> DimensionResult:
        for d in self.dimensions:
            if d.code == code:
                return d
        raise KeyError(code)

    def indicator(self, code: str) -> IndicatorResult:
        for i in self.indicators:
            if i.code == code:
                return i
        raise KeyError(code)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `ikk-bot score --json` for one area; numbers are not rounded."""
        return {
            "code": self.code,
            "name": self.name,
            "families": self.families,
            "ikk": self.ikk,
            "category": self.category.name if self.category is not None else None,
            "dimensions": {d.code: d.value for d in self.dimensions},
            "indicators": {i.code: i.value for i in self.indicators},
            "red": [i.code for i in self.red],
        }
