"""Compact, versioned callback data for inline buttons.

Telegram allows at most 64 bytes of callback data, and a button pressed twice or pressed on an
old message must be recognised (design decision 6). Every button therefore carries what it
belongs to: its kind, the response id, the question's stable short number, the response version
it was drawn for, and the index of the chosen value. The text form is ASCII and canonical:

    "1" <kind letter> <response> "." <question> "." <version> "." <value>

with the four numbers in base 36 without leading zeros (e.g. ``1a2s.c.1f.0``). The leading "1"
is the format version; a future format gets another digit and old buttons decode to None.
Anything that is not exactly this shape decodes to None, never to a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "FORMAT_VERSION",
    "MAX_BYTES",
    "CallbackData",
    "Kind",
    "decode",
    "encode",
]

FORMAT_VERSION: Final = "1"
MAX_BYTES: Final = 64
_DIGITS: Final = "0123456789abcdefghijklmnopqrstuvwxyz"
_NUMBER: Final = r"(0|[1-9a-z][0-9a-z]{0,11})"
_SHAPE: Final = re.compile(
    rf"{FORMAT_VERSION}([a-z]){_NUMBER}\.{_NUMBER}\.{_NUMBER}\.{_NUMBER}", re.ASCII
)
_MAX_NUMBER: Final = 36**12 - 1


class Kind(StrEnum):
    """What a button does; one lower-case letter each."""

    ANSWER = "a"
    """Answer question `question` of `response` with choice number `value`."""
    SKIP = "k"
    """Skip optional question `question` of `response`."""
    BACK = "b"
    """Go back from question `question` (the one the button was shown with)."""
    CONFIRM = "c"
    """Confirm the unusual value of a "Yakin?" prompt (the value is kept by the chat memory)."""
    CHANGE = "h"
    """Refuse the unusual value of a "Yakin?" prompt: ask the question again."""
    EDIT = "e"
    """Open question `question` of `response` for a change (review card, family list)."""
    SUBMIT = "s"
    """Submit `response` (review card)."""
    VILLAGE = "v"
    """Start a family in the kader's village number `value` (0-based, in code order)."""
    OPEN_DRAFT = "d"
    """Continue the draft `response` (/lanjut list)."""
    OPEN_FAMILY = "f"
    """Show the submitted `response` to change an answer (/keluarga list)."""
    NEXT_FAMILY = "n"
    """Start the next family (after a submit)."""
    DUPLICATE_OPEN = "o"
    """Duplicate family: open the existing response `value` instead of this draft."""
    DUPLICATE_NEW = "w"
    """Duplicate family: it is a different family, carry on with this draft."""


_KINDS: Final = {kind.value: kind for kind in Kind}


@dataclass(frozen=True)
class CallbackData:
    """The decoded content of a button; numbers are non-negative integers."""

    kind: Kind
    response_id: int = 0
    question: int = 0
    version: int = 0
    value: int = 0

    def __post_init__(self) -> None:
        for name in ("response_id", "question", "version", "value"):
            number = getattr(self, name)
            if isinstance(number, bool) or not isinstance(number, int):
                raise TypeError(f"{name} must be an int, not {type(number).__name__}")
            if not 0 <= number <= _MAX_NUMBER:
                raise ValueError(f"{name} {number} is outside 0..36**12-1")

    def encode(self) -> str:
        return encode(self)


def _base36(number: int) -> str:
    if number == 0:
        return "0"
    digits = []
    while number:
        number, rest = divmod(number, 36)
        digits.append(_DIGITS[rest])
    return "".join(reversed(digits))


def encode(data: CallbackData) -> str:
    """The callback data string of a button (ASCII, at most 53 bytes)."""
    text = (
        f"{FORMAT_VERSION}{data.kind.value}{_base36(data.response_id)}.{_base36(data.question)}."
        f"{_base36(data.version)}.{_base36(data.value)}"
    )
    if len(text.encode("ascii")) > MAX_BYTES:  # impossible by construction; keep the promise
        raise ValueError("callback data longer than 64 bytes")
    return text


def decode(text: object) -> CallbackData | None:
    """The button behind `text`, or None for anything that is not canonical callback data."""
    if not isinstance(text, str) or len(text) > MAX_BYTES:
        return None
    match = _SHAPE.fullmatch(text)
    if match is None:
        return None
    kind = _KINDS.get(match.group(1))
    if kind is None:
        return None
    response_id, question, version, value = (int(group, 36) for group in match.groups()[1:])
    return CallbackData(kind, response_id, question, version, value)
