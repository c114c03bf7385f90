"""Scalar value semantics (ODK / XPath 1.0 flavoured): the reference the vectorised path must match.

Every value is one of four kinds: empty (None; "" is normalised to None), boolean, number (int or
float; NaN is a number, distinct from empty) and non-empty string. Conversions:

- string: empty → "", true/false → "true"/"false", whole numbers without ".0" ("3"), other
  numbers in plain decimal (never exponent notation), NaN → "NaN", ±inf → "Infinity"/"-Infinity".
- number: empty → NaN, true/false → 1/0, a string only if it is an XPath number
  (optional minus, digits, optional decimal point; surrounding spaces allowed) → else NaN.
- boolean: empty → false, number → not 0 and not NaN, string → true (non-empty).

All arithmetic is IEEE double arithmetic, so the numpy path gives bit-identical results.
"""

from __future__ import annotations

import math
import numbers
import re
from decimal import Decimal
from typing import Any, cast

import numpy as np
import pandas as pd

from ikk_core.expr_ast import Value

#: What number() accepts, as XPath 1.0 does: no exponent, no '+', ASCII digits only.
NUMBER_PATTERN = re.compile(r"[ \t\n\r]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\n\r]*")
#: round() places are clamped here; beyond it 10**places overflows and the answer is x itself.
MAX_ROUND_PLACES = 300
#: At or above this magnitude every double is a whole number, so rounding must leave it alone.
WHOLE_MAGNITUDE = 2.0**52


def canonical(value: object) -> Value:
    """A caller's value (Python, numpy or pandas scalar) as one of the four kinds.

    None, "", NaN, pd.NA and NaT are all empty, exactly as a missing cell in a frame column.
    """
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str):
        return str(value) if value else None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if math.isnan(number) else number
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, numbers.Real):
        return canonical(float(value))
    try:
        missing = pd.isna(cast(Any, value))
    except (TypeError, ValueError):  # pragma: no cover - exotic objects pandas cannot check
        missing = False
    if isinstance(missing, bool | np.bool_) and missing:
        return None
    text = str(value)
    return text or None


def to_float(value: int | float) -> float:
    """A number as a double; an int too large for a double is infinite, as numpy makes it."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def parse_number(text: str) -> float:
    """XPath number() of a string: NaN unless the whole string is a plain decimal number."""
    if NUMBER_PATTERN.fullmatch(text) is None:
        return math.nan
    return float(text)


def format_number(number: float) -> str:
    """XPath string() of a number: "3" not "3.0", plain decimals, never exponent notation."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer():
        return str(int(number))
    text = repr(number)
    if "e" in text or "E" in text:
        return format(Decimal(text), "f")
    return text


def to_number(value: Value) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        return parse_number(value)
    return to_float(value)


def to_string(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return format_number(to_float(value))


def to_boolean(value: Value) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return True
    number = to_float(value)
    return number != 0 and not math.isnan(number)


def is_number(value: Value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def string_value(text: str) -> Value:
    """A computed string as a value: "" is empty."""
    return text or None


def equals(left: Value, right: Value) -> bool:
    """XPath `=`: booleans if either side is boolean, else numbers if either is a number, else
    strings. So an empty answer never equals a number, and equals only '' among strings."""
    if isinstance(left, bool) or isinstance(right, bool):
        return to_boolean(left) == to_boolean(right)
    if is_number(left) or is_number(right):
        return to_number(left) == to_number(right)
    return to_string(left) == to_string(right)


def compare(operator: str, left: Value, right: Value) -> bool:
    """`< <= > >=` on numbers; anything involving NaN (an empty answer, a word) is false."""
    a = to_number(left)
    b = to_number(right)
    if operator == "<":
        return a < b
    if operator == "<=":
        return a <= b
    if operator == ">":
        return a > b
    return a >= b


def divide(a: float, b: float) -> float:
    """IEEE division, as numpy does it: x/0 is ±inf, 0/0 and NaN/0 are NaN, never an exception."""
    if b != 0 or math.isnan(b):
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def modulo(a: float, b: float) -> float:
    """IEEE fmod (sign of the dividend), as numpy.fmod: by zero, or of infinity, is NaN."""
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or b == 0:
        return math.nan
    if math.isinf(b):
        return a
    return math.fmod(a, b)


def arithmetic(operator: str, a: float, b: float) -> float:
    if operator == "+":
        return a + b
    if operator == "-":
        return a - b
    if operator == "*":
        return a * b
    if operator == "div":
        return divide(a, b)
    return modulo(a, b)


def truncate(number: float) -> float:
    """int(): toward zero; NaN and infinities pass through."""
    if math.isnan(number) or math.isinf(number):
        return number
    return float(math.trunc(number))


def round_places(places: float) -> int | None:
    """round()'s second argument as a whole number of places, or None when it is NaN."""
    if math.isnan(places):
        return None
    clamped = max(-MAX_ROUND_PLACES, min(MAX_ROUND_PLACES, places))
    return int(clamped)


def round_half_away(number: float, places: int) -> float:
    """round(x, n): half away from zero at n decimals (negative n rounds to tens, hundreds...)."""
    factor = 10.0**places
    scaled = abs(number) * factor
    if math.isnan(scaled) or scaled >= WHOLE_MAGNITUDE:
        return number
    return math.copysign(math.floor(scaled + 0.5) / factor, number)


def selected(answer: Value, choice: Value) -> bool:
    """selected(): `choice` is one of the space-separated names in `answer`."""
    wanted = to_string(choice)
    if not wanted or wanted.split() != [wanted]:
        return False
    return wanted in to_string(answer).split()
