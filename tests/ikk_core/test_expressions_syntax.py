"""Compiling expressions: what they report about themselves, and clean errors for bad input."""

from __future__ import annotations

import pickle
import time

import pytest

from ikk_core import expr_tokens
from ikk_core.expr_parser import parse
from ikk_core.expressions import (
    MAX_DEPTH,
    MAX_SOURCE_LENGTH,
    Expression,
    ExpressionError,
    compile_expression,
)


def error_for(source: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source)
    return caught.value


# -- what a compiled expression reports -------------------------------------------------------


def test_refs_lists_every_referenced_name_once() -> None:
    expression = compile_expression("${a} = 1 and (${b.c-d} > ${a} or selected(${_e}, 'x'))")
    assert expression.refs == frozenset({"a", "b.c-d", "_e"})


def test_ref_positions_give_each_occurrence_in_source_order() -> None:
    source = "${a} = 1 and ${b} > ${a}"
    expression = compile_expression(source)
    assert expression.ref_positions == (("a", 0), ("b", 13), ("a", 20))
    for name, position in expression.ref_positions:
        assert source[position : position + len(name) + 3] == "${" + name + "}"


def test_uses_current_is_true_only_when_a_dot_appears() -> None:
    assert compile_expression(". > 1").uses_current
    assert compile_expression("string-length(.) > 1").uses_current
    assert not compile_expression("${x} > 1.5").uses_current
    assert not compile_expression("'.' = ${x}").uses_current


def test_expression_keeps_its_source_and_is_immutable() -> None:
    expression = compile_expression("${x} = 'ya'")
    assert expression.source == "${x} = 'ya'"
    with pytest.raises(AttributeError):
        expression.source = "1"  # type: ignore[misc]


def test_compiling_the_same_source_twice_reuses_the_compiled_expression() -> None:
    source = "${CACHE_TEST} + 1 > 2"
    before = compile_expression.cache_info().hits
    first = compile_expression(source)
    second = compile_expression(source)
    assert first is second
    assert compile_expression.cache_info().hits == before + 1
    assert isinstance(first, Expression)


def test_whitespace_is_allowed_anywhere_between_tokens() -> None:
    spaced = compile_expression(" \t${x}\n=\r\n'ya'  and\u00a0not ( ${y} )  ")
    assert spaced.test({"x": "ya", "y": ""})
    tight = compile_expression("${x}='ya'and not(${y})")
    assert tight.test({"x": "ya", "y": ""})


def test_hyphen_after_a_keyword_is_a_minus_sign() -> None:
    assert compile_expression("10 div-2").evaluate({}) == -5.0
    assert compile_expression("7 mod-2").evaluate({}) == 1.0


def test_function_names_with_hyphens_are_recognised() -> None:
    assert compile_expression("string-length('abc')").evaluate({}) == 3
    assert compile_expression("count-selected('a b')").evaluate({}) == 2


def test_string_literals_may_use_either_quote_and_contain_the_other() -> None:
    assert compile_expression('"it\'s"').evaluate({}) == "it's"
    assert compile_expression("'say \"ya\"'").evaluate({}) == 'say "ya"'


def test_nesting_up_to_the_limit_is_accepted() -> None:
    depth = MAX_DEPTH - 1
    assert compile_expression("(" * depth + "1" + ")" * depth).evaluate({}) == 1
    assert compile_expression("not(" * depth + "1" + ")" * depth).evaluate({}) is (depth % 2 == 0)


# -- error messages and positions ---------------------------------------------------------------


def test_error_string_shows_the_message_and_the_one_based_position() -> None:
    error = error_for("${x} = 'ya")
    assert error.message == "teks tidak ditutup: tanda kutip ' pembuka tidak punya pasangan"
    assert error.position == 7
    assert error.source == "${x} = 'ya"
    assert str(error) == f"{error.message} (posisi 8)"


def test_error_is_a_value_error_and_survives_pickling() -> None:
    error = error_for("1 +")
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.position, copy.source) == (error.message, 2, "1 +")
    assert str(copy) == str(error)


