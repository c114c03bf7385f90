"""Vectorised evaluation over a whole DataFrame: the same meaning as expr_scalar, per column.

Each node is evaluated once for all rows with numpy / pandas operations; constant sub-trees
(no `${}` and no `.`) are evaluated once by the scalar evaluator and broadcast, which also keeps
their meaning identical by construction. The only per-row Python loops left are for cases no
instrument needs in bulk: selected() with a non-constant choice, and unusual mixed object columns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ikk_core import expr_columns as c
from ikk_core import expr_scalar
from ikk_core import expr_values as v
from ikk_core.expr_ast import CallNode, ChainNode, CurrentNode, NegateNode, Node, RefNode
from ikk_core.expr_columns import BOOL, EMPTY, NUM, BoolArray, Column, FloatArray


class FrameContext:
    """The frame being evaluated, with each referenced column converted once."""

    def __init__(self, frame: pd.DataFrame, current: pd.Series | None) -> None:
        self.frame = frame
        self.size = len(frame)
        self._columns: dict[str, Column] = {}
        self.current: Column | None = None
        if current is not None:
            if len(current) != self.size:
                raise ValueError(
                    f"panjang current ({len(current)}) tidak sama dengan jumlah baris ({self.size})"
                )
            self.current = c.from_series(current)

    def column(self, name: str) -> Column:
        cached = self._columns.get(name)
        if cached is not None:
            return cached
        if name not in self.frame.columns:
            column = c.empties(self.size)
        else:
            location = self.frame.columns.get_loc(name)
            if not isinstance(location, int):
                raise ValueError(f"kolom {name!r} muncul lebih dari sekali dalam tabel")
            column = c.from_series(self.frame.iloc[:, location])
        self._columns[name] = column
        return column


def evaluate(node: Node, context: FrameContext) -> Column:
    """The value of `node` on every row of the context's frame."""
    if node.constant:
        return c.broadcast(expr_scalar.evaluate(node, {}, None), context.size)
    if isinstance(node, RefNode):
        return context.column(node.name)
    if isinstance(node, CurrentNode):
        return context.current if context.current is not None else c.empties(context.size)
    if isinstance(node, NegateNode):
        return c.numbers(-c.to_number(evaluate(node.operand, context)))
    if isinstance(node, ChainNode):
        return _chain(node, context)
    if isinstance(node, CallNode):
        return _call(node, context)
    raise AssertionError(f"unexpected node {node!r}")  # literals are constant


def _chain(node: ChainNode, context: FrameContext) -> Column:
    result = evaluate(node.first, context)
    group = node.group
    for operator, operand in node.rest:
        right = evaluate(operand, context)
        if group == "or":
            result = c.booleans(c.to_boolean(result) | c.to_boolean(right))
        elif group == "and":
            result = c.booleans(c.to_boolean(result) & c.to_boolean(right))
        elif group == "eq":
            same = equals(result, right)
            result = c.booleans(same if operator == "=" else ~same)
        elif group == "rel":
            result = c.booleans(_compare(operator, c.to_number(result), c.to_number(right)))
        else:
            result = c.numbers(_arithmetic(operator, c.to_number(result), c.to_number(right)))
    return result


def equals(left: Column, right: Column) -> BoolArray:
    """Row-wise XPath `=`: booleans if either is boolean, else numbers if either is a number,
    else strings. Only the branches some row needs are computed, each on its rows only."""
    any_bool = left.present[BOOL] or right.present[BOOL]
    any_num = left.present[NUM] or right.present[NUM]
    if not any_bool and not any_num:
        return np.asarray(c.to_string(left) == c.to_string(right), dtype=np.bool_)
    size = left.size
    bool_rows = (left.kind == BOOL) | (right.kind == BOOL) if any_bool else np.zeros(size, bool)
    num_rows = ((left.kind == NUM) | (right.kind == NUM)) & ~bool_rows
    str_rows = ~(bool_rows | num_rows)
    out = np.zeros(size, dtype=np.bool_)
    conversions: tuple[tuple[BoolArray, Callable[[Column], npt.NDArray[Any]]], ...] = (
        (bool_rows, c.to_boolean),
        (num_rows, c.to_number),
        (str_rows, c.to_string),
    )
    for rows, convert in conversions:
        if rows.all():
            return np.asarray(convert(left) == convert(right), dtype=np.bool_)
        if rows.any():
            out[rows] = convert(left.take(rows)) == convert(right.take(rows))
    return out


