"""Tokeniser for the XLSForm expression subset: a single left-to-right scan, no regex backtracking.

Hand-written so that every character is accounted for and every error points at the character
that caused it, with a hint for the mistakes spreadsheet editors actually make (`/` for `div`,
`==`, curly quotes pasted from a word processor, `AND` in capitals).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ikk_core.expr_errors import MAX_SOURCE_LENGTH, ExpressionError

TokenKind = Literal["num", "str", "ref", "dot", "(", ")", ",", "op", "name", "eof"]

#: Words that are operators, case-sensitive as in XPath.
KEYWORDS = frozenset({"and", "or", "div", "mod"})
#: Function names that contain a hyphen; any other hyphen after a name is a minus sign.
HYPHENATED_FUNCTIONS = frozenset({"string-length", "count-selected"})

_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NAME_REST = _NAME_START | frozenset("0123456789")
_REF_REST = _NAME_REST | frozenset(".-")
_DIGITS = frozenset("0123456789")
_PUNCTUATION: dict[str, TokenKind] = {"(": "(", ")": ")", ",": ","}
_CURLY_QUOTES = frozenset("‘’‚‛“”„‟′″")

#: Characters that are not part of the language, each with the hint a spreadsheet editor needs.
_HINTS = {
    "/": "gunakan 'div' untuk pembagian",
    "%": "gunakan 'mod' untuk sisa bagi",
    "&": "gunakan 'and'",
    "|": "gunakan 'or'",
    "{": "rujukan pertanyaan ditulis ${nama}",
    "}": "rujukan pertanyaan ditulis ${nama}",
    "[": "kurung siku tidak didukung, gunakan ( )",
    "]": "kurung siku tidak didukung, gunakan ( )",
    ";": "pisahkan argumen fungsi dengan koma",
}


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its exact text in the source, and where it starts."""

    kind: TokenKind
    text: str
    position: int


def _describe_character(char: str) -> str:
    """A character as an editor can recognise it, even an invisible one."""
    if char == " ":
        return "spasi"
    if char.isprintable() and not char.isspace():
        return f"'{char}'"
    return f"U+{ord(char):04X}"


def tokenize(source: str) -> list[Token]:
    """Split `source` into tokens ending with an `eof` token, or raise ExpressionError."""
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(
            f"ekspresi terlalu panjang: {len(source)} karakter (maksimal {MAX_SOURCE_LENGTH})",
            MAX_SOURCE_LENGTH,
            source,
        )
    tokens: list[Token] = []
    i = 0
    n = len(source)
    while i < n:
        char = source[i]
        if char.isspace():
            i += 1
        elif char == "$":
            i = _scan_ref(source, i, tokens)
        elif char in "'\"":
            end = source.find(char, i + 1)
            if end < 0:
                raise ExpressionError(
                    f"teks tidak ditutup: tanda kutip {char} pembuka tidak punya pasangan",
                    i,
                    source,
                )
            tokens.append(Token("str", source[i : end + 1], i))
            i = end + 1
        elif char in _DIGITS or (char == "." and i + 1 < n and source[i + 1] in _DIGITS):
            i = _scan_number(source, i, tokens)
        elif char == ".":
            if i + 1 < n and source[i + 1] == ".":
                raise ExpressionError("'..' tidak didukung; gunakan ${nama}", i, source)
            tokens.append(Token("dot", ".", i))
            i += 1
        elif char in _PUNCTUATION:
            tokens.append(Token(_PUNCTUATION[char], char, i))
            i += 1
        elif char in _NAME_START:
            i = _scan_name(source, i, tokens)
        else:
            i = _scan_operator(source, i, tokens)
    tokens.append(Token("eof", "", n))
    return tokens


def _scan_ref(source: str, start: int, tokens: list[Token]) -> int:
    """`${name}`; returns the index after the closing brace."""
    n = len(source)
    if start + 1 >= n or source[start + 1] != "{":
        raise ExpressionError("tanda '$' harus diikuti '{', contoh: ${nama}", start, source)
    i = start + 2
    if i < n and source[i] == "}":
        raise ExpressionError("nama pertanyaan kosong di dalam ${}", start, source)
    if i >= n:
        raise ExpressionError("kurung kurawal tutup '}' tidak ada", start, source)
    if source[i] not in _NAME_START:
        raise ExpressionError(
            f"nama pertanyaan tidak boleh diawali {_describe_character(source[i])}", i, source
        )
    j = i + 1
    while j < n and source[j] in _REF_REST:
        j += 1
    if j >= n:
        raise ExpressionError("kurung kurawal tutup '}' tidak ada", start, source)
    if source[j] != "}":
        raise ExpressionError(
            f"karakter {_describe_character(source[j])} tidak boleh ada di nama pertanyaan",
            j,
            source,
        )
    tokens.append(Token("ref", source[start : j + 1], start))
    return j + 1


def _scan_number(source: str, start: int, tokens: list[Token]) -> int:
    """Digits with at most one decimal point (XPath numbers: no sign, no exponent)."""
    n = len(source)
    i = start
    while i < n and source[i] in _DIGITS:
        i += 1
    if i < n and source[i] == ".":
        i += 1
        while i < n and source[i] in _DIGITS:
            i += 1
    tokens.append(Token("num", source[start:i], start))
    return i


def _scan_name(source: str, start: int, tokens: list[Token]) -> int:
    """A function name or keyword. A hyphen stays in the name only for the known hyphenated
    functions or before '(' (so `foo-bar(` reports the whole unknown name); otherwise `div-1`
    is `div` followed by a minus sign."""
    n = len(source)
    i = start + 1
    while i < n and source[i] in _NAME_REST:
        i += 1
    plain_end = i
    while i < n and (source[i] in _NAME_REST or source[i] == "-"):
        i += 1
    while i > plain_end and source[i - 1] == "-":
        i -= 1
    if i > plain_end:
        word = source[start:i]
        after = i
        while after < n and source[after].isspace():
            after += 1
        followed_by_call = after < n and source[after] == "("
        if word not in HYPHENATED_FUNCTIONS and not followed_by_call:
            i = plain_end
    tokens.append(Token("name", source[start:i], start))
    return i


def _scan_operator(source: str, start: int, tokens: list[Token]) -> int:
    """Comparison and arithmetic symbols, or an error for any other character."""
    char = source[start]
    following = source[start + 1] if start + 1 < len(source) else ""
    if char in "<>!" and following == "=":
        tokens.append(Token("op", char + "=", start))
        return start + 2
    if char == "=" and following == "=":
        raise ExpressionError(
            "gunakan satu tanda '=' untuk membandingkan, bukan '=='", start, source
        )
    if char in "=<>+-*":
        tokens.append(Token("op", char, start))
        return start + 1
    if char == "!":
        raise ExpressionError(
            "gunakan '!=' untuk 'tidak sama dengan', atau not(...)", start, source
        )
    if char in _CURLY_QUOTES:
        raise ExpressionError(
            f"tanda kutip {char} tidak dikenal; gunakan tanda kutip biasa ' atau \"",
            start,
            source,
        )
    hint = _HINTS.get(char)
    message = f"karakter tidak dikenal: {_describe_character(char)}"
    raise ExpressionError(f"{message}; {hint}" if hint else message, start, source)