@pytest.mark.parametrize(
    ("source", "message", "position"),
    [
        ("", "ekspresi kosong", 0),
        ("   ", "ekspresi kosong", 0),
        ("__import__('os')", "fungsi tidak dikenal: __import__", 0),
        ("1 + eval('1')", "fungsi tidak dikenal: eval", 4),
        ("${a}.__class__", "'.' tidak diharapkan di sini (mungkin kurang operator sebelumnya)", 4),
        (
            "${a} __class__",
            "'__class__' tidak diharapkan di sini (mungkin kurang operator sebelumnya)",
            5,
        ),
        ("(1", "tanda kurung tutup ')' tidak ada", 0),
        ("not(1 + (2", "tanda kurung tutup ')' tidak ada", 8),
        ("not(1", "tanda kurung tutup ')' tidak ada", 3),
        ("1)", "tanda kurung tutup ')' tidak punya pasangan '('", 1),
        (")", "tanda kurung tutup ')' tidak punya pasangan '('", 0),
        ("1 +", "ekspresi tidak lengkap: setelah '+' harus ada nilai", 2),
        ("${x} =", "ekspresi tidak lengkap: setelah '=' harus ada nilai", 5),
        ("1 and", "ekspresi tidak lengkap: setelah 'and' harus ada nilai", 2),
        ("-", "ekspresi tidak lengkap: setelah '-' harus ada nilai", 0),
        ("()", "ekspresi tidak lengkap: setelah '(' harus ada nilai", 0),
        ("(1 + )", "ekspresi tidak lengkap: setelah '+' harus ada nilai", 3),
        ("if(1, 2, )", "ekspresi tidak lengkap: setelah ',' harus ada nilai", 7),
        ("'abc", "teks tidak ditutup: tanda kutip ' pembuka tidak punya pasangan", 0),
        ('1 = "abc', 'teks tidak ditutup: tanda kutip " pembuka tidak punya pasangan', 4),
        ("${}", "nama pertanyaan kosong di dalam ${}", 0),
        ("${a", "kurung kurawal tutup '}' tidak ada", 0),
        ("1 + ${", "kurung kurawal tutup '}' tidak ada", 4),
        ("${a b}", "karakter spasi tidak boleh ada di nama pertanyaan", 3),
        ("${1a}", "nama pertanyaan tidak boleh diawali '1'", 2),
        ("$a", "tanda '$' harus diikuti '{', contoh: ${nama}", 0),
        ("1\x00", "karakter tidak dikenal: U+0000", 1),
        ("\x00${a}", "karakter tidak dikenal: U+0000", 0),
        ("1 # 2", "karakter tidak dikenal: '#'", 2),
        ("1 / 2", "karakter tidak dikenal: '/'; gunakan 'div' untuk pembagian", 2),
        ("5 % 2", "karakter tidak dikenal: '%'; gunakan 'mod' untuk sisa bagi", 2),
        ("${a} == 1", "gunakan satu tanda '=' untuk membandingkan, bukan '=='", 5),
        ("!${a}", "gunakan '!=' untuk 'tidak sama dengan', atau not(...)", 0),
        (
            "${a} = ‘ya’",
            "tanda kutip ‘ tidak dikenal; gunakan tanda kutip biasa ' atau \"",
            7,
        ),
        ("${a} AND ${b}", "'AND' tidak dikenal; tulis dengan huruf kecil: and", 5),
        ("TRUE()", "fungsi tidak dikenal: TRUE (maksud Anda true()?)", 0),
        ("true", "fungsi true harus ditulis dengan tanda kurung: true()", 0),
        ("ya", "nama tidak dikenal: ya (untuk merujuk pertanyaan tulis ${ya})", 0),
        ("and 1", "kata 'and' tidak diharapkan di sini: sebelumnya harus ada nilai", 0),
        ("* 2", "'*' tidak diharapkan di sini: sebelumnya harus ada nilai", 0),
        ("1 2", "'2' tidak diharapkan di sini (mungkin kurang operator sebelumnya)", 2),
        (
            "1,5 > 1",
            "tanda ',' tidak diharapkan di sini (desimal ditulis dengan titik, mis. 1.5)",
            1,
        ),
        ("..", "'..' tidak didukung; gunakan ${nama}", 0),
        ("1.2.3", "'.3' tidak diharapkan di sini (mungkin kurang operator sebelumnya)", 3),
        ("not()", "fungsi not() memerlukan 1 argumen, tetapi diberi 0", 0),
        ("not(1, 2)", "fungsi not() memerlukan 1 argumen, tetapi diberi 2", 0),
        ("1 + if(1, 2)", "fungsi if() memerlukan 3 argumen, tetapi diberi 2", 4),
        ("true(1)", "fungsi true() memerlukan 0 argumen, tetapi diberi 1", 0),
        ("round(1, 2, 3)", "fungsi round() memerlukan 1 sampai 2 argumen, tetapi diberi 3", 0),
        ("foo-bar(1)", "fungsi tidak dikenal: foo-bar", 0),
        ("upper-case('a')", "fungsi tidak dikenal: upper-case", 0),
    ],
)
def test_bad_expressions_are_rejected_with_a_message_and_position(
    source: str, message: str, position: int
) -> None:
    error = error_for(source)
    assert (error.message, error.position) == (message, position)


def test_too_long_source_is_rejected_before_tokenising() -> None:
    huge = "'" + "x" * 1_000_000  # also unterminated: the length check must come first
    started = time.perf_counter()
    error = error_for(huge)
    assert time.perf_counter() - started < 0.5
    assert (
        error.message
        == f"ekspresi terlalu panjang: 1000001 karakter (maksimal {MAX_SOURCE_LENGTH})"
    )
    assert error.position == MAX_SOURCE_LENGTH


