"""Meaning of expressions for one family: operators, functions and ODK empty-value semantics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ikk_core.expressions import Value, compile_expression


def value_of(source: str, values: dict[str, Value] | None = None, current: Value = None) -> Value:
    return compile_expression(source).evaluate(values or {}, current)


def holds(source: str, values: dict[str, Value] | None = None, current: Value = None) -> bool:
    return compile_expression(source).test(values or {}, current)


# -- the examples the instrument uses ---------------------------------------------------------


def test_applicability_rule_holds_only_for_the_matching_choice() -> None:
    rule = compile_expression("${P_ANAK} = 'ya'")
    assert rule.test({"P_ANAK": "ya"}) is True
    assert rule.test({"P_ANAK": "tidak"}) is False
    assert rule.test({"P_ANAK": None}) is False
    assert rule.test({}) is False


def test_per_capita_income_rule_compares_a_division_with_the_poverty_line() -> None:
    rule = compile_expression("${P_PENDAPATAN} div ${H_ANGGOTA} >= ${GARIS_KEMISKINAN}")
    line = 600_000
    assert rule.test({"P_PENDAPATAN": 2_000_000, "H_ANGGOTA": 2, "GARIS_KEMISKINAN": line})
    assert not rule.test({"P_PENDAPATAN": 2_000_000, "H_ANGGOTA": 5, "GARIS_KEMISKINAN": line})
    assert rule.test({"P_PENDAPATAN": 3_000_000, "H_ANGGOTA": 5, "GARIS_KEMISKINAN": line})
    assert not rule.test({"P_PENDAPATAN": None, "H_ANGGOTA": 5, "GARIS_KEMISKINAN": line})


def test_range_constraint_checks_the_current_answer() -> None:
    constraint = compile_expression(". >= 1 and . <= 30")
    assert constraint.uses_current
    assert constraint.test({}, current=1)
    assert constraint.test({}, current="30")
    assert not constraint.test({}, current=31)
    assert not constraint.test({}, current=0)
    assert not constraint.test({}, current=None)
    assert not constraint.test({}, current="banyak")


def test_text_length_constraint_counts_characters_of_the_current_answer() -> None:
    constraint = compile_expression("string-length(.) >= 2 and string-length(.) <= 80")
    assert constraint.test({}, current="Budi")
    assert not constraint.test({}, current="B")
    assert not constraint.test({}, current="")
    assert not constraint.test({}, current="x" * 81)


def test_current_answer_is_empty_when_not_given() -> None:
    assert value_of(".") is None
    assert value_of(".", current="") is None
    assert value_of(".", current="ya") == "ya"


# -- operators and precedence -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2", 3.0),
        ("5 - 7", -2.0),
        ("3 * 4", 12.0),
        ("7 div 2", 3.5),
        ("7 mod 3", 1.0),
        ("-7 mod 3", -1.0),
        ("7 mod -3", 1.0),
        ("5.5 mod 2", 1.5),
        ("-3", -3.0),
        ("- -3", 3.0),
        ("1.25 * 4", 5.0),
        (".5 + .5", 1.0),
    ],
)
def test_arithmetic_operators_compute_doubles(source: str, expected: float) -> None:
    assert value_of(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),
        ("100 div 10 div 5", 2.0),
        ("2 * 3 mod 4", 2.0),
        ("-2 * 3", -6.0),
        ("- (2 + 3) * 2", -10.0),
        ("1 + 2 = 3", True),
        ("1 < 2 = 2 < 3", True),
        ("1 = 1 or 1 = 2 and 1 = 3", True),
        ("(1 = 1 or 1 = 2) and 1 = 3", False),
        ("1 + 1 > 1 and 2 * 2 = 4", True),
        ("3 > 2 > 1", False),  # (3 > 2) > 1 is true > 1, i.e. 1 > 1
    ],
)
def test_operators_follow_xpath_precedence_and_left_associativity(
    source: str, expected: Value
) -> None:
    assert value_of(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 < 2", True),
        ("2 < 2", False),
        ("2 <= 2", True),
        ("3 > 2", True),
        ("2 > 2", False),
        ("2 >= 2", True),
        ("'10' > '9'", True),  # compared as numbers, not as text
        ("'abc' < 1", False),
        ("'abc' >= 'abc'", False),  # words are NaN as numbers
        ("true() > false()", True),
        ("1 = 1", True),
        ("1 != 1", False),
        ("'a' = 'a'", True),
        ("'a' != 'b'", True),
    ],
)
def test_comparisons_compare_numbers_and_strings(source: str, expected: bool) -> None:
    assert value_of(source) is expected


def test_long_flat_sums_are_evaluated_without_deep_recursion() -> None:
    source = "+".join(f"${{X{i}}}" for i in range(450))
    assert len(source) < 4000
    values: dict[str, Value] = {f"X{i}": 1 for i in range(450)}
    assert value_of(source, values) == 450.0


# -- division by zero and other IEEE cases -------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 div 0", math.inf),
        ("-1 div 0", -math.inf),
        ("1 div (0 * -1)", -math.inf),
        ("${x} div 0", math.nan),
        ("0 div 0", math.nan),
        ("5 mod 0", math.nan),
        ("(1 div 0) mod 2", math.nan),
        ("5 mod (1 div 0)", 5.0),
        ("(1 div 0) - (1 div 0)", math.nan),
    ],
)
def test_division_and_modulo_by_zero_follow_ieee_without_raising(
    source: str, expected: float
) -> None:
    result = value_of(source)
    assert isinstance(result, float)
    if math.isnan(expected):
        assert math.isnan(result)
    else:
        assert result == expected


def test_nan_propagates_through_arithmetic_and_makes_comparisons_false() -> None:
    assert math.isnan(value_of("${x} + 1"))  # type: ignore[arg-type]
    assert value_of("${x} + 1 > 0") is False
    assert value_of("${x} + 1 <= 0") is False
    assert value_of("0 div 0 = 0 div 0") is False
    assert value_of("0 div 0 != 0 div 0") is True


# -- empty values (ODK semantics) ---------------------------------------------------------------


@pytest.mark.parametrize("empty", [None, "", math.nan, pd.NA, np.float64("nan"), pd.NaT])
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${x} = 'ya'", False),
        ("${x} != 'ya'", True),
        ("${x} = ''", True),
        ("${x} != ''", False),
        ("${x} = 0", False),
        ("${x} != 0", True),
        ("${x} > 0", False),
        ("${x} < 0", False),
        ("${x} >= 0", False),
        ("${x} <= 1000000", False),
        ("${x} = true()", False),
        ("${x} = false()", True),
        ("not(${x})", True),
        ("${x} and true()", False),
        ("${x} or true()", True),
        ("string-length(${x})", 0),
        ("count-selected(${x})", 0),
        ("selected(${x}, 'ya')", False),
        ("string(${x})", None),
        ("coalesce(${x}, 'kosong')", "kosong"),
        ("if(${x}, 'isi', 'kosong')", "kosong"),
        ("regex(${x}, '^$')", True),
        ("${x}", None),
    ],
)
def test_an_empty_answer_behaves_as_in_odk(source: str, expected: Value, empty: object) -> None:
    result = compile_expression(source).evaluate({"x": empty})  # type: ignore[dict-item]
    assert result == expected
    assert type(result) is type(expected) or isinstance(expected, int)


def test_a_name_missing_from_the_answers_is_empty() -> None:
    rule = compile_expression("${ADA} = 'ya' or ${TIDAK_ADA} = ''")
    assert rule.test({"ADA": "tidak"}) is True
    assert value_of("${TIDAK_ADA}") is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("number(${x})", math.nan),
        ("${x} + 0", math.nan),
        ("int(${x})", math.nan),
        ("round(${x}, 1)", math.nan),
        ("-${x}", math.nan),
    ],
)
def test_an_empty_answer_is_nan_as_a_number(source: str, expected: float) -> None:
    result = value_of(source, {"x": None})
    assert isinstance(result, float) and math.isnan(result)


def test_empty_string_literal_is_the_empty_value() -> None:
    assert value_of("''") is None
    assert value_of('""') is None
    assert value_of("'' = ${x}", {"x": None}) is True


# -- type mixes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "source", "expected"),
    [
        ({"x": "5"}, "${x} = 5", True),
        ({"x": 5}, "${x} = '5'", True),
        ({"x": 5.0}, "${x} = '5'", True),
        ({"x": "5"}, "${x} = '5.0'", False),  # two strings compare as strings
        ({"x": "5"}, "${x} = 5.0", True),
        ({"x": " 5 "}, "${x} = 5", True),
        ({"x": "5"}, "${x} + 1 = 6", True),
        ({"x": "lima"}, "${x} = 5", False),
        ({"x": "lima"}, "${x} != 5", True),
        ({"x": "1,5"}, "${x} > 1", False),  # a decimal comma is not a number
        ({"x": "1e3"}, "${x} > 1", False),  # nor is exponent notation
        ({"x": "-2.5"}, "${x} < -2", True),
        ({"x": True}, "${x} = 'true'", True),  # boolean wins: 'true' is a non-empty string
        ({"x": True}, "${x} = 'false'", True),  # ...and so is 'false'
        ({"x": False}, "${x} = ''", True),
        ({"x": True}, "${x} = 1", True),
        ({"x": True}, "${x} + 1 = 2", True),
        ({"x": 0}, "${x} = false()", True),
        ({"x": "0"}, "${x} = false()", False),  # the string "0" is non-empty, so true
        ({"x": 3}, "string(${x}) = '3'", True),
        ({"x": 3.0}, "string(${x}) = '3'", True),
        ({"x": 2.5}, "string(${x}) = '2.5'", True),
        ({"x": np.int64(7)}, "${x} * 2 = 14", True),
        ({"x": np.float64(7.5)}, "${x} * 2 = 15", True),
        ({"x": np.bool_(True)}, "${x} = true()", True),
        ({"x": np.str_("ya")}, "${x} = 'ya'", True),
    ],
)
def test_mixed_types_compare_by_xpath_rules(
    values: dict[str, object], source: str, expected: bool
) -> None:
    assert compile_expression(source).evaluate(values) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("string(3)", "3"),
        ("string(3.0)", "3"),
        ("string(-0.0)", "0"),
        ("string(1 div 4)", "0.25"),
        ("string(1 div 3)", "0.3333333333333333"),
        ("string(0.0000001)", "0.0000001"),
        ("string(1000000000000000000000)", "1000000000000000000000"),
        ("string(1 div 0)", "Infinity"),
        ("string(-1 div 0)", "-Infinity"),
        ("string(0 div 0)", "NaN"),
        ("string(true())", "true"),
        ("string(false())", "false"),
        ("string('teks')", "teks"),
    ],
)
def test_string_of_a_number_keeps_whole_numbers_int_looking(source: str, expected: str) -> None:
    assert value_of(source) == expected


# -- functions ----------------------------------------------------------------------------------


def test_true_and_false_are_booleans() -> None:
    assert value_of("true()") is True
    assert value_of("false()") is False


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("not(true())", False),
        ("not(false())", True),
        ("not(0)", True),
        ("not(2)", False),
        ("not(0 div 0)", True),
        ("not('tidak')", False),  # a non-empty string is true, whatever it says
        ("not('')", True),
    ],
)
def test_not_negates_the_boolean_value(source: str, expected: bool) -> None:
    assert value_of(source) is expected


@pytest.mark.parametrize(
    ("answer", "choice", "expected"),
    [
        ("a b c", "b", True),
        ("a b c", "a", True),
        ("a b c", "c", True),
        ("a b c", "d", False),
        ("ab c", "a", False),
        ("ya", "ya", True),
        ("ya", "y", False),
        ("  a\tb  ", "b", True),
        ("a b", "a b", False),  # a choice name never contains a space
        ("a b", "", False),
        (None, "a", False),
        (5, "5", True),
        (5.0, "5", True),
    ],
)
def test_selected_finds_a_name_in_a_space_separated_list(
    answer: Value, choice: str, expected: bool
) -> None:
    assert holds("selected(${x}, ${v})", {"x": answer, "v": choice}) is expected
    literal = f"selected(${{x}}, '{choice}')"
    assert holds(literal, {"x": answer}) is expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("a b c", 3), ("a", 1), ("", 0), (None, 0), ("  a   b ", 2), ("a\tb\nc", 3)],
)
def test_count_selected_counts_the_names(answer: Value, expected: int) -> None:
    assert value_of("count-selected(${x})", {"x": answer}) == expected


def test_if_chooses_by_the_boolean_value_of_its_condition() -> None:
    assert value_of("if(1 = 1, 'ya', 'tidak')") == "ya"
    assert value_of("if(1 = 2, 'ya', 'tidak')") == "tidak"
    assert value_of("if(${x}, 10, 20)", {"x": "isi"}) == 10
    assert value_of("if(${x}, 10, 20)", {"x": 0}) == 20
    assert value_of("if(${x} > 2, ${x}, '')", {"x": 1}) is None


def test_coalesce_gives_the_first_non_empty_value() -> None:
    assert value_of("coalesce(${a}, ${b})", {"a": "x", "b": "y"}) == "x"
    assert value_of("coalesce(${a}, ${b})", {"a": "", "b": "y"}) == "y"
    assert value_of("coalesce(${a}, ${b})", {"a": None, "b": None}) is None
    assert value_of("coalesce(${a}, 0)", {"a": 0}) == 0
    assert value_of("coalesce(${a}, 0)", {"a": False}) is False
    assert math.isnan(value_of("coalesce(0 div 0, 1)"))  # type: ignore[arg-type]


def test_string_length_counts_characters_of_the_string_value() -> None:
    assert value_of("string-length('Banjarmasin')") == 11
    assert value_of("string-length(12.5)") == 4
    assert value_of("string-length(true())") == 4
    assert value_of("string-length('Ñoño')") == 4


@pytest.mark.parametrize(
    ("text", "pattern", "expected"),
    [
        ("6302011234567890", "^[0-9]{16}$", True),
        ("630201123456789", "^[0-9]{16}$", False),
        ("08123456789", "^(\\+62|0)8[0-9]{8,11}$", True),
        ("+628123456789", "^(\\+62|0)8[0-9]{8,11}$", True),
        ("Budi", "[a-z]", True),  # search, not full match
        ("BUDI", "[a-z]", False),
        ("", "^$", True),
        ("apa saja", "", True),
    ],
)
def test_regex_searches_the_string_value(text: str, pattern: str, expected: bool) -> None:
    assert holds(f"regex(., '{pattern}')", current=text) is expected


def test_regex_of_a_number_searches_its_string_form() -> None:
    assert holds("regex(., '^3$')", current=3.0)
    assert holds("regex(., '^2\\.5$')", current=2.5)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("number('12')", 12.0),
        ("number(' 1.5 ')", 1.5),
        ("number('-.5')", -0.5),
        ("number('5.')", 5.0),
        ("number(true())", 1.0),
        ("number(false())", 0.0),
        ("number(7)", 7.0),
    ],
)
def test_number_converts_xpath_numbers(source: str, expected: float) -> None:
    assert value_of(source) == expected


@pytest.mark.parametrize(
    "text", ["abc", "1e3", "1,5", "+5", "١٢", "0x10", "1_000", "inf", "nan", "", " ", "1.2.3"]
)
def test_number_of_anything_else_is_nan(text: str) -> None:
    result = value_of("number(${x})", {"x": text})
    assert isinstance(result, float) and math.isnan(result)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("int(2.7)", 2.0),
        ("int(-2.7)", -2.0),
        ("int('15.9')", 15.0),
        ("int(1 div 0)", math.inf),
    ],
)
def test_int_truncates_toward_zero(source: str, expected: float) -> None:
    assert value_of(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("round(2.5)", 3.0),
        ("round(-2.5)", -3.0),
        ("round(2.4)", 2.0),
        ("round(1.2345, 2)", 1.23),
        ("round(1.235, 1)", 1.2),
        ("round(75.905, 1)", 75.9),
        ("round(1234.5, -2)", 1200.0),
        ("round(1250, -2)", 1300.0),
        ("round(3, 2)", 3.0),
        ("round(2.5, 0.9)", 3.0),  # places are truncated to whole numbers
        ("round(9007199254740993, 2)", 9007199254740992.0),  # already whole: unchanged
        ("round(1 div 0, 2)", math.inf),
    ],
)
def test_round_rounds_half_away_from_zero(source: str, expected: float) -> None:
    assert value_of(source) == expected


def test_round_with_empty_places_is_nan() -> None:
    assert math.isnan(value_of("round(2.5, ${n})", {"n": None}))  # type: ignore[arg-type]


def test_string_of_an_empty_computation_is_empty() -> None:
    assert value_of("string('')") is None
    assert value_of("string(${x})", {"x": None}) is None


def test_functions_nest() -> None:
    rule = "if(selected(${x}, 'b'), string-length(coalesce(${y}, 'abc')), -1)"
    assert value_of(rule, {"x": "a b", "y": None}) == 3
    assert value_of(rule, {"x": "a", "y": None}) == -1.0


def test_values_mapping_is_not_modified() -> None:
    values: dict[str, Value] = {"x": "", "y": 3}
    compile_expression("coalesce(${x}, ${y}) + 1").evaluate(values)
    assert values == {"x": "", "y": 3}
