"""Properties of scoring random families through the default instrument.

Families are drawn with arbitrary answers, including answers to questions that do not apply
(stale answers the scorer must ignore, as ODK does) and unanswered questions. The vectorised
path (`score_frame` + `aggregation`) must agree with the plain per-family reference
(`score_family` + `plain_aggregation`) on every one of them.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ikk_core.aggregation import aggregate, aggregate_by, rollup
from ikk_core.answers_table import typed_column
from ikk_core.expressions import Value
from ikk_core.instrument import Instrument
from ikk_core.instrument_io import load_default_instrument
from ikk_core.plain_aggregation import aggregate_families
from ikk_core.results import AreaResult
from ikk_core.scoring import family_scores, score_family, score_frame
from ikk_core.values import relevant_questions

VILLAGES = ("63.02.12.2005", "63.02.12.2008", "63.02.11.2001", "63.03.01.1001")
KECAMATAN = "63.02.12"

_DEFAULT = load_default_instrument()
# A poverty line of its own for kabupaten 63.02, so that the per-area lookup is exercised.
INSTRUMENT = replace(
    _DEFAULT, settings=replace(_DEFAULT.settings, poverty_lines={"63.02": 750_000.0})
)

Family = dict[str, Value]


def _answer(question_type: str, name: str) -> st.SearchStrategy[Value]:
    if question_type == "select_one":
        return st.sampled_from(["ya", "tidak", None])
    if name == "P_PENDAPATAN":
        return st.one_of(st.none(), st.integers(0, 5_000_000), st.just(2_250_000))
    if question_type == "integer":
        return st.one_of(st.none(), st.integers(1, 8))
    return st.sampled_from(["Keluarga Uji", None])


family_strategy = st.fixed_dictionaries(
    {q.name: _answer(q.type, q.name) for q in INSTRUMENT.questions if q.answerable}
)
households = st.lists(
    st.tuples(family_strategy, st.sampled_from(VILLAGES)), min_size=1, max_size=25
)


def frame_of(
    instrument: Instrument, families: list[Family], categorical: bool
) -> pd.DataFrame:
    """Families as the vectorised path reads them; choices categorical or plain objects."""
    index = pd.RangeIndex(len(families))
    columns = {}
    for q in instrument.questions:
        if not q.answerable:
            continue
        column = typed_column(q, [f.get(q.name) for f in families], index)
        if not categorical and isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        columns[q.name] = column
    return pd.DataFrame(columns, index=index)


def codes_of(rows: list[tuple[Family, str]]) -> pd.Series:
    return pd.Series([v for _, v in rows], dtype=object)


def exact(result: AreaResult) -> tuple[object, ...]:
    return (
        result.families,
        result.ikk,
        result.category,
        tuple((d.code, d.value) for d in result.dimensions),
        tuple((i.code, i.numerator, i.denominator, i.value, i.red) for i in result.indicators),
    )


SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(households, st.booleans())
def test_vectorised_scores_equal_score_family_for_every_family(
    rows: list[tuple[Family, str]], categorical: bool
) -> None:
    families = [f for f, _ in rows]
    scores = score_frame(INSTRUMENT, frame_of(INSTRUMENT, families, categorical), codes_of(rows))
    per_family = family_scores(INSTRUMENT, scores)
    as_objects = scores.astype(object).where(scores.notna(), None).to_dict("records")
    for k, (family, village) in enumerate(rows):
        expected = score_family(INSTRUMENT, family, village)
        assert as_objects[k] == dict(expected.scores)
        assert per_family["applicable"].iloc[k] == expected.applicable
        assert per_family["met"].iloc[k] == expected.met
        score = float(per_family["score"].iloc[k])
        if expected.score is None:
            assert math.isnan(score)
        else:
            assert score == pytest.approx(expected.score)


@SETTINGS
@given(households, st.booleans())
def test_pandas_path_equals_the_plain_per_family_reference(
    rows: list[tuple[Family, str]], categorical: bool
) -> None:
    families = [f for f, _ in rows]
    codes = codes_of(rows)
    scores = score_frame(INSTRUMENT, frame_of(INSTRUMENT, families, categorical), codes)
    by_village = aggregate_by(INSTRUMENT, scores, codes, {})
    for village in set(codes):
        reference = aggregate_families(
            INSTRUMENT,
            [score_family(INSTRUMENT, f, v) for f, v in rows if v == village],
            village,
            village,
            "desa",
        )
        # Same operations in the same order: equal to the last bit, not just approximately.
        assert exact(by_village[village]) == exact(reference)


@SETTINGS
@given(households)
def test_indicator_values_lie_between_0_and_100(rows: list[tuple[Family, str]]) -> None:
    codes = codes_of(rows)
    scores = score_frame(INSTRUMENT, frame_of(INSTRUMENT, [f for f, _ in rows], True), codes)
    for result in rollup(INSTRUMENT, scores, codes, {}).values():
        values = [result.ikk, *(d.value for d in result.dimensions),
                  *(i.value for i in result.indicators)]
        assert all(0.0 <= v <= 100.0 for v in values if v is not None)


@SETTINGS
@given(households, st.sampled_from([i.code for i in INSTRUMENT.indicators]))
def test_families_an_indicator_does_not_apply_to_never_count_for_it(
    rows: list[tuple[Family, str]], code: str
) -> None:
    families = [f for f, _ in rows]
    scores = score_frame(INSTRUMENT, frame_of(INSTRUMENT, families, True), codes_of(rows))
    applies = scores[code].notna().to_numpy()
    everyone = aggregate(INSTRUMENT, scores, "x", "x", "desa").indicator(code)
    only_applicable = aggregate(INSTRUMENT, scores[applies], "x", "x", "desa").indicator(code)
    assert everyone.denominator == int(applies.sum())
    assert (everyone.numerator, everyone.denominator, everyone.value) == (
        only_applicable.numerator, only_applicable.denominator, only_applicable.value,
    )


@SETTINGS
@given(family_strategy, st.data())
def test_answers_to_questions_that_do_not_apply_change_nothing(
    family: Family, data: st.DataObject
) -> None:
    asked = {q.name for q in relevant_questions(INSTRUMENT, family)}
    stale = {
        q.name: data.draw(_answer(q.type, q.name), label=q.name)
        for q in INSTRUMENT.questions
        if q.answerable and q.name not in asked
    }
    before = score_family(INSTRUMENT, family, VILLAGES[0])
    after = score_family(INSTRUMENT, {**family, **stale}, VILLAGES[0])
    assert after == before


@SETTINGS
@given(households, st.randoms(use_true_random=False))
def test_order_of_families_does_not_matter(
    rows: list[tuple[Family, str]], rnd: random.Random
) -> None:
    shuffled = list(rows)
    rnd.shuffle(shuffled)

    def results(rs: list[tuple[Family, str]]) -> dict[str, AreaResult]:
        codes = codes_of(rs)
        scores = score_frame(INSTRUMENT, frame_of(INSTRUMENT, [f for f, _ in rs], True), codes)
        return rollup(INSTRUMENT, scores, codes, {})

    a, b = results(rows), results(shuffled)
    assert a.keys() == b.keys()
    for code in a:
        assert exact(a[code]) == exact(b[code])


@SETTINGS
@given(households)
def test_kecamatan_from_its_villages_equals_its_families_scored_as_one_set(
    rows: list[tuple[Family, str]],
) -> None:
    codes = codes_of(rows)
    scores = score_frame(INSTRUMENT, frame_of(INSTRUMENT, [f for f, _ in rows], True), codes)
    rolled = rollup(INSTRUMENT, scores, codes, {})
    inside = [(f, v) for f, v in rows if v.startswith(KECAMATAN + ".")]
    if not inside:
        assert KECAMATAN not in rolled
        return
    inside_codes = codes_of(inside)
    one_set = score_frame(
        INSTRUMENT, frame_of(INSTRUMENT, [f for f, _ in inside], True), inside_codes
    )
    as_one_set = aggregate(INSTRUMENT, one_set, KECAMATAN, KECAMATAN, "kecamatan")
    assert exact(rolled[KECAMATAN]) == exact(as_one_set)
