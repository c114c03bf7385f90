"""Compile-time checks for regex() patterns: valid, short, and free of the shapes that hang.

Python's `re` backtracks, so a pattern like `([A-Za-z]+ ?)+$` (a name check an editor might well
write) takes exponential time on a long non-matching answer. Patterns come from a spreadsheet, so
we refuse, with an explanation, any repetition of a group that itself repeats or offers
alternatives; what remains is polynomial on the short answers a questionnaire collects.
"""

from __future__ import annotations

import re

from ikk_core.expr_errors import MAX_PATTERN_LENGTH

_BRACES = re.compile(r"\{(\d*)(,?)(\d*)\}")


def compile_pattern(pattern: str) -> re.Pattern[str] | tuple[str, int]:
    """The compiled pattern, or (message, 0-based offset in the pattern) explaining the refusal."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return (
            f"pola regex terlalu panjang: {len(pattern)} karakter (maksimal {MAX_PATTERN_LENGTH})",
            MAX_PATTERN_LENGTH,
        )
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        return (f"pola regex tidak valid: {error.msg}", error.pos or 0)
    nested = nested_repetition(pattern)
    if nested is not None:
        return (
            "pola regex bisa sangat lambat: kelompok ( ) yang berisi pengulangan atau pilihan '|' "
            "tidak boleh diulang lagi, mis. (a+)+ atau (a|b)*",
            nested,
        )
    return compiled


def nested_repetition(pattern: str) -> int | None:
    """Offset of a quantifier repeating a group that contains a quantifier or '|', if any.

    Expects a pattern that `re` already accepted, so the structure is well formed.
    """
    # One entry per open group: [contains a quantifier, contains an alternation].
    stack: list[list[bool]] = [[False, False]]
    i = 0
    n = len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            i += 2
        elif char == "[":
            i = _skip_class(pattern, i)
        elif char == "(":
            i += 1
            if i < n and pattern[i] == "?":
                i = _skip_group_prefix(pattern, i)
            stack.append([False, False])
        elif char == ")":
            inner = stack.pop() if len(stack) > 1 else [False, False]
            i += 1
            quantifier = _quantifier(pattern, i)
            if quantifier is not None:
                end, repeats = quantifier
                if repeats and (inner[0] or inner[1]):
                    return i
                stack[-1][0] = True
                i = end
            stack[-1][0] = stack[-1][0] or inner[0]
            stack[-1][1] = stack[-1][1] or inner[1]
        elif char == "|":
            stack[-1][1] = True
            i += 1
        else:
            quantifier = _quantifier(pattern, i) if char in "*+?{" else None
            if quantifier is not None:
                stack[-1][0] = True
                i = quantifier[0]
            else:
                i += 1
    return None


def _quantifier(pattern: str, i: int) -> tuple[int, bool] | None:
    """(end offset, whether it can repeat more than once) of a quantifier starting at i."""
    if i >= len(pattern):
        return None
    char = pattern[i]
    if char in "*+":
        end, repeats = i + 1, True
    elif char == "?":
        end, repeats = i + 1, False
    elif char == "{":
        match = _BRACES.match(pattern, i)
        if match is None:
            return None
        low, comma, high = match.groups()
        end = match.end()
        most = high if comma else low
        repeats = (comma != "" and high == "") or (most != "" and int(most) > 1)
    else:
        return None
    if end < len(pattern) and pattern[end] in "?+":  # lazy or possessive form
        end += 1
    return end, repeats


def _skip_class(pattern: str, i: int) -> int:
    """Offset after the character class `[...]` starting at i."""
    n = len(pattern)
    j = i + 1
    if j < n and pattern[j] == "^":
        j += 1
    if j < n and pattern[j] == "]":
        j += 1
    while j < n and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j + 1


def _skip_group_prefix(pattern: str, i: int) -> int:
    """Offset after the `?...` prefix of an extension group whose '?' is at i."""
    n = len(pattern)
    j = i + 1
    if j >= n:
        return j
    char = pattern[j]
    if char in ":=!>":
        return j + 1
    if char == "<":
        return j + 2
    if char == "P" and j + 1 < n and pattern[j + 1] == "<":
        close = pattern.find(">", j)
        return close + 1 if close >= 0 else n
    if char == "#":
        close = pattern.find(")", j)
        return close if close >= 0 else n
    if char in "(P":
        return j + 1 if char == "P" else j
    while j < n and pattern[j] not in ":)":
        j += 1
    return j + 1 if j < n and pattern[j] == ":" else j
