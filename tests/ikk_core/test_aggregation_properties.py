"""Properties of area aggregation on random score tables (1 / 0 / NA per family, indicator)."""

from __future__ import annotations

import random
from dataclasses import replace

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ikk_core.aggregation import aggregate, aggregate_by, rollup
from ikk_core.instrument import Band, Dimension, Indicator, Instrument, Question, Settings, Text
from ikk_core.plain_aggregation import aggregate_families
from ikk_core.results import AreaResult, FamilyResult

BANDS = (
    Band("kategori_1", Text("Kategori 1"), 0.0),
    Band("kategori_2", Text("Kategori 2"), 50.0),
    Band("kategori_3", Text("Kategori 3"), 75.0),
)
VILLAGES = ("63.02.12.2005", "63.02.12.2006", "63.02.11.2001", "63.03.01.1001")


def weighted_instrument(weights: list[float], dim_weights: list[float], method: str) -> Instrument:
    """Three dimensions over six indicators; weights and method drawn by the test."""
    dims = ("X", "Y", "Z")
    return Instrument(
        id="acak",
        version="1",
        title=Text("Acak"),
        settings=Settings(aggregation=method, ikk_bands=BANDS),  # type: ignore[arg-type]
        dimensions=tuple(
            Dimension(d, Text(d), w) for d, w in zip(dims, dim_weights, strict=True)
        ),
        questions=(Question("Q", "text", Text("Q")),),
        choices={},
        indicators=tuple(
            Indicator(f"I{k}", dims[k % 3], Text(f"I{k}"), "true()", weight=w)
            for k, w in enumerate(weights)
        ),
    )


Rows = list[tuple[list[int | None], str]]

score = st.sampled_from([1, 0, None])
families = st.lists(
    st.tuples(st.lists(score, min_size=6, max_size=6), st.sampled_from(VILLAGES)),
    min_size=0,
    max_size=40,
)
instruments = st.builds(
    weighted_instrument,
    st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=6, max_size=6),
    st.lists(st.sampled_from([1.0, 2.0, 5.0]), min_size=3, max_size=3),
    st.sampled_from(["dimension_mean", "flat_mean"]),
)


def table(rows: Rows) -> tuple[pd.DataFrame, pd.Series]:
    frame = pd.DataFrame(
        [r for r, _ in rows], columns=[f"I{k}" for k in range(6)], dtype="Int8"
    ).reset_index(drop=True)
    return frame, pd.Series([v for _, v in rows], dtype=object)


def numbers(result: AreaResult) -> tuple[object, ...]:
    """Everything that must not depend on how the families were grouped or ordered."""
    return (
        result.families,
        result.ikk,
        result.category,
        tuple((d.code, d.value) for d in result.dimensions),
        tuple((i.code, i.numerator, i.denominator, i.value, i.red) for i in result.indicators),
    )


def family_result(row: list[int | None]) -> FamilyResult:
    scores = {f"I{k}": s for k, s in enumerate(row)}
    applicable = sum(s is not None for s in row)
    met = sum(s == 1 for s in row)
    family_score = 100 * met / applicable if applicable else None
    return FamilyResult(scores, applicable, met, family_score, None)


@settings(max_examples=150, deadline=None)
@given(instruments, families)
def test_every_value_lies_between_0_and_100(instrument: Instrument, rows: Rows) -> None:
    scores, villages = table(rows)
    for result in rollup(instrument, scores, villages, {}).values():
        values = [result.ikk, *(d.value for d in result.dimensions),
                  *(i.value for i in result.indicators)]
        assert all(0.0 <= v <= 100.0 for v in values if v is not None)


@settings(max_examples=150, deadline=None)
@given(instruments, families, st.integers(min_value=1, max_value=5))
def test_families_to_whom_nothing_applies_change_nothing_but_the_count(
    instrument: Instrument, rows: Rows, extra: int
) -> None:
    scores, _ = table(rows)
    padded, _ = table(rows + [([None] * 6, VILLAGES[0])] * extra)
    before = aggregate(instrument, scores, "a", "a", "desa")
    after = aggregate(instrument, padded, "a", "a", "desa")
    assert after.families == before.families + extra
    assert numbers(replace(after, families=before.families)) == numbers(before)


@settings(max_examples=150, deadline=None)
@given(instruments, families, st.randoms(use_true_random=False))
def test_order_of_families_does_not_matter(
    instrument: Instrument, rows: Rows, rnd: random.Random
) -> None:
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    a = rollup(instrument, *table(rows), {})
    b = rollup(instrument, *table(shuffled), {})
    assert a.keys() == b.keys()
    for code in a:
        assert numbers(a[code]) == numbers(b[code])


@settings(max_examples=150, deadline=None)
@given(instruments, families)
def test_kecamatan_from_its_villages_equals_its_families_scored_as_one_set(
    instrument: Instrument, rows: Rows
) -> None:
    scores, villages = table(rows)
    results = rollup(instrument, scores, villages, {})
    for kecamatan in ("63.02.12", "63.02", "63"):
        inside = villages.str.startswith(kecamatan + ".").to_numpy()
        if not inside.any():
            assert kecamatan not in results
            continue
        as_one_set = aggregate(instrument, scores[inside], kecamatan, kecamatan, "x")
        assert numbers(results[kecamatan]) == numbers(as_one_set)


@settings(max_examples=150, deadline=None)
@given(instruments, families)
def test_vectorised_aggregation_equals_the_plain_python_reference(
    instrument: Instrument, rows: Rows
) -> None:
    scores, villages = table(rows)
    by_village = aggregate_by(instrument, scores, villages, {})
    for village in set(villages):
        plain = aggregate_families(
            instrument, [family_result(r) for r, v in rows if v == village], village, "", ""
        )
        # Same operations in the same order: equal to the last bit, not just approximately.
        assert numbers(by_village[village]) == numbers(plain)
