"""Callback data of the officials' buttons: which area, for what, which period, from where.

The questionnaire's buttons (`bot.telegram.callback_data`) carry a response and a version; an
official's button carries an area code instead, so it has its own small, versioned format that
the questionnaire's decoder rejects and vice versa:

    "o1" <action> <source> ":" <area code> [":" <year>]

e.g. ``o1rc:63.02.12.2005`` (report, from a choice list), ``o1vc:63.02.12`` (report over
verified families only, from a choice list) or ``o1em:63.02:2025`` (export, from
the buttons under a report). ASCII, at most 25 bytes. Anything else decodes to None. The area
code is checked against the tapper's scope by the service, like a typed name, so a forged
button reveals nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ikk_core.areas import is_valid_code

__all__ = ["PATTERN", "PREFIX", "Action", "AreaButton", "Source", "decode", "encode"]

PREFIX: Final = "o1"
PATTERN: Final = re.compile(r"^o\d")
"""What the officials' callback handler takes: this format and any later version of it."""
_SHAPE: Final = re.compile(
    r"o1([repuv])([cm]):(\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?)(?::(\d{4}))?", re.ASCII
)


class Action(StrEnum):
    REPORT = "r"
    EXPORT = "e"
    PROGRESS = "p"
    INVITE = "u"
    VERIFIED = "v"
    """The report over verified families only (`/ikk <wilayah> terverifikasi`)."""


class Source(StrEnum):
    CHOICE = "c"
    """One of several areas offered for a name: the list is closed once one is chosen."""
    MENU = "m"
    """Under a report: the report stays as it is."""


@dataclass(frozen=True)
class AreaButton:
    action: Action
    source: Source
    code: str
    period: int | None = None

    def encode(self) -> str:
        return encode(self)


def encode(button: AreaButton) -> str:
    period = f":{button.period}" if button.period is not None else ""
    return f"{PREFIX}{button.action.value}{button.source.value}:{button.code}{period}"


def decode(data: object) -> AreaButton | None:
    """The button behind `data`, or None for anything that is not exactly this format."""
    if not isinstance(data, str) or len(data) > 64:
        return None
    match = _SHAPE.fullmatch(data)
    if match is None or not is_valid_code(match.group(3)):
        return None
    year = match.group(4)
    return AreaButton(
        Action(match.group(1)), Source(match.group(2)), match.group(3),
        int(year) if year is not None else None,
    )
