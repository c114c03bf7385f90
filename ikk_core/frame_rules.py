"""Evaluating one rule over a table of families, fast when the answers are categorical.

A yes/no column of 400,000 families holds three distinct values (ya, tidak, empty). When every
column a rule reads is categorical, the rule is evaluated once per distinct combination of values
that occurs (a handful of rows) and the outcome is spread back to the families by their category
codes. Rules are row-wise (no function looks at other rows), so the result is identical to
evaluating every row; it is only cheaper. Other columns (numbers, plain text) are evaluated
directly with `Expression.test_frame`, which is vectorised as well.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from ikk_core.expressions import Expression

BoolArray = npt.NDArray[np.bool_]

#: Above this many possible combinations, evaluating directly is simpler and just as fast.
MAX_COMBINATIONS = 1 << 16


def as_categories(series: pd.Series) -> pd.Series:
    """A text or object column as a categorical of its distinct values (others unchanged).

    One hashing pass per column, after which every rule reading it costs almost nothing. A
    column that is mostly distinct (names) gains nothing and is left as it is.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)
    ):
        return series
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if len(uniques) > max(64, len(series) // 4):
        return series
    categories = pd.Index(np.asarray(uniques, dtype=object), dtype=object)
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=series.index)


def _is_categorical(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.CategoricalDtype)


def rule_mask(
    expression: Expression,
    columns: Mapping[str, pd.Series],
    index: pd.Index,
    current: pd.Series | None = None,
) -> BoolArray:
    """`expression` as a condition on every row, given columns by name (absent = empty).

    Only the columns the expression refers to are put in the frame it sees, so evaluating a rule
    never copies the whole answers table. `current` is what `.` stands for (constraints).
    """
    used = {ref: columns[ref] for ref in sorted(expression.refs) if ref in columns}
    coded = dict(used)
    if current is not None:
        coded["."] = current
    if coded and all(_is_categorical(s) for s in coded.values()):
        by_category = _test_by_category(expression, coded, len(index))
        if by_category is not None:
            return by_category
    frame = pd.DataFrame(used, index=index, copy=False)
    return np.asarray(expression.test_frame(frame, current=current), dtype=np.bool_)


def _test_by_category(
    expression: Expression, columns: Mapping[str, pd.Series], size: int
) -> BoolArray | None:
    """The result through the distinct combinations of category codes (None: too many)."""
    combined = np.zeros(size, dtype=np.int64)
    widths: list[int] = []
    total = 1
    for series in columns.values():
        width = len(series.cat.categories) + 1  # code 0 stands for an empty answer
        total *= width
        if total > MAX_COMBINATIONS:
            return None
        combined = combined * width + (series.cat.codes.to_numpy().astype(np.int64) + 1)
        widths.append(width)
    present = np.flatnonzero(np.bincount(combined, minlength=total))
    small: dict[str, pd.Series] = {}
    remainder = present.copy()
    for (name, series), width in reversed(list(zip(columns.items(), widths, strict=True))):
        code = remainder % width
        remainder //= width
        values = np.empty(width, dtype=object)
        values[0] = None
        values[1:] = series.cat.categories.to_numpy(dtype=object)
        small[name] = pd.Series(values[code], dtype=object)
    current = small.pop(".", None)
    frame = pd.DataFrame(small, index=pd.RangeIndex(len(present)), copy=False)
    outcome = np.zeros(total, dtype=np.bool_)
    outcome[present] = expression.test_frame(frame, current=current)
    return outcome[combined]
