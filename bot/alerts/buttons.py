"""Callback data of the alert buttons: "✅ Sudah dibaca" and the /peringatan settings.

Kept apart from the questionnaire's format (`bot.telegram.callback_data`, which starts with the
digit "1"): every alert button starts with "A", so the two never decode each other's buttons
and the alert handler can claim its buttons with one regular expression (`PATTERN`).
Buttons carry the state they set ("turn alerts ON"), not a toggle, so a double tap or a
redelivered tap changes nothing twice. A sector button carries the sector's index in the
instrument's sector list and a short checksum of its name, so a button drawn for another
instrument version is refused instead of switching the wrong sector.

    Ak<delivery>        acknowledge delivery (base 36)
    Ae0 / Ae1           alerts off / on
    Aq0 / Aq1           quiet-week notes off / on
    As<index>.<crc>.<0|1>  stop / start following a sector
    Aa                  follow every sector
    Av / Am             show the sector list / the main settings
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "PATTERN",
    "AlertButton",
    "Op",
    "decode",
    "encode",
    "sector_check",
]

PATTERN: Final = r"^A[a-z]"
MAX_BYTES: Final = 64
_MAX_NUMBER: Final = 36**12 - 1
_SHAPE: Final = re.compile(
    r"A(?:(k)(0|[1-9a-z][0-9a-z]{0,11})|([eq])([01])|(s)(0|[1-9a-z][0-9a-z]{0,3})\.([0-9a-z]{4})"
    r"\.([01])|([avm]))",
    re.ASCII,
)


class Op(StrEnum):
    ACK = "k"
    ENABLE = "e"
    QUIET = "q"
    SECTOR = "s"
    ALL_SECTORS = "a"
    SECTOR_LIST = "v"
    MAIN = "m"


@dataclass(frozen=True)
class AlertButton:
    op: Op
    number: int = 0
    """Delivery id (ACK) or sector index (SECTOR)."""
    flag: bool = False
    """The state the button sets (ENABLE, QUIET, SECTOR)."""
    check: str = ""
    """Checksum of the sector name (SECTOR)."""


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if number == 0:
        return "0"
    out = []
    while number:
        number, rest = divmod(number, 36)
        out.append(digits[rest])
    return "".join(reversed(out))


def sector_check(name: str) -> str:
    """Four base-36 characters from the sector's name (case-insensitive)."""
    value = zlib.crc32(name.strip().casefold().encode("utf-8")) % 36**4
    return _base36(value).rjust(4, "0")


def encode(button: AlertButton) -> str:
    op = button.op
    if op is Op.ACK:
        if not 0 <= button.number <= _MAX_NUMBER:
            raise ValueError("delivery id out of range")
        text = f"Ak{_base36(button.number)}"
    elif op in (Op.ENABLE, Op.QUIET):
        text = f"A{op.value}{int(button.flag)}"
    elif op is Op.SECTOR:
        if not 0 <= button.number < 36**4 or len(button.check) != 4:
            raise ValueError("sector index or check out of range")
        text = f"As{_base36(button.number)}.{button.check}.{int(button.flag)}"
    else:
        text = f"A{op.value}"
    if len(text.encode("ascii")) > MAX_BYTES:  # impossible by construction
        raise ValueError("callback data longer than 64 bytes")
    return text


def decode(text: object) -> AlertButton | None:
    """The button behind `text`, or None for anything not exactly an alert button."""
    if not isinstance(text, str) or len(text) > MAX_BYTES:
        return None
    match = _SHAPE.fullmatch(text)
    if match is None:
        return None
    ack, ack_id, switch, switch_flag, sector, index, check, sector_flag, plain = match.groups()
    if ack:
        return AlertButton(Op.ACK, number=int(ack_id, 36))
    if switch:
        return AlertButton(Op(switch), flag=switch_flag == "1")
    if sector:
        return AlertButton(Op.SECTOR, number=int(index, 36), flag=sector_flag == "1", check=check)
    return AlertButton(Op(plain))
