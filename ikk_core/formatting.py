"""Numbers as Indonesian reports print them: decimal comma, dot for thousands, "–" for no value.

Results keep full precision; this is the only place that rounds. Rounding is half-up on the
decimal the reader sees (75,905 → "75,91"), as people round by hand, not banker's rounding.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal

LOCALE = "id"
#: Shown for an indicator or index that has no value (nobody applicable): never 0 or 100.
NO_VALUE = "–"


def _rounded(value: float, decimals: int) -> Decimal:
    # repr() is the shortest decimal that round-trips, so 0.125 rounds to 0.13 as people expect.
    step = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP)


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(value: float | None, decimals: int = 2) -> str:
    """An index or percentage: `75.9083` → "75,91"; None/NaN → "–"."""
    if value is None or _missing(value):
        return NO_VALUE
    pattern = "#,##0." + "0" * decimals if decimals > 0 else "#,##0"
    return str(format_decimal(_rounded(value, decimals), format=pattern, locale=LOCALE))


def format_percent(value: float | None, decimals: int = 2) -> str:
    """A percentage with its sign: "75,91 %" (or "–")."""
    if value is None or _missing(value):
        return NO_VALUE
    return f"{format_value(value, decimals)} %"


def format_integer(value: float | None) -> str:
    """A count or amount without decimals: 1234567 → "1.234.567"."""
    if value is None or _missing(value):
        return NO_VALUE
    return format_value(value, 0)


def format_rupiah(value: float | None) -> str:
    """An amount of money: 2500000 → "Rp 2.500.000"."""
    if value is None or _missing(value):
        return NO_VALUE
    return f"Rp {format_integer(value)}"