def _compare(operator: str, a: FloatArray, b: FloatArray) -> BoolArray:
    with np.errstate(invalid="ignore"):
        if operator == "<":
            return np.less(a, b)
        if operator == "<=":
            return np.less_equal(a, b)
        if operator == ">":
            return np.greater(a, b)
        return np.greater_equal(a, b)


def _arithmetic(operator: str, a: FloatArray, b: FloatArray) -> FloatArray:
    with np.errstate(all="ignore"):
        if operator == "+":
            return np.add(a, b)
        if operator == "-":
            return np.subtract(a, b)
        if operator == "*":
            return np.multiply(a, b)
        if operator == "div":
            return np.divide(a, b)
        return np.fmod(a, b)


def _merge(choose_first: BoolArray, first: Column, second: Column) -> Column:
    """Row-wise `first if choose_first else second`, for if() and coalesce()."""
    kind = np.where(choose_first, first.kind, second.kind).astype(np.int8)
    num = text = flag = None
    if first.num is not None or second.num is not None:
        num = np.where(choose_first, first.nums(), second.nums())
    if first.text is not None or second.text is not None:
        text = np.where(choose_first, first.texts(), second.texts())
    if first.flag is not None or second.flag is not None:
        flag = np.where(choose_first, first.flags(), second.flags())
    return c.make(kind, num, text, flag)


def _call(node: CallNode, context: FrameContext) -> Column:
    name = node.name
    args = node.args
    if name == "selected":
        return c.booleans(_selected(args[0], args[1], context))
    if name == "round":
        return c.numbers(_round(args, context))
    first = evaluate(args[0], context)
    if name == "not":
        return c.booleans(~c.to_boolean(first))
    if name == "if":
        condition = c.to_boolean(first)
        return _merge(condition, evaluate(args[1], context), evaluate(args[2], context))
    if name == "coalesce":
        return _merge(first.kind != EMPTY, first, evaluate(args[1], context))
    if name == "number":
        return c.numbers(c.to_number(first))
    if name == "int":
        return c.numbers(np.trunc(c.to_number(first)))
    if name == "string":
        return c.strings(c.to_string(first))
    texts = c.to_string(first)
    if name == "string-length":
        return c.numbers(c.per_distinct(texts, len, np.float64))
    if name == "count-selected":
        return c.numbers(c.per_distinct(texts, lambda text: len(text.split()), np.float64))
    if name == "regex":
        pattern = node.pattern
        assert pattern is not None  # compiled by the parser
        return c.booleans(
            c.per_distinct(texts, lambda text: pattern.search(text) is not None, np.bool_)
        )
    raise AssertionError(f"unexpected function {name}")  # true()/false() are constant


def _selected(answer: Node, choice: Node, context: FrameContext) -> BoolArray:
    answers = c.to_string(evaluate(answer, context))
    if not choice.constant:
        choices = c.to_string(evaluate(choice, context))
        return np.fromiter(
            (v.selected(a, b) for a, b in zip(answers, choices, strict=True)),
            dtype=np.bool_,
            count=context.size,
        )
    wanted = v.to_string(expr_scalar.evaluate(choice, {}, None))
    if not wanted or wanted.split() != [wanted]:
        return np.zeros(context.size, dtype=np.bool_)
    return c.per_distinct(answers, lambda text: wanted in text.split(), np.bool_)


def _round(args: tuple[Node, ...], context: FrameContext) -> FloatArray:
    number = c.to_number(evaluate(args[0], context))
    if len(args) == 1:
        return _round_to(number, 0)
    places_node = args[1]
    if places_node.constant:
        places = v.round_places(v.to_number(expr_scalar.evaluate(places_node, {}, None)))
        return np.full(context.size, np.nan) if places is None else _round_to(number, places)
    raw = c.to_number(evaluate(places_node, context))
    out = np.full(context.size, np.nan)
    clamped = np.trunc(np.clip(raw, -v.MAX_ROUND_PLACES, v.MAX_ROUND_PLACES))
    for places in np.unique(clamped[~np.isnan(clamped)]):
        rows = clamped == places
        out[rows] = _round_to(number[rows], int(places))
    return out


def _round_to(number: FloatArray, places: int) -> FloatArray:
    """Vector form of expr_values.round_half_away, operation for operation."""
    factor = 10.0**places
    with np.errstate(all="ignore"):
        scaled = np.abs(number) * factor
        rounded = np.copysign(np.floor(scaled + 0.5) / factor, number)
        keep = np.isnan(scaled) | (scaled >= v.WHOLE_MAGNITUDE)
    return np.where(keep, number, rounded)
