"""Small-cell suppression over the area tree, checked against a reader who subtracts."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ikk_core.aggregation import Counts, rollup_counts
from ikk_core.areas import ancestors, parent_code
from ikk_core.disclosure import Suppression, suppress

KEC = "63.02.12"
VILLAGE_CODES = tuple(
    f"{kec}.{2000 + k}"
    for kec in ("63.01.01", "63.01.02", "63.02.11", "63.02.12")
    for k in range(1, 5)
)


def village_counts(applicable: Mapping[str, Sequence[int]]) -> Counts:
    """Counts with the given applicable families per indicator (half of them meet it)."""
    codes = tuple(sorted(applicable))
    denominator = np.asarray([list(applicable[c]) for c in codes], dtype=np.int64)
    return Counts(
        codes,
        denominator.max(axis=1),
        denominator // 2,
        denominator,
    )


def hidden_of(result: Suppression, code: str, indicator: int = 0) -> bool:
    return bool(result.row(code, result.hidden.shape[1])[indicator])


def leaks(result: Suppression, counts: Counts) -> list[str]:
    """What a reader of every published cell works out by adding and subtracting (per
    indicator) that is too small: a cell under min_cell known, or a remainder under min_cell."""
    tree_n = {
        code: result_n for code, result_n in zip(
            result.codes, _rolled_denominators(counts, result.codes), strict=True
        )
    }
    children: dict[str, list[str]] = {}
    for code in result.codes:
        parent = parent_code(code)
        if parent is not None and parent in tree_n:
            children.setdefault(parent, []).append(code)
    problems: list[str] = []
    for j in range(result.hidden.shape[1]):
        known = {c: int(tree_n[c][j]) for c in result.codes if not hidden_of(result, c, j)}
        changed = True
        while changed:
            changed = False
            for parent, kids in children.items():
                unknown = [k for k in kids if k not in known]
                if parent in known and len(unknown) == 1:
                    known[unknown[0]] = known[parent] - sum(known[k] for k in kids if k in known)
                    changed = True
                elif parent not in known and not unknown:
                    known[parent] = sum(known[k] for k in kids)
                    changed = True
        for code, n in known.items():
            if 0 < n < result.min_cell:
                problems.append(f"indicator {j}: {code} reveals {n} families")
        for parent, kids in children.items():
            if parent in known:
                rest = known[parent] - sum(known[k] for k in kids if k in known)
                if 0 < rest < result.min_cell:
                    problems.append(f"indicator {j}: {parent} minus its children leaves {rest}")
    return problems


def _rolled_denominators(counts: Counts, codes: tuple[str, ...]) -> list[list[int]]:
    rolled = rollup_counts(counts)
    row_of = {c: g for g, c in enumerate(rolled.codes)}
    return [rolled.denominator[row_of[c]].tolist() for c in codes]


def test_an_indicator_over_two_families_is_hidden() -> None:
    result = suppress(village_counts({f"{KEC}.2001": [2, 40]}), min_cell=5)
    assert hidden_of(result, f"{KEC}.2001", 0)
    assert not hidden_of(result, f"{KEC}.2001", 1)


def test_a_hidden_village_cannot_be_recovered_from_its_kecamatan() -> None:
    counts = village_counts({f"{KEC}.2001": [2], f"{KEC}.2002": [30], f"{KEC}.2003": [20]})
    result = suppress(counts, min_cell=5)
    assert hidden_of(result, f"{KEC}.2001")
    # The smallest other village is hidden with it, so the kecamatan minus what is shown
    # is a group of 22 families.
    assert hidden_of(result, f"{KEC}.2003")
    assert not hidden_of(result, f"{KEC}.2002")
    assert not hidden_of(result, KEC)
    assert leaks(result, counts) == []


def test_a_kecamatan_made_of_one_small_village_is_hidden_up_to_where_it_is_safe() -> None:
    counts = village_counts({f"{KEC}.2001": [3], "63.02.11.2001": [50], "63.02.11.2002": [40]})
    result = suppress(counts, min_cell=5)
    assert hidden_of(result, f"{KEC}.2001") and hidden_of(result, KEC)
    # The kabupaten minus its other kecamatan would give the small one: one more is hidden.
    assert hidden_of(result, "63.02.11")
    assert leaks(result, counts) == []


def test_an_indicator_nobody_answered_is_not_hidden() -> None:
    result = suppress(village_counts({f"{KEC}.2001": [0, 12]}), min_cell=5)
    assert not result.hidden.any()


def test_min_cell_one_hides_nothing() -> None:
    result = suppress(village_counts({f"{KEC}.2001": [1], f"{KEC}.2002": [2]}), min_cell=1)
    assert not result.hidden.any()


def test_ties_are_broken_by_code_so_every_run_hides_the_same_cells() -> None:
    counts = village_counts({f"{KEC}.2001": [1], f"{KEC}.2003": [9], f"{KEC}.2002": [9]})
    result = suppress(counts, min_cell=5)
    assert hidden_of(result, f"{KEC}.2002") and not hidden_of(result, f"{KEC}.2003")


villages = st.dictionaries(
    st.sampled_from(VILLAGE_CODES),
    st.lists(st.integers(min_value=0, max_value=14), min_size=3, max_size=3),
    min_size=1,
    max_size=len(VILLAGE_CODES),
)


@settings(max_examples=300, deadline=None)
@given(villages, st.integers(min_value=1, max_value=8))
def test_no_sum_or_difference_of_published_cells_reveals_a_small_group(
    applicable: dict[str, list[int]], min_cell: int
) -> None:
    counts = village_counts(applicable)
    result = suppress(counts, min_cell=min_cell)
    rolled = _rolled_denominators(counts, result.codes)
    for g, code in enumerate(result.codes):
        for j, n in enumerate(rolled[g]):
            if 0 < n < min_cell:
                assert result.hidden[g, j], f"{code} indicator {j} over {n} families is shown"
    assert leaks(result, counts) == []


def reduced_input(counts: Counts, village: str) -> Counts:
    """What the report service reads for a village: the village itself and, at each level
    above it, the other children of that level as single summed nodes."""
    rolled = rollup_counts(counts)
    row_of = {c: g for g, c in enumerate(rolled.codes)}
    path = [village, *ancestors(village)]
    codes = [village]
    for below, above in itertools.pairwise(path):
        codes += [c for c in rolled.codes if parent_code(c) == above and c != below]
    rows = [row_of[c] for c in codes]
    return Counts(tuple(codes), rolled.families[rows], rolled.numerator[rows],
                  rolled.denominator[rows])


@settings(max_examples=200, deadline=None)
@given(villages, st.integers(min_value=1, max_value=8), st.data())
def test_a_village_and_the_sums_of_its_ancestors_siblings_give_the_same_decision(
    applicable: dict[str, list[int]], min_cell: int, data: st.DataObject
) -> None:
    counts = village_counts(applicable)
    village = data.draw(st.sampled_from(sorted(applicable)))
    full = suppress(counts, min_cell=min_cell)
    small = suppress(reduced_input(counts, village), min_cell=min_cell)
    for code in (village, *ancestors(village)):
        assert small.row(code, 3).tolist() == full.row(code, 3).tolist(), code
