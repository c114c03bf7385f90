"""The immutable syntax tree a compiled expression is made of, and the table of known functions.

Operators of one precedence level form one n-ary `Chain` node (`a + b - c` is one node with
two steps) so a long sum of 29 indicators is a flat node, not a 29-deep tree: tree depth, and so
evaluator recursion, stays bounded by the parser's nesting limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral

#: A value of a question's answer, a literal or a result. None and "" both mean empty.
Value = str | int | float | bool | None

ChainGroup = TypingLiteral["or", "and", "eq", "rel", "add", "mul"]

#: name -> (fewest, most) arguments.
FUNCTIONS: dict[str, tuple[int, int]] = {
    "true": (0, 0),
    "false": (0, 0),
    "not": (1, 1),
    "selected": (2, 2),
    "if": (3, 3),
    "coalesce": (2, 2),
    "string-length": (1, 1),
    "regex": (2, 2),
    "number": (1, 1),
    "int": (1, 1),
    "string": (1, 1),
    "count-selected": (1, 1),
    "round": (1, 2),
}


@dataclass(frozen=True, slots=True)
class LiteralNode:
    """A string or number written in the expression ('' is stored as None: empty)."""

    value: Value
    position: int
    constant: bool = field(default=True, init=False)


@dataclass(frozen=True, slots=True)
class RefNode:
    """`${name}`: the answer to another question (empty when absent)."""

    name: str
    position: int
    constant: bool = field(default=False, init=False)


@dataclass(frozen=True, slots=True)
class CurrentNode:
    """`.`: the answer being checked by a constraint."""

    position: int
    constant: bool = field(default=False, init=False)


@dataclass(frozen=True, slots=True)
class NegateNode:
    """Unary minus."""

    operand: Node
    position: int
    constant: bool


@dataclass(frozen=True, slots=True)
class ChainNode:
    """`first op1 x1 op2 x2 ...` for operators of one precedence group, evaluated left to right."""

    group: ChainGroup
    first: Node
    rest: tuple[tuple[str, Node], ...]
    position: int
    constant: bool


@dataclass(frozen=True, slots=True)
class CallNode:
    """A function call; `pattern` is the regex compiled at compile time for regex()."""

    name: str
    args: tuple[Node, ...]
    position: int
    constant: bool
    pattern: re.Pattern[str] | None = None


Node = LiteralNode | RefNode | CurrentNode | NegateNode | ChainNode | CallNode
