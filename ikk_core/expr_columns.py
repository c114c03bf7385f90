"""A column of expression values as a tagged union of numpy arrays, and its conversions.

Each row has a kind (empty, boolean, number, string) and the payload arrays hold each kind's
values, with neutral filler elsewhere: `num` is NaN, `text` is "" and `flag` is False outside
rows of their kind. The filler makes most conversions a single vectorised expression, and the
`present` flags let the common one-kind column skip every other branch.

Arrays are never modified in place once a Column holds them (they may be views of the caller's
frame); every conversion builds new arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from ikk_core import expr_values as v
from ikk_core.expr_ast import Value

EMPTY, BOOL, NUM, STR = 0, 1, 2, 3

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]
KindArray = npt.NDArray[np.int8]

T = TypeVar("T")
S = TypeVar("S", bound=np.generic)

#: Largest magnitude for which a whole double converts to int64 exactly (2**63 itself does not).
_INT64_LIMIT = 2.0**63


@dataclass(frozen=True, slots=True)
class Column:
    """Values of one expression over n rows (see module docstring for the invariants)."""

    kind: KindArray
    num: FloatArray | None
    text: ObjectArray | None
    flag: BoolArray | None
    present: tuple[bool, bool, bool, bool]  # indexed by EMPTY, BOOL, NUM, STR

    @property
    def size(self) -> int:
        return len(self.kind)

    def only(self, *kinds: int) -> bool:
        """Whether every row is of one of `kinds`."""
        return not any(self.present[k] for k in (EMPTY, BOOL, NUM, STR) if k not in kinds)

    def nums(self) -> FloatArray:
        return self.num if self.num is not None else np.full(self.size, np.nan)

    def texts(self) -> ObjectArray:
        return self.text if self.text is not None else _blank_texts(self.size)

    def flags(self) -> BoolArray:
        return self.flag if self.flag is not None else np.zeros(self.size, dtype=np.bool_)

    def take(self, mask: BoolArray) -> Column:
        """The rows where `mask` is true."""
        return make(
            self.kind[mask],
            None if self.num is None else self.num[mask],
            None if self.text is None else self.text[mask],
            None if self.flag is None else self.flag[mask],
        )


def _blank_texts(size: int) -> ObjectArray:
    out = np.empty(size, dtype=object)
    out[:] = ""
    return out


def make(
    kind: KindArray,
    num: FloatArray | None = None,
    text: ObjectArray | None = None,
    flag: BoolArray | None = None,
) -> Column:
    counts = np.bincount(kind, minlength=4)
    present = (bool(counts[EMPTY]), bool(counts[BOOL]), bool(counts[NUM]), bool(counts[STR]))
    return Column(kind, num, text, flag, present)


def _uniform(kind: int, size: int) -> tuple[KindArray, tuple[bool, bool, bool, bool]]:
    """Kinds of a one-kind column, and its `present` flags, without counting."""
    present = [False, False, False, False]
    present[kind] = size > 0
    return np.full(size, kind, dtype=np.int8), (present[0], present[1], present[2], present[3])


def _two_kinds(
    second: BoolArray, first_kind: int, second_kind: int
) -> tuple[KindArray, tuple[bool, bool, bool, bool]]:
    """Kinds of a column whose rows are `second_kind` where `second` is true, else `first_kind`."""
    kind: KindArray = np.where(second, second_kind, first_kind).astype(np.int8)
    present = [False, False, False, False]
    present[second_kind] = bool(second.any())
    present[first_kind] = present[first_kind] or not bool(second.all())
    return kind, (present[0], present[1], present[2], present[3])


def numbers(num: FloatArray) -> Column:
    """A column of numbers (NaN is a number here, not empty)."""
    kind, present = _uniform(NUM, len(num))
    return Column(kind, num, None, None, present)


def booleans(flag: BoolArray) -> Column:
    kind, present = _uniform(BOOL, len(flag))
    return Column(kind, None, None, flag, present)


def strings(text: ObjectArray) -> Column:
    """A column of strings, "" being empty."""
    kind, present = _two_kinds(np.asarray(text == "", dtype=np.bool_), STR, EMPTY)
    return Column(kind, None, text, None, present)


def empties(size: int) -> Column:
    kind, present = _uniform(EMPTY, size)
    return Column(kind, None, None, None, present)


def _with_missing(
    missing: BoolArray,
    kind: int,
    *,
    num: FloatArray | None = None,
    flag: BoolArray | None = None,
) -> Column:
    """A one-kind column read from a frame, empty where `missing`."""
    kinds, present = _two_kinds(missing, kind, EMPTY)
    return Column(kinds, num, None, flag, present)


def broadcast(value: Value, size: int) -> Column:
    """A constant repeated on every row."""
    if value is None:
        return empties(size)
    if isinstance(value, bool):
        return booleans(np.full(size, value, dtype=np.bool_))
    if isinstance(value, str):
        text = np.empty(size, dtype=object)
        text[:] = value
        kind, present = _uniform(STR, size)
        return Column(kind, None, text, None, present)
    return numbers(np.full(size, v.to_float(value), dtype=np.float64))


def from_values(values: list[Value]) -> Column:
    """A column from canonical values, one Python step per row: for unusual object columns."""
    size = len(values)
    kind = np.empty(size, dtype=np.int8)
    num = np.full(size, np.nan)
    text = _blank_texts(size)
    flag = np.zeros(size, dtype=np.bool_)
    for i, value in enumerate(values):
        if value is None:
            kind[i] = EMPTY
        elif isinstance(value, bool):
            kind[i] = BOOL
            flag[i] = value
        elif isinstance(value, str):
            kind[i] = STR
            text[i] = value
        else:
            kind[i] = NUM
            num[i] = v.to_float(value)
    return make(kind, num, text, flag)


def from_series(series: pd.Series) -> Column:
    """A frame column as values: NaN, None, pd.NA, NaT and "" are all empty."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return from_series(series.astype(object))
    if pd.api.types.is_bool_dtype(dtype):
        missing = series.isna().to_numpy(dtype=np.bool_)
        flag = series.to_numpy(dtype=np.bool_, na_value=False)
        return _with_missing(missing, BOOL, flag=flag)
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        num = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return _with_missing(np.isnan(num), NUM, num=num)
    if isinstance(dtype, pd.StringDtype):
        text = series.to_numpy(dtype=object, na_value="")
        return strings(text)
    return from_objects(series.to_numpy(dtype=object))


