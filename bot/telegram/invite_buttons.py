"""Callback data of the area-change question (`iv1y:<invite code>` / `iv1n`).

The "Ya" button carries the invite code itself, not the invite's number: a forged button with
another number would otherwise redeem an invite its sender never received. Our codes are 26
characters, so the data stays far under Telegram's 64 bytes. Anything else decodes to None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bot.repositories.invites import is_well_formed_code

__all__ = ["PATTERN", "AreaChangeButton", "decode", "encode_no", "encode_yes"]

PATTERN: Final = re.compile(r"^iv\d")
_YES: Final = "iv1y:"
_NO: Final = "iv1n"
_MAX_BYTES: Final = 64


@dataclass(frozen=True)
class AreaChangeButton:
    confirm: bool
    code: str | None = None


def encode_yes(code: str) -> str:
    data = _YES + code
    if len(data.encode("ascii")) > _MAX_BYTES:
        raise ValueError("invite code too long for a button")
    return data


def encode_no() -> str:
    return _NO


def decode(data: str | None) -> AreaChangeButton | None:
    if data == _NO:
        return AreaChangeButton(confirm=False)
    if data and data.startswith(_YES) and is_well_formed_code(data[len(_YES):]):
        return AreaChangeButton(confirm=True, code=data[len(_YES):])
    return None
