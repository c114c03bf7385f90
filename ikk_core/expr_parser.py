"""Pratt parser from tokens to the immutable syntax tree, with every check done at compile time.

Unknown functions, wrong argument counts, invalid regex patterns and too-deep nesting are all
reported here with a position, so an instrument that loads never fails while a cadre is typing.
The depth counter is checked on every recursive step, before recursing, so even 10,000 nested
brackets end in a clean ExpressionError rather than a RecursionError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ikk_core.expr_ast import (
    FUNCTIONS,
    CallNode,
    ChainGroup,
    ChainNode,
    CurrentNode,
    LiteralNode,
    NegateNode,
    Node,
    RefNode,
    Value,
)
from ikk_core.expr_errors import MAX_DEPTH, ExpressionError
from ikk_core.expr_regex import compile_pattern
from ikk_core.expr_tokens import KEYWORDS, Token, tokenize

#: operator text -> (binding power, chain group); higher binds tighter.
_BINARY: dict[str, tuple[int, ChainGroup]] = {
    "or": (1, "or"),
    "and": (2, "and"),
    "=": (3, "eq"),
    "!=": (3, "eq"),
    "<": (4, "rel"),
    "<=": (4, "rel"),
    ">": (4, "rel"),
    ">=": (4, "rel"),
    "+": (5, "add"),
    "-": (5, "add"),
    "*": (6, "mul"),
    "div": (6, "mul"),
    "mod": (6, "mul"),
}
_UNARY_BINDING = 7


@dataclass(frozen=True, slots=True)
class Parsed:
    """The tree plus what the compiled expression reports about itself."""

    root: Node
    ref_positions: tuple[tuple[str, int], ...]
    uses_current: bool


def parse(source: str) -> Parsed:
    """Parse `source` (any length: the length limit is checked before tokenising)."""
    return _Parser(source, tokenize(source)).parse()


def _number_value(text: str) -> int | float:
    """An int for a plain whole literal (so it reads back as written), a float otherwise."""
    if "." not in text and len(text) <= 15:
        return int(text)
    return float(text)


class _Parser:
    def __init__(self, source: str, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.index = 0
        self.refs: list[tuple[str, int]] = []
        self.uses_current = False

    # -- token stream ----------------------------------------------------------------------
    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "eof":
            self.index += 1
        return token

    def error(self, message: str, position: int | None) -> ExpressionError:
        return ExpressionError(message, position, self.source)

    # -- grammar ---------------------------------------------------------------------------
    def parse(self) -> Parsed:
        if self.peek().kind == "eof":
            raise self.error("ekspresi kosong", 0)
        root = self.expression(0, 1)
        token = self.peek()
        if token.kind != "eof":
            raise self.unexpected(token, after_value=True)
        return Parsed(root, tuple(self.refs), self.uses_current)

    @staticmethod
    def binary(token: Token) -> tuple[int, ChainGroup] | None:
        if token.kind == "op" or (token.kind == "name" and token.text in KEYWORDS):
            return _BINARY.get(token.text)
        return None

    def expression(self, min_binding: int, depth: int) -> Node:
        """Operands joined by operators binding tighter than `min_binding`."""
        if depth > MAX_DEPTH:
            raise self.error(
                f"ekspresi terlalu bersarang (maksimal {MAX_DEPTH} tingkat)",
                self.peek().position,
            )
        first = self.operand(depth)
        group: ChainGroup | None = None
        steps: list[tuple[str, Node]] = []
        while True:
            token = self.peek()
            info = self.binary(token)
            if info is None or info[0] <= min_binding:
                break
            binding, token_group = info
            self.advance()
            right = self.expression(binding, depth + 1)
            if token_group != group:
                if group is not None:
                    first = self.chain(group, first, steps)
                group, steps = token_group, []
            steps.append((token.text, right))
        if group is not None:
            first = self.chain(group, first, steps)
        return first

    @staticmethod
    def chain(group: ChainGroup, first: Node, steps: list[tuple[str, Node]]) -> ChainNode:
        constant = first.constant and all(node.constant for _, node in steps)
        return ChainNode(group, first, tuple(steps), first.position, constant)

    def operand(self, depth: int) -> Node:
        token = self.advance()
        kind = token.kind
        if kind == "num":
            return LiteralNode(_number_value(token.text), token.position)
        if kind == "str":
            text: Value = token.text[1:-1] or None
            return LiteralNode(text, token.position)
        if kind == "ref":
            name = token.text[2:-1]
            self.refs.append((name, token.position))
            return RefNode(name, token.position)
        if kind == "dot":
            self.uses_current = True
            return CurrentNode(token.position)
        if kind == "(":
            inner = self.expression(0, depth + 1)
            self.expect_close(token)
            return inner
        if kind == "op" and token.text == "-":
            operand = self.expression(_UNARY_BINDING, depth + 1)
            return NegateNode(operand, token.position, operand.constant)
        if kind == "name":
            if self.peek().kind == "(":
                return self.call(token, depth)
            raise self.bare_name(token)
        if kind == "eof":
            raise self.incomplete(self.tokens[self.index - 1])
        if kind in (")", ",") and self.index >= 2:
            raise self.incomplete(self.tokens[self.index - 2])
        raise self.unexpected(token, after_value=False)

    def incomplete(self, previous: Token) -> ExpressionError:
        """A value is missing after `previous` (a trailing operator, `(` or `,`)."""
        return self.error(
            f"ekspresi tidak lengkap: setelah '{previous.text}' harus ada nilai",
            previous.position,
        )

    def expect_close(self, opening: Token) -> None:
        token = self.peek()
        if token.kind == ")":
            self.advance()
            return
        if token.kind == "eof":
            raise self.error("tanda kurung tutup ')' tidak ada", opening.position)
        raise self.unexpected(token, after_value=True)

    def call(self, name_token: Token, depth: int) -> CallNode:
        name = name_token.text
        if name not in FUNCTIONS:
            hint = f" (maksud Anda {name.lower()}()?)" if name.lower() in FUNCTIONS else ""
            raise self.error(f"fungsi tidak dikenal: {name}{hint}", name_token.position)
        opening = self.advance()
        args: list[Node] = []
        if self.peek().kind == ")":
            self.advance()
        else:
            while True:
                args.append(self.expression(0, depth + 1))
                token = self.peek()
                if token.kind == ",":
                    self.advance()
                    continue
                self.expect_close(opening)
                break
        fewest, most = FUNCTIONS[name]
        if not fewest <= len(args) <= most:
            wanted = str(fewest) if fewest == most else f"{fewest} sampai {most}"
            raise self.error(
                f"fungsi {name}() memerlukan {wanted} argumen, tetapi diberi {len(args)}",
                name_token.position,
            )
        pattern = self.regex_pattern(args[1]) if name == "regex" else None
        constant = all(arg.constant for arg in args)
        return CallNode(name, tuple(args), name_token.position, constant, pattern)

    def regex_pattern(self, node: Node) -> re.Pattern[str]:
        if not isinstance(node, LiteralNode) or not isinstance(node.value, str | None):
            raise self.error(
                "pola regex() harus ditulis sebagai teks dalam tanda kutip, mis. '^[0-9]+$'",
                node.position,
            )
        compiled = compile_pattern(node.value or "")
        if isinstance(compiled, tuple):
            message, offset = compiled
            raise self.error(message, node.position + 1 + offset)
        return compiled

    # -- messages --------------------------------------------------------------------------
    def bare_name(self, token: Token) -> ExpressionError:
        word = token.text
        lower = word.lower()
        if word in KEYWORDS:
            message = f"kata '{word}' tidak diharapkan di sini: sebelumnya harus ada nilai"
        elif word in FUNCTIONS:
            message = f"fungsi {word} harus ditulis dengan tanda kurung: {word}()"
        elif lower in KEYWORDS or lower in FUNCTIONS:
            message = f"'{word}' tidak dikenal; tulis dengan huruf kecil: {lower}"
        else:
            message = f"nama tidak dikenal: {word} (untuk merujuk pertanyaan tulis ${{{word}}})"
        return self.error(message, token.position)

    def unexpected(self, token: Token, *, after_value: bool) -> ExpressionError:
        text = token.text
        if token.kind == ")":
            message = "tanda kurung tutup ')' tidak punya pasangan '('"
        elif token.kind == ",":
            message = "tanda ',' tidak diharapkan di sini (desimal ditulis dengan titik, mis. 1.5)"
        elif token.kind == "name" and text.lower() in KEYWORDS and text not in KEYWORDS:
            message = f"'{text}' tidak dikenal; tulis dengan huruf kecil: {text.lower()}"
        elif after_value:
            message = f"'{text}' tidak diharapkan di sini (mungkin kurang operator sebelumnya)"
        else:
            message = f"'{text}' tidak diharapkan di sini: sebelumnya harus ada nilai"
        return self.error(message, token.position)
