"""Tree-walking evaluation of one set of answers: the reference semantics, used by the dialogue.

Recursion depth equals tree depth, which the parser bounds (see expr_errors.MAX_DEPTH).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ikk_core import expr_values as v
from ikk_core.expr_ast import (
    CallNode,
    ChainNode,
    CurrentNode,
    LiteralNode,
    NegateNode,
    Node,
    RefNode,
    Value,
)


def evaluate(node: Node, values: Mapping[str, object], current: Value) -> Value:
    """The value of `node`; `values` holds canonical or raw answers, `current` is canonical."""
    if isinstance(node, LiteralNode):
        return node.value
    if isinstance(node, RefNode):
        return v.canonical(values.get(node.name))
    if isinstance(node, CurrentNode):
        return current
    if isinstance(node, NegateNode):
        return -v.to_number(evaluate(node.operand, values, current))
    if isinstance(node, ChainNode):
        return _chain(node, values, current)
    return _call(node, values, current)


def _chain(node: ChainNode, values: Mapping[str, object], current: Value) -> Value:
    result = evaluate(node.first, values, current)
    group = node.group
    for operator, operand in node.rest:
        right = evaluate(operand, values, current)
        if group == "or":
            result = v.to_boolean(result) or v.to_boolean(right)
        elif group == "and":
            result = v.to_boolean(result) and v.to_boolean(right)
        elif group == "eq":
            same = v.equals(result, right)
            result = same if operator == "=" else not same
        elif group == "rel":
            result = v.compare(operator, result, right)
        else:
            result = v.arithmetic(operator, v.to_number(result), v.to_number(right))
    return result


def _call(node: CallNode, values: Mapping[str, object], current: Value) -> Value:
    name = node.name
    if name == "true":
        return True
    if name == "false":
        return False
    args = [evaluate(arg, values, current) for arg in node.args]
    if name == "not":
        return not v.to_boolean(args[0])
    if name == "selected":
        return v.selected(args[0], args[1])
    if name == "if":
        return args[1] if v.to_boolean(args[0]) else args[2]
    if name == "coalesce":
        return args[0] if args[0] is not None else args[1]
    if name == "string-length":
        return len(v.to_string(args[0]))
    if name == "regex":
        assert node.pattern is not None  # compiled by the parser
        return node.pattern.search(v.to_string(args[0])) is not None
    if name == "number":
        return v.to_number(args[0])
    if name == "int":
        return v.truncate(v.to_number(args[0]))
    if name == "string":
        return v.string_value(v.to_string(args[0]))
    if name == "count-selected":
        return len(v.to_string(args[0]).split())
    # round
    places = v.round_places(v.to_number(args[1])) if len(args) > 1 else 0
    if places is None:
        return math.nan
    return v.round_half_away(v.to_number(args[0]), places)
