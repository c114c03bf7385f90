"""Vectorised evaluation over a DataFrame: the same meaning as `evaluate` row by row, any dtype."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ikk_core import expr_values
from ikk_core.expressions import Value, compile_expression

# -- comparing results --------------------------------------------------------------------------


def canon(value: object) -> tuple[object, ...]:
    """A result as (kind, payload), so True and 1, or NaN and NaN, compare as intended."""
    if value is None:
        return ("empty",)
    if isinstance(value, bool | np.bool_):
        return ("bool", bool(value))
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        return ("nan",) if math.isnan(number) else ("num", number)
    if isinstance(value, str):
        assert value != "", "results use None for empty, never ''"
        return ("str", str(value))
    raise AssertionError(f"unexpected result type {type(value)!r}: {value!r}")


def rows_of(frame: pd.DataFrame) -> list[dict[str, Value]]:
    """Each row as the scalar path receives it: the frame's own cell objects (numpy scalars,
    pd.NA, None...), read with .iloc as a caller iterating over the frame would."""
    columns = {str(name): frame[name] for name in frame.columns}
    return [
        {name: column.iloc[row] for name, column in columns.items()} for row in range(len(frame))
    ]


def assert_same_as_row_by_row(
    sources: str | list[str], frame: pd.DataFrame, current: pd.Series | None = None
) -> None:
    """Each source evaluated on the frame equals `evaluate` / `test` on each of its rows."""
    rows = rows_of(frame)
    nows = [None] * len(frame) if current is None else [current.iloc[i] for i in range(len(frame))]
    for source in [sources] if isinstance(sources, str) else sources:
        expression = compile_expression(source)
        vectorised = expression.evaluate_frame(frame, current)
        tested = expression.test_frame(frame, current)
        assert list(vectorised.index) == list(frame.index)
        assert tested.dtype == np.bool_ and tested.shape == (len(frame),)
        results = vectorised.to_numpy()
        for row, (values, now) in enumerate(zip(rows, nows, strict=True)):
            expected = expression.evaluate(values, now)
            assert canon(results[row]) == canon(expected), (source, row, values, now)
            assert bool(tested[row]) is expression.test(values, now), (source, row, values, now)


# -- the kinds of column an answers table can have, with awkward values ---------------------------

NAN = float("nan")
TEXTS = [
    "ya", "tidak", "", "5", " 5 ", "1.5", "-2", ".5", "5.", "1e3", "Infinity", "NaN", "a b", "b",
    "x\tb", "b\u00a0c", "0", "true", "2.50",
]  # fmt: skip
FLOATS = [0.0, -0.0, 1.0, 2.5, -2.5, -1.5, -3.7, NAN, 600000.0, 1e20, 0.1, 1e-7, 2.0**60, math.inf]
INTS = [None, 0, 1, 5, -2, -7, 600000]
BOOLS = [None, True, False]
NUMBERS = [None, NAN, 0, 3, 2.5, -1.25, 7]
MIXED = [None, NAN, pd.NA, True, False, 0, 1, 5, -3, 2.5, 0.1, 1e20, *TEXTS]

#: column name -> (dtype, the values it may hold)
COLUMN_KINDS: dict[str, tuple[Any, Sequence[object]]] = {
    "obj": (object, MIXED),  # mixed kinds: converted row by row
    "txt": (object, [None, *TEXTS]),  # strings and None
    "sdt": ("string", [None, *TEXTS]),  # pandas StringDtype
    "cat": ("category", [None, *TEXTS]),
    "flt": (np.float64, FLOATS),
    "i64": ("Int64", INTS),
    "num": (object, NUMBERS),  # numbers and None in an object column
    "bln": ("boolean", BOOLS),
    "bnp": (np.bool_, [True, False]),
    "bob": (object, BOOLS),  # booleans and None in an object column
}


def series(kind: str, values: Sequence[object]) -> pd.Series:
    dtype = COLUMN_KINDS[kind][0]
    return pd.Series(list(values), dtype=dtype)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    """Small frames with one column of each kind."""
    size = draw(st.integers(min_value=0, max_value=8))
    return pd.DataFrame(
        {
            kind: series(
                kind, draw(st.lists(st.sampled_from(values), min_size=size, max_size=size))
            )
            for kind, (_, values) in COLUMN_KINDS.items()
        }
    )


def cross_frame(left: str, right: str) -> pd.DataFrame:
    """Every value of one column kind beside every value of another, one pair per row."""
    pairs = list(itertools.product(COLUMN_KINDS[left][1], COLUMN_KINDS[right][1]))
    return pd.DataFrame(
        {"a": series(left, [a for a, _ in pairs]), "b": series(right, [b for _, b in pairs])}
    )


REFS = [
    "${obj}", "${txt}", "${sdt}", "${flt}", "${i64}", "${bln}", "${bnp}", "${num}", "${bob}",
    "${cat}", "${tidak_ada}", ".",
]  # fmt: skip
LITERALS = ["0", "1", "2.5", "600000", "'ya'", "''", "'5'", "'b'", "true()", "false()"]
BINARY_OPERATORS = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"]
FUNCTIONS_OF_ONE = [
    "-({})", "not({})", "selected({}, 'b')", "selected({}, 'ya')", "count-selected({})",
    "string-length({})", "regex({}, '^-?[0-9]+$')", "regex({}, 'b')", "number({})", "int({})",
    "string({})", "round({})", "round({}, 1)", "round({} div 3, 2)", "coalesce({}, 'kosong')",
    "if({}, 'ya', 0)", "({} = 'ya')", "({} != '')", "({} > 0)", "({} = 5)", "({} = true())",
    "({} + 1)", "({} div 0)", "({} mod 2)",
]  # fmt: skip


def combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    two = st.tuples(children, children)
    return st.one_of(
        st.builds("({} {} {})".format, children, st.sampled_from(BINARY_OPERATORS), children),
        st.builds(str.format, st.sampled_from(FUNCTIONS_OF_ONE), children),
        two.map(lambda ab: f"selected({ab[0]}, {ab[1]})"),
        st.builds(lambda a, b, c: f"if({a}, {b}, {c})", children, children, children),
        two.map(lambda ab: f"coalesce({ab[0]}, {ab[1]})"),
        two.map(lambda ab: f"round({ab[0]}, {ab[1]})"),
    )  # fmt: skip


# References are listed three times so that random trees mostly read the frame.
EXPRESSIONS = st.recursive(st.sampled_from(REFS * 3 + LITERALS), combine, max_leaves=6)
CURRENT = st.sampled_from([None, "obj", "flt", "sdt"])
PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(COLUMN_KINDS))
def test_every_function_on_every_value_of_a_column_kind_equals_row_by_row(kind: str) -> None:
    frame = pd.DataFrame({"a": series(kind, COLUMN_KINDS[kind][1])})
    assert_same_as_row_by_row([t.format("${a}") for t in FUNCTIONS_OF_ONE], frame)
    assert_same_as_row_by_row([t.format(".") for t in FUNCTIONS_OF_ONE], frame, frame["a"])


@pytest.mark.slow
@pytest.mark.parametrize(("left", "right"), list(itertools.product(COLUMN_KINDS, repeat=2)))
def test_every_operator_on_every_pair_of_values_equals_row_by_row(left: str, right: str) -> None:
    sources = [f"${{a}} {operator} ${{b}}" for operator in BINARY_OPERATORS] + [
        "selected(${a}, ${b})",
        "if(${a}, ${a}, ${b})",
        "coalesce(${a}, ${b})",
        "round(${a}, ${b})",
    ]
    assert_same_as_row_by_row(sources, cross_frame(left, right))


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(frame=frames(), source=EXPRESSIONS, current_column=CURRENT)
def test_random_expressions_on_a_frame_equal_row_by_row_evaluation(
    frame: pd.DataFrame, source: str, current_column: str | None
) -> None:
    current = None if current_column is None else frame[current_column]
    assert_same_as_row_by_row(source, frame, current)


# -- hand-picked cases (also run when hypothesis shrinks nothing) ----------------------------------


def answers_frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "P_ANAK": pd.Series(["ya", "tidak", None, "", "ya", np.nan], dtype=object),
            "P_PENDAPATAN": [2_000_000, 2_000_000, np.nan, 0, 1_500_000, 3_000_000],
            "H_ANGGOTA": pd.array([2, 5, 3, 0, None, 5], dtype="Int64"),
            "MULTI": pd.Series(["a b", "b", "c", None, "ab", " b "], dtype="string"),
            "NAMA": pd.Series(["Budi", "X", "", None, "Siti Aminah", "Ani"], dtype=object),
        }
    )
    frame.index = pd.Index([10, 11, 12, 13, 14, 15])  # not 0..n-1: results must keep it
    return frame


@pytest.mark.parametrize(
    "source",
    [
        "${P_ANAK} = 'ya'",
        "${P_ANAK} != 'ya'",
        "${P_PENDAPATAN} div ${H_ANGGOTA} >= 600000",
        "${P_PENDAPATAN} div ${H_ANGGOTA}",
        "${P_PENDAPATAN} mod ${H_ANGGOTA}",
        "selected(${MULTI}, 'b')",
        "count-selected(${MULTI})",
        "string-length(${NAMA}) >= 2",
        "regex(${NAMA}, '^[A-Z][a-z]+$')",
        "coalesce(${P_ANAK}, 'kosong')",
        "if(${P_ANAK} = 'ya', ${P_PENDAPATAN}, ${NAMA})",
        "string(${P_PENDAPATAN} div 3)",
        "round(${P_PENDAPATAN} div 7, 2)",
        "int(-${P_PENDAPATAN} div 7)",
        "not(${P_ANAK})",
        "${TIDAK_ADA} = ''",
        "${H_ANGGOTA}",
        "${NAMA}",
        "1 + 2",
    ],
)
def test_instrument_style_rules_give_the_same_result_on_a_frame(source: str) -> None:
    assert_same_as_row_by_row(source, answers_frame())


def test_applicability_on_a_frame_is_a_boolean_array_per_family() -> None:
    frame = answers_frame()
    result = compile_expression("${P_ANAK} = 'ya'").test_frame(frame)
    assert result.tolist() == [True, False, False, False, True, False]
    per_capita = compile_expression("${P_PENDAPATAN} div ${H_ANGGOTA} >= 600000")
    assert per_capita.test_frame(frame).tolist() == [True, False, False, False, False, True]


def test_constraint_on_a_frame_checks_the_current_series() -> None:
    frame = pd.DataFrame({"H_ANGGOTA": [1, 30, 31, None, 0]})
    constraint = compile_expression(". >= 1 and . <= 30")
    assert constraint.test_frame(frame, frame["H_ANGGOTA"]).tolist() == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert not constraint.test_frame(frame).any()  # no current: empty everywhere


def test_current_series_is_matched_by_position_not_by_index() -> None:
    frame = pd.DataFrame({"x": [1, 2]}, index=[5, 6])
    current = pd.Series([10, 20], index=[0, 1])
    assert compile_expression(". + ${x}").evaluate_frame(frame, current).tolist() == [11.0, 22.0]


def test_current_series_of_another_length_is_refused() -> None:
    frame = pd.DataFrame({"x": [1, 2]})
    with pytest.raises(ValueError, match="panjang current"):
        compile_expression(". > 1").test_frame(frame, pd.Series([1]))


def test_a_column_missing_from_the_frame_is_empty() -> None:
    frame = pd.DataFrame({"x": [1, 2]})
    assert compile_expression("${y} = ''").test_frame(frame).tolist() == [True, True]
    assert compile_expression("${y}").evaluate_frame(frame).tolist() == [None, None]


def test_a_duplicated_column_name_is_refused() -> None:
    frame = pd.DataFrame([[1, 2]], columns=["x", "x"])
    with pytest.raises(ValueError, match="lebih dari sekali"):
        compile_expression("${x} > 0").test_frame(frame)


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(["ya", None, np.nan, pd.NA, ""], dtype=object),
        pd.Series(["ya", None, None, None, ""], dtype="string"),
        pd.Series(["ya", None, np.nan, None, ""], dtype="category"),
        pd.Series(["ya", None, np.nan, None, ""]),  # pandas' default string dtype
    ],
)
def test_every_missing_marker_in_a_text_column_is_empty(column: pd.Series) -> None:
    frame = pd.DataFrame({"x": column})
    assert compile_expression("${x} = 'ya'").test_frame(frame).tolist() == [True] + [False] * 4
    assert compile_expression("${x} = ''").test_frame(frame).tolist() == [False] + [True] * 4
    assert compile_expression("${x}").evaluate_frame(frame).tolist() == ["ya"] + [None] * 4


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([3.0, np.nan], dtype=np.float64),
        pd.Series([3, None], dtype="Int64"),
        pd.Series([3, None], dtype=object),
        pd.Series([3.0, pd.NA], dtype="Float64"),
        pd.Series([3, None], dtype="UInt8"),
    ],
)
def test_every_missing_marker_in_a_number_column_is_empty(column: pd.Series) -> None:
    frame = pd.DataFrame({"x": column})
    assert compile_expression("${x} = 3").test_frame(frame).tolist() == [True, False]
    assert compile_expression("${x} = ''").test_frame(frame).tolist() == [False, True]
    assert compile_expression("${x} > 0").test_frame(frame).tolist() == [True, False]


def test_boolean_columns_compare_as_booleans() -> None:
    frame = pd.DataFrame(
        {
            "nullable": pd.array([True, False, None], dtype="boolean"),
            "plain": np.array([True, False, False]),
            "objects": pd.Series([True, False, None], dtype=object),
        }
    )
    for name in frame.columns:
        assert compile_expression(f"${{{name}}} = true()").test_frame(frame).tolist() == [
            True,
            False,
            False,
        ]
    as_text = compile_expression("string(${nullable})").evaluate_frame(frame)
    assert as_text.tolist() == ["true", "false", None]  # <NA> is empty, not false


def test_result_dtypes_follow_the_kind_of_the_result() -> None:
    frame = answers_frame()
    assert compile_expression("${P_PENDAPATAN} + 1").evaluate_frame(frame).dtype == np.float64
    assert compile_expression("${P_ANAK} = 'ya'").evaluate_frame(frame).dtype == np.bool_
    text = compile_expression("coalesce(${P_ANAK}, 'kosong')").evaluate_frame(frame)
    assert text.dtype == object
    assert text.tolist() == ["ya", "tidak", "kosong", "kosong", "ya", "kosong"]
    mixed = compile_expression("${NAMA}").evaluate_frame(frame)
    assert mixed.tolist() == ["Budi", "X", None, None, "Siti Aminah", "Ani"]


def test_an_empty_frame_gives_empty_results() -> None:
    frame = answers_frame().iloc[0:0]
    assert compile_expression("${P_ANAK} = 'ya'").test_frame(frame).shape == (0,)
    assert len(compile_expression("string(${NAMA})").evaluate_frame(frame)) == 0


def test_frame_evaluation_leaves_the_frame_unchanged() -> None:
    frame = answers_frame()
    before = frame.copy()
    for source in ["coalesce(${P_ANAK}, 'x')", "number(${MULTI}) + 1", "string(${H_ANGGOTA})"]:
        compile_expression(source).evaluate_frame(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_test_frame_returns_a_new_array_even_for_a_plain_boolean_column() -> None:
    frame = pd.DataFrame({"flag": np.array([True, False])})
    result = compile_expression("${flag}").test_frame(frame)
    result[:] = False
    assert frame["flag"].tolist() == [True, False]


def test_frames_with_huge_integers_in_object_columns_match_row_by_row() -> None:
    frame = pd.DataFrame({"x": pd.Series([10**400, -(10**400), 5, None], dtype=object)})
    assert_same_as_row_by_row("${x} > 0", frame)
    assert_same_as_row_by_row("string(${x})", frame)


def test_unusual_objects_in_a_column_are_read_as_their_text() -> None:
    from decimal import Decimal

    frame = pd.DataFrame(
        {"x": pd.Series([Decimal("1.5"), Decimal("NaN"), pd.Timestamp("2024-01-02")], dtype=object)}
    )
    assert_same_as_row_by_row("${x}", frame)
    assert compile_expression("${x} = 1.5").test_frame(frame).tolist() == [True, False, False]


# -- vectorised, not row by row --------------------------------------------------------------------


def counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Count calls to one scalar helper of expr_values while keeping its behaviour."""
    calls = [0]
    original: Callable[..., object] = getattr(expr_values, name)

    def spy(*args: object) -> object:
        calls[0] += 1
        return original(*args)

    monkeypatch.setattr(expr_values, name, spy)
    return calls


