"""Change between two periods: arrows only where both periods are shown and like-for-like."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from ikk_core.aggregation import count_by, results_from_counts
from ikk_core.instrument import Instrument
from ikk_core.instrument_io import load_default_instrument
from ikk_core.period_change import IKK, Direction, compare_periods
from ikk_core.results import AreaResult

VILLAGE = "63.02.12.2005"
_A = "LS1 LS3 KF1 KF3 KE1 KE2 KE3 KE6 KE7 KSP1 KSP3 KSP4 KSP5 KSP6 KSB2 KSB3 KSB4 KSB5"
FAMILY_A = dict.fromkeys(_A.split(), 1)
FAMILY_B = {**FAMILY_A, "KE2": 0, "LS2": 0, "KE5": 0, "KE8": 0, "KSP2": 0, "KF2": 1, "KF4": 1,
            "KE4": 1, "KSB6": 1}


@cache
def instrument() -> Instrument:
    return load_default_instrument()


def result(families: list[dict[str, int]], hide: tuple[str, ...] = ()) -> AreaResult:
    ins = instrument()
    codes = [i.code for i in ins.indicators]
    table = pd.DataFrame([[f.get(c) for c in codes] for f in families], columns=codes,
                         dtype="Int8")
    counts = count_by(ins, table, [VILLAGE] * len(families))
    hidden = np.zeros(counts.numerator.shape, dtype=bool)
    for code in hide:
        hidden[:, codes.index(code)] = True
    return results_from_counts(ins, counts, {VILLAGE: "Sampanahan"}, {VILLAGE: "desa"},
                               hidden)[VILLAGE]


def test_a_better_period_gets_an_up_arrow_with_the_points_of_the_shown_values() -> None:
    before = result([FAMILY_A, FAMILY_B, FAMILY_B])
    now = result([FAMILY_A, FAMILY_A, FAMILY_B])
    change = compare_periods(now, before, period=2025, previous=2024)
    assert change.ikk.code == IKK and change.ikk.direction is Direction.UP
    assert now.ikk is not None and before.ikk is not None
    assert change.ikk.points == round(round(now.ikk, 2) - round(before.ikk, 2), 2)
    ke = next(d for d in change.dimensions if d.code == "KE")
    assert ke.direction is Direction.UP and ke.points is not None and ke.points > 0
    ksb = next(d for d in change.dimensions if d.code == "KSB")
    assert ksb.direction is Direction.SAME and ksb.points == 0.0


def test_a_worse_period_gets_a_down_arrow() -> None:
    change = compare_periods(result([FAMILY_B, FAMILY_B]), result([FAMILY_A, FAMILY_B]),
                             period=2025, previous=2024)
    assert change.ikk.direction is Direction.DOWN
    assert change.ikk.points is not None and change.ikk.points < 0


def test_equal_values_at_the_shown_precision_are_tetap() -> None:
    same = result([FAMILY_A, FAMILY_B])
    change = compare_periods(same, same, period=2025, previous=2024)
    assert {line.direction for line in change.lines} == {Direction.SAME}


def test_a_suppressed_previous_period_gives_no_arrow() -> None:
    now = result([FAMILY_A, FAMILY_B])
    hidden_before = result([FAMILY_A], hide=tuple(i.code for i in instrument().indicators))
    assert hidden_before.ikk is None
    change = compare_periods(now, hidden_before, period=2025, previous=2024)
    assert all(line.direction is Direction.HIDDEN for line in change.lines)
    assert all(line.points is None and not line.has_arrow for line in change.lines)


def test_an_indicator_shown_in_one_period_only_makes_its_dimension_not_comparable() -> None:
    now = result([FAMILY_A, FAMILY_B])
    before = result([FAMILY_A, FAMILY_B], hide=("KE2",))
    change = compare_periods(now, before, period=2025, previous=2024)
    by_code = {line.code: line for line in change.lines}
    assert by_code["KE"].direction is Direction.NOT_COMPARABLE and by_code["KE"].points is None
    assert by_code[IKK].direction is Direction.NOT_COMPARABLE
    assert by_code["LS"].direction is Direction.SAME


def test_an_indicator_applicable_in_one_period_only_is_not_like_for_like() -> None:
    before = result([FAMILY_A, FAMILY_A])  # nobody with children: KF2, KF4 have no value
    now = result([FAMILY_A, FAMILY_B])
    by_code = {line.code: line for line in compare_periods(now, before, period=2025,
                                                              previous=2024).lines}
    assert by_code["KF"].direction is Direction.NOT_COMPARABLE


def test_periods_scored_by_different_instruments_are_not_comparable() -> None:
    same = result([FAMILY_A, FAMILY_B])
    change = compare_periods(same, same, period=2025, previous=2024,
                             now_instruments=["ikk-kalsel"], before_instruments=["ikk-lama"])
    assert {line.direction for line in change.lines} == {Direction.NOT_COMPARABLE}