def from_objects(objects: ObjectArray) -> Column:
    """An object column: vectorised when pandas infers one kind, row by row otherwise."""
    missing: BoolArray = np.asarray(pd.isna(objects), dtype=np.bool_)
    inferred = pd.api.types.infer_dtype(objects, skipna=True)
    if inferred == "empty":
        return empties(len(objects))
    if inferred == "string":
        text = objects.copy()
        text[missing] = ""
        return strings(text)
    if inferred in ("integer", "floating", "mixed-integer-float"):
        filled = objects.copy()
        filled[missing] = np.nan
        try:
            num = filled.astype(np.float64)
        except (OverflowError, TypeError, ValueError):
            return from_values([v.canonical(item) for item in objects])
        return _with_missing(missing, NUM, num=num)
    if inferred == "boolean":
        filled = objects.copy()
        filled[missing] = False
        flag = filled.astype(np.bool_)
        return _with_missing(missing, BOOL, flag=flag)
    return from_values([v.canonical(item) for item in objects])


# -- conversions ---------------------------------------------------------------------------


def to_number(column: Column) -> FloatArray:
    """number() of every row."""
    if not column.present[BOOL] and not column.present[STR]:
        return column.nums()
    out = column.nums().copy()
    if column.present[BOOL]:
        mask = column.kind == BOOL
        out[mask] = column.flags()[mask]
    if column.present[STR]:
        mask = column.kind == STR
        out[mask] = parse_numbers(column.texts()[mask])
    return out


def to_string(column: Column) -> ObjectArray:
    """string() of every row ("" for empty)."""
    if not column.present[NUM] and not column.present[BOOL]:
        return column.texts()
    out = column.texts().copy()
    if column.present[NUM]:
        mask = column.kind == NUM
        out[mask] = format_numbers(column.nums()[mask])
    if column.present[BOOL]:
        mask = column.kind == BOOL
        out[mask] = np.where(column.flags()[mask], "true", "false").astype(object)
    return out


def to_boolean(column: Column) -> BoolArray:
    """boolean() of every row; thanks to the filler no row masks are needed."""
    out = np.zeros(column.size, dtype=np.bool_)
    if column.present[BOOL]:
        out |= column.flags()
    if column.present[STR]:
        out |= column.kind == STR
    if column.present[NUM]:
        num = column.nums()
        out |= (num != 0) & ~np.isnan(num)
    return out


def per_distinct(
    texts: ObjectArray, function: Callable[[str], T], dtype: type[S]
) -> npt.NDArray[S]:
    """`function` of every string, computed once per distinct string (hash-grouped in C).

    Answers to choice questions take a handful of distinct values, so this is a few Python calls
    for 400,000 rows, and it reuses the scalar path's own function, so both paths agree exactly.
    """
    if len(texts) == 0:
        return np.empty(0, dtype=dtype)
    codes, distinct = pd.factorize(texts)
    results = np.array([function(text) for text in distinct], dtype=dtype)
    return results[codes]


def parse_numbers(texts: ObjectArray) -> FloatArray:
    """XPath number() of strings."""
    return per_distinct(texts, v.parse_number, np.float64)


def format_numbers(num: FloatArray) -> ObjectArray:
    """XPath string() of numbers: whole ones in bulk via int64, the rest one by one."""
    out = np.empty(len(num), dtype=object)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(num) & (np.trunc(num) == num) & (np.abs(num) < _INT64_LIMIT)
    if whole.any():
        out[whole] = num[whole].astype(np.int64).astype(str).astype(object)
    rest = ~whole
    if rest.any():
        out[rest] = [v.format_number(float(x)) for x in num[rest]]
    return out


def text_series(texts: ObjectArray) -> pd.Series:
    """Strings wrapped for pandas' vectorised .str methods."""
    return pd.Series(texts, dtype=object, copy=False)


def to_series(column: Column, index: pd.Index) -> pd.Series:
    """The column as the Values `evaluate` would give row by row.

    One-kind results get a natural dtype (float64, bool, object str); mixed ones are object
    with None for empty.
    """
    if column.only(NUM):
        return pd.Series(column.nums(), index=index, dtype=np.float64)
    if column.only(BOOL):
        return pd.Series(column.flags(), index=index, dtype=np.bool_)
    if column.only(STR):
        return pd.Series(column.texts(), index=index, dtype=object)
    out = np.empty(column.size, dtype=object)  # filled with None
    if column.present[NUM]:
        mask = column.kind == NUM
        out[mask] = column.nums()[mask]
    if column.present[BOOL]:
        mask = column.kind == BOOL
        out[mask] = column.flags()[mask]
    if column.present[STR]:
        mask = column.kind == STR
        out[mask] = column.texts()[mask]
    return pd.Series(out, index=index, dtype=object)