def large_frame(rows: int = 20_000) -> pd.DataFrame:
    pattern = np.arange(rows) % 4
    return pd.DataFrame(
        {
            "A": pd.Series(np.array(["ya", "tidak", None, "5"], dtype=object)[pattern]),
            "M": pd.Series(np.array(["a b", "b", "c", ""], dtype=object)[pattern]),
            "P": (pattern * 400_000).astype(np.float64),
            "N": pd.array(pattern + 1, dtype="Int64"),
        }
    )


def test_text_functions_on_a_frame_run_once_per_distinct_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = large_frame()
    parses = counting(monkeypatch, "parse_number")
    assert compile_expression("number(${A}) = 5").test_frame(frame).sum() == len(frame) // 4
    assert parses[0] <= 4
    assert compile_expression("selected(${M}, 'b')").test_frame(frame).sum() == len(frame) // 2


def test_operators_on_a_frame_never_call_the_scalar_evaluator_per_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = large_frame()
    conversions = [
        counting(monkeypatch, name)
        for name in ("equals", "compare", "arithmetic", "to_boolean", "to_string", "to_number")
    ]
    rule = compile_expression(
        "(${A} = 'ya' or ${P} div ${N} >= 600000) and not(${A} != 'tidak') "
        "or if(${A} = '5', ${P}, 0) + 1 > 2 and coalesce(${A}, ${M}) != ''"
    )
    rule.test_frame(frame)
    assert sum(calls[0] for calls in conversions) <= 20  # constants only, never per row
