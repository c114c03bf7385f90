"""The change of an area's IKK and dimensions between two periods, only where it means something.

An official reads "▲ 2,30 sejak 2024" as "the families got better". That is only true when both
figures stand on enough families and on the same things measured:

- a figure hidden in either period (too few families, `ikk_core.disclosure`) or without a value
  gives no arrow: a hidden previous value must not come back as "now minus change";
- like-for-like: an index is a weighted mean of the indicators that have a value and are shown.
  When the set of such indicators differs between the periods (an indicator hidden in one year,
  or applicable to nobody), or the periods were scored with different instruments, the two
  numbers measure different things: "tidak sebanding" instead of an arrow;
- "tetap" when both values are equal at the precision shown (two decimals), so the arrow never
  contradicts the two numbers printed beside it. The difference is that of the shown values.

Pure: plain values in, plain values out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from ikk_core.results import AreaResult

__all__ = ["IKK", "Change", "Direction", "PeriodChange", "compare_periods"]

IKK = "IKK"
"""The code of the line that compares the IKK itself."""


class Direction(StrEnum):
    UP = "naik"
    DOWN = "turun"
    SAME = "tetap"
    NOT_COMPARABLE = "tidak sebanding"
    """Both values shown, but measured on different indicators or instruments."""
    HIDDEN = "data belum cukup"
    """A value is hidden or absent in one of the periods: nothing to compare."""


@dataclass(frozen=True)
class Change:
    """One line of the comparison: the IKK or one dimension."""

    code: str
    name: str
    now: float | None
    before: float | None
    direction: Direction
    points: float | None
    """Shown value now minus shown value before (None without an arrow)."""

    @property
    def has_arrow(self) -> bool:
        return self.direction in (Direction.UP, Direction.DOWN, Direction.SAME)


@dataclass(frozen=True)
class PeriodChange:
    period: int
    previous: int
    ikk: Change
    dimensions: tuple[Change, ...]

    @property
    def lines(self) -> tuple[Change, ...]:
        return (self.ikk, *self.dimensions)


def _shown(value: float, decimals: int) -> Decimal:
    """The value as printed (half-up, as `ikk_core.formatting` rounds)."""
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)


def _passed(result: AreaResult, dimension: str | None) -> frozenset[str]:
    """Indicators that carry a value into the index (shown and applicable to somebody)."""
    return frozenset(
        i.code for i in result.indicators
        if (dimension is None or i.dimension == dimension)
        and i.value is not None and not i.suppressed
    )


def _line(
    code: str, name: str, now: float | None, before: float | None, like_for_like: bool,
    decimals: int,
) -> Change:
    if now is None or before is None:
        return Change(code, name, now, before, Direction.HIDDEN, None)
    if not like_for_like:
        return Change(code, name, now, before, Direction.NOT_COMPARABLE, None)
    points = _shown(now, decimals) - _shown(before, decimals)
    if points > 0:
        direction = Direction.UP
    elif points < 0:
        direction = Direction.DOWN
    else:
        direction = Direction.SAME
    return Change(code, name, now, before, direction, float(points))


def compare_periods(
    now: AreaResult,
    before: AreaResult,
    *,
    period: int,
    previous: int,
    now_instruments: Iterable[str] = (),
    before_instruments: Iterable[str] = (),
    decimals: int = 2,
) -> PeriodChange:
    """Compare the same area in two periods, as this reader sees it (hidden cells absent).

    `*_instruments` are the ids of the instruments that scored each period's families; given
    and different, nothing is comparable.
    """
    same_basis = frozenset(now_instruments) == frozenset(before_instruments)
    ikk = _line(
        IKK, IKK, now.ikk, before.ikk,
        same_basis and _passed(now, None) == _passed(before, None), decimals,
    )
    earlier = {d.code: d for d in before.dimensions}
    dimensions = []
    for dim in now.dimensions:
        old = earlier.get(dim.code)
        comparable = (
            same_basis and old is not None
            and _passed(now, dim.code) == _passed(before, dim.code)
        )
        dimensions.append(_line(
            dim.code, dim.name.get("id"), dim.value, None if old is None else old.value,
            comparable, decimals,
        ))
    return PeriodChange(period, previous, ikk, tuple(dimensions))
