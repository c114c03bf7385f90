"""Numbers shown the Indonesian way; rounding only at display."""

from __future__ import annotations

import math

import pytest

from ikk_core.formatting import (
    NO_VALUE,
    format_integer,
    format_percent,
    format_rupiah,
    format_value,
)


def test_index_is_shown_with_a_decimal_comma_and_two_decimals() -> None:
    assert format_value(75.91) == "75,91"
    assert format_value(87.5) == "87,50"
    assert format_value(100.0) == "100,00"
    assert format_value(0.0) == "0,00"


def test_full_precision_values_are_rounded_only_for_display() -> None:
    assert format_value(2100 / 26) == "80,77"  # 80.769230...
    assert format_value(1700 / 21) == "80,95"  # 80.952380...
    assert format_value(200 / 3) == "66,67"


def test_rounding_is_half_up_as_people_round_by_hand() -> None:
    assert format_value(0.125) == "0,13"
    assert format_value(75.905) == "75,91"
    assert format_value(2.5, decimals=0) == "3"


def test_thousands_are_grouped_with_dots() -> None:
    assert format_integer(1234567) == "1.234.567"
    assert format_value(2333.3333) == "2.333,33"


def test_rupiah_amounts_carry_the_currency_and_a_space() -> None:
    assert format_rupiah(2_500_000) == "Rp 2.500.000"
    assert format_rupiah(600000.0) == "Rp 600.000"


def test_percent_adds_the_sign_after_a_space() -> None:
    assert format_percent(75.9083) == "75,91 %"


@pytest.mark.parametrize("missing", [None, math.nan])
def test_no_value_is_a_dash_never_zero(missing: float | None) -> None:
    assert format_value(missing) == NO_VALUE == "–"
    assert format_percent(missing) == "–"
    assert format_integer(missing) == "–"
    assert format_rupiah(missing) == "–"


def test_negative_values_keep_their_sign() -> None:
    assert format_value(-3.5) == "-3,50"
