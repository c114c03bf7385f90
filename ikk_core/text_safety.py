"""Typed text that can be stored, shown and written into a workbook without breaking anything.

A name typed in chat ends up in an XML workbook (the area export), in messages and in duplicate
detection. Two kinds of text do harm there:

- characters XML 1.0 cannot carry (C0 controls other than tab, newline and carriage return,
  lone surrogates, U+FFFE/U+FFFF and the other noncharacters): one of them makes the whole
  workbook of an area unreadable, so typed text containing them is refused and the workbook
  writer drops them from anything stored before this check existed;
- text with nothing visible (zero-width spaces, joiners, a BOM, direction controls, combining
  marks without a letter, spaces): a family "named" like that cannot be told apart from another
  and looks empty on every card, so it is refused too.

Direction overrides and isolates (U+202A–U+202E, U+2066–U+2069) inside an otherwise visible name
are removed: they only reorder what a reader sees ("Budi\u202eotnaS" shows as "BudiSanto") and
would make one family look like another. So are zero-width spaces, word joiners and BOMs, which
no name needs; zero-width (non-)joiners stay, some scripts need them.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

__all__ = [
    "UnsafeText",
    "clean_typed_text",
    "has_visible_character",
    "is_xml_illegal",
    "xml_safe",
]

#: Direction embeddings, overrides and isolates: reorder display, carry no letter.
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
#: Invisible characters removed from inside a name (zero-width space, word joiner, BOM, marks).
_DROPPED_INSIDE = BIDI_CONTROLS | frozenset("\u200b\u2060\ufeff\u200e\u200f\u061c")
#: Categories with nothing to see: controls, format characters (zero-width, direction), marks
#: (which only decorate a letter before them), separators and unassigned/private code points.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Mn", "Me", "Mc", "Zs", "Zl", "Zp"})


def is_xml_illegal(ch: str) -> bool:
    """True for a character XML 1.0 cannot carry, or a noncharacter no text should hold."""
    cp = ord(ch)
    if cp < 0x20:
        return ch not in "\t\n\r"
    if 0xD800 <= cp <= 0xDFFF:  # a lone surrogate: not a character at all
        return True
    if 0xFDD0 <= cp <= 0xFDEF:
        return True
    return cp & 0xFFFE == 0xFFFE  # U+FFFE, U+FFFF, U+1FFFE, … U+10FFFF


def xml_safe(text: str) -> str:
    """`text` without the characters XML cannot carry, for the workbook writer.

    Never raises: a name stored before typed text was checked must not make a whole export
    unreadable ("Budi\\uffffSantoso" is written as "BudiSantoso").
    """
    if text.isascii() and text.isprintable():
        return text  # the common case, fast
    return "".join(ch for ch in text if not is_xml_illegal(ch))


def has_visible_character(text: str) -> bool:
    """True when at least one character of `text` shows as something (a letter, digit, sign)."""
    return any(unicodedata.category(ch) not in _INVISIBLE_CATEGORIES for ch in text)


class UnsafeText(ValueError):
    """Typed text that cannot be accepted: `reason` says which rule it breaks."""

    def __init__(self, reason: Literal["illegal", "invisible"]) -> None:
        self.reason = reason
        super().__init__(reason)


def clean_typed_text(text: str) -> str:
    """Typed text made safe, or UnsafeText.

    Refused: any XML-illegal character or noncharacter ("illegal"), or nothing visible once
    the invisible characters are taken out ("invisible"). Otherwise direction controls and
    zero-width spaces are removed and the rest is returned unchanged (no trimming: the caller
    normalises spaces as it always did).
    """
    if any(is_xml_illegal(ch) for ch in text if ch not in "\t\n\r"):
        raise UnsafeText("illegal")
    cleaned = "".join(ch for ch in text if ch not in _DROPPED_INSIDE)
    if not has_visible_character(cleaned):
        raise UnsafeText("invisible")
    return cleaned