def test_source_exactly_at_the_length_limit_is_accepted() -> None:
    source = "1" + " " * (MAX_SOURCE_LENGTH - 1)
    assert compile_expression(source).evaluate({}) == 1


def test_ten_thousand_nested_brackets_give_a_clean_error() -> None:
    error = error_for("(" * 10_000 + "1" + ")" * 10_000)
    assert error.message.startswith("ekspresi terlalu panjang")


@pytest.mark.parametrize("opening", ["(", "not(", "-", "1 + (", "if(1, 2, "])
def test_depth_limit_alone_stops_ten_thousand_levels_without_recursion_errors(
    monkeypatch: pytest.MonkeyPatch, opening: str
) -> None:
    # Lift the length limit so that only the depth check stands between the input and a
    # RecursionError: it must still fail cleanly, at the first level beyond the limit.
    monkeypatch.setattr(expr_tokens, "MAX_SOURCE_LENGTH", 10**7)
    closing = ")" * opening.count("(")
    source = opening * 10_000 + "1" + closing * 10_000
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert caught.value.message == f"ekspresi terlalu bersarang (maksimal {MAX_DEPTH} tingkat)"
    assert caught.value.position is not None
    assert caught.value.position < len(opening) * (MAX_DEPTH + 1)


@pytest.mark.parametrize(
    ("source", "position"),
    [
        ("(" * 1500 + "1" + ")" * 1500, MAX_DEPTH),
        ("not(" * 600 + "1" + ")" * 600, 4 * MAX_DEPTH),
        ("-" * 3000 + "1", MAX_DEPTH),
        ("1 + (" * 500 + "1" + ")" * 500, 5 * (MAX_DEPTH // 2)),
    ],
)
def test_deep_nesting_is_rejected_while_parsing_without_recursion_errors(
    source: str, position: int
) -> None:
    error = error_for(source)
    assert error.message == f"ekspresi terlalu bersarang (maksimal {MAX_DEPTH} tingkat)"
    assert error.position == position


def test_a_non_string_source_is_rejected() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(42)
    assert caught.value.message == "ekspresi harus berupa teks"
    assert caught.value.position is None
    assert str(caught.value) == "ekspresi harus berupa teks"


# -- regex() patterns are checked at compile time -------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message", "position"),
    [
        (
            "regex(., ${pola})",
            "pola regex() harus ditulis sebagai teks dalam tanda kutip, mis. '^[0-9]+$'",
            9,
        ),
        (
            "regex(., 5)",
            "pola regex() harus ditulis sebagai teks dalam tanda kutip, mis. '^[0-9]+$'",
            9,
        ),
        ("regex(., '[0-9')", "pola regex tidak valid: unterminated character set", 10),
        ("regex(., 'ab(c')", "pola regex tidak valid: missing ), unterminated subpattern", 12),
        ("regex(., '*a')", "pola regex tidak valid: nothing to repeat", 10),
    ],
)
def test_invalid_regex_patterns_are_compile_errors(
    source: str, message: str, position: int
) -> None:
    error = error_for(source)
    assert (error.message, error.position) == (message, position)


def test_overlong_regex_pattern_is_rejected() -> None:
    error = error_for("regex(., '" + "a" * 201 + "')")
    assert error.message == "pola regex terlalu panjang: 201 karakter (maksimal 200)"
    assert error.position == 10 + 200


@pytest.mark.parametrize(
    ("pattern", "offset"),
    [
        ("(a+)+$", 4),
        ("^([A-Za-z]+ ?)+$", 14),
        ("(a|aa)*b", 6),
        ("(a*)*", 4),
        ("((ab)+c){2,}", 8),
        ("(?:x+y?)+", 8),
        ("(a?){30}a{30}", 4),
        ("((a|b)c)+", 8),
    ],
)
def test_regex_patterns_that_can_backtrack_exponentially_are_refused(
    pattern: str, offset: int
) -> None:
    error = error_for(f"regex(., '{pattern}')")
    assert error.message.startswith("pola regex bisa sangat lambat")
    assert error.position == 10 + offset


@pytest.mark.parametrize(
    "pattern",
    [
        "^[0-9]{16}$",
        "^(\\+62|0)8[0-9]{8,11}$",
        "^[A-Za-z .']+$",
        "(\\d{3}-)?\\d{4}",
        "^(ya|tidak)$",
        "[(+*)]+",
        "a{2}b{1,}c*?",
        "(?i)^budi",
        "(?P<kode>[0-9]{2})\\.(?P=kode)",
        "(?#komentar)x",
        "(a)\\1+",
    ],
)
def test_ordinary_regex_patterns_are_accepted(pattern: str) -> None:
    assert compile_expression(f'regex(., "{pattern}")').refs == frozenset()
