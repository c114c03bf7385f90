"""Safe evaluator for the XLSForm expressions operators write in the instrument spreadsheet.

Skip logic (`relevant`), answer checks (`constraint`) and indicator rules (`applies-if`,
`meets-if`) are data, so they are parsed by a hand-written tokenizer and Pratt parser into an
immutable tree (never `eval`), compiled once per distinct source, and evaluated either for one
family (`evaluate`, `test`) or vectorised over a table of families (`evaluate_frame`,
`test_frame`) with the same meaning.

Language (an XLSForm / ODK XPath subset)
    `${name}` (an answer; missing names are empty), `.` (the answer being checked), '…' or "…"
    strings (no escapes), numbers (`12`, `1.5`), `true()`, `false()`; operators from loosest to
    tightest: `or`; `and`; `=` `!=`; `<` `<=` `>` `>=`; `+` `-`; `*` `div` `mod`; unary `-`;
    brackets. Keywords are lowercase. Functions: not, selected, if, coalesce, string-length,
    regex, number, int, string, count-selected, round (round(x) or round(x, places)).

Semantics (ODK / XPath 1.0)
    - Empty is None or "" (also NaN, pd.NA, NaT in input); results use None, never "".
      Empty reads as "" as a string, NaN as a number, false as a boolean.
    - number(): "12" → 12, " 1.5 " → 1.5, ".5" → 0.5; anything else ("1e3", "1,5", "abc") → NaN;
      true → 1, false → 0.
    - string(): whole numbers without ".0" ("3"), others in plain decimal, NaN → "NaN",
      ±infinity → "Infinity" / "-Infinity", booleans → "true" / "false".
    - boolean(): booleans as they are, numbers true unless 0 or NaN, strings true unless empty.
    - `=` / `!=`: booleans if either side is a boolean, else numbers if either side is a number,
      else strings. NaN = anything is false and NaN != anything is true. So with `${x}` empty,
      `${x} = 'ya'` is false, `${x} != 'ya'` is true, `${x} = ''` is true, `${x} = 0` is false.
      A string "5" equals the number 5; the strings "5" and "5.0" differ.
    - `< <= > >=` compare numbers; anything involving NaN (an empty answer, a word) is false.
    - Arithmetic is IEEE double: NaN propagates; `div` by zero gives ±Infinity (0 div 0 is NaN);
      `mod` takes the sign of the dividend and is NaN by zero. No error is ever raised.
    - selected(a, v): v is one of the space-separated names of a (so also a select_one answer
      equal to v); false when v is empty or contains a space. count-selected(a): number of names.
    - if(c, a, b) by boolean(c); coalesce(a, b): a unless a is empty (NaN is not empty).
    - regex(s, 'pattern'): Python re.search on string(s). The pattern must be a literal; it is
      compiled at compile time, at most 200 characters, and a repeated group that itself
      repeats or offers '|' is refused because it can take exponential time.
    - int(x) truncates toward zero; round(x, n) rounds half away from zero at n decimals.

Limits: at most 4,000 characters (checked before tokenising) and 64 levels of nesting (checked
while parsing); every problem is an ExpressionError with an Indonesian message and a position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from ikk_core import expr_columns, expr_frame, expr_scalar, expr_values
from ikk_core.expr_ast import Node, Value
from ikk_core.expr_errors import MAX_DEPTH, MAX_PATTERN_LENGTH, MAX_SOURCE_LENGTH, ExpressionError
from ikk_core.expr_parser import parse

__all__ = [
    "MAX_DEPTH",
    "MAX_PATTERN_LENGTH",
    "MAX_SOURCE_LENGTH",
    "Expression",
    "ExpressionError",
    "Value",
    "compile_expression",
]


@dataclass(frozen=True, slots=True)
class Expression:
    """A compiled expression: what it refers to, and how to evaluate it."""

    source: str
    refs: frozenset[str]
    ref_positions: tuple[tuple[str, int], ...]
    uses_current: bool
    _root: Node = field(repr=False, compare=False)

    def evaluate(self, values: Mapping[str, Value], current: Value = None) -> Value:
        """The value for one set of answers; `current` is what `.` stands for."""
        return expr_scalar.evaluate(self._root, values, expr_values.canonical(current))

    def test(self, values: Mapping[str, Value], current: Value = None) -> bool:
        """The result as a condition (XPath boolean())."""
        return expr_values.to_boolean(self.evaluate(values, current))

    def evaluate_frame(self, frame: pd.DataFrame, current: pd.Series | None = None) -> pd.Series:
        """The value on every row of `frame` (one family per row), equal to `evaluate` row by row.

        `current`, if given, is matched to the rows by position. One-kind results have a natural
        dtype (float64 numbers, bool, object strings); mixed results are object, None for empty.
        """
        context = expr_frame.FrameContext(frame, current)
        return expr_columns.to_series(expr_frame.evaluate(self._root, context), frame.index)

    def test_frame(
        self, frame: pd.DataFrame, current: pd.Series | None = None
    ) -> npt.NDArray[np.bool_]:
        """The result as a condition on every row, as a new bool array."""
        context = expr_frame.FrameContext(frame, current)
        return expr_columns.to_boolean(expr_frame.evaluate(self._root, context))


@lru_cache(maxsize=2048)
def compile_expression(source: str) -> Expression:
    """Parse and check `source` once; raises ExpressionError with a position on any problem."""
    if not isinstance(source, str):
        raise ExpressionError("ekspresi harus berupa teks", None, repr(source))
    parsed = parse(source)
    return Expression(
        source=source,
        refs=frozenset(name for name, _ in parsed.ref_positions),
        ref_positions=parsed.ref_positions,
        uses_current=parsed.uses_current,
        _root=parsed.root,
    )
