"""Kemendagri area codes as plain strings: level, parent, ancestry, names.

Pure on purpose: the scoring core rolls village results up to kecamatan, kabupaten and province by
code, and the bot's search and scope checks use the same rules, so they live here once.

Code shape: ``63`` provinsi, ``63.02`` kabupaten/kota, ``63.02.12`` kecamatan,
``63.02.12.2005`` desa (4th segment 2xxx) or kelurahan (1xxx).
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

__all__ = [
    "VILLAGE_LEVELS",
    "AreaCodeError",
    "AreaLevel",
    "ancestors",
    "code_depth",
    "display_name",
    "is_valid_code",
    "is_village_code",
    "is_within",
    "level_from_code",
    "normalize_name",
    "parent_code",
    "short_label",
    "split_level_prefix",
    "strip_level_word",
    "validate_code",
]


class AreaLevel(StrEnum):
    """Administrative level of an area; stored as its value in the database."""

    PROVINSI = "provinsi"
    KABUPATEN = "kabupaten"
    KOTA = "kota"
    KECAMATAN = "kecamatan"
    DESA = "desa"
    KELURAHAN = "kelurahan"


VILLAGE_LEVELS: frozenset[AreaLevel] = frozenset({AreaLevel.DESA, AreaLevel.KELURAHAN})
"""The levels at which families live and cadres work."""

_SEGMENT_WIDTHS = (2, 2, 2, 4)
_CODE_RE = re.compile(r"^\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.[12]\d{3})?)?)?$", re.ASCII)


class AreaCodeError(ValueError):
    """A string that is not a Kemendagri area code; the message is Indonesian and user-facing."""


def is_valid_code(code: str) -> bool:
    """True for a well-formed code of any level (village codes must start with 1 or 2)."""
    return bool(_CODE_RE.match(code)) and not any(
        int(segment) == 0 for segment in code.split(".")
    )


def validate_code(code: str) -> str:
    """Return the code stripped of surrounding blanks, or raise `AreaCodeError` saying why."""
    cleaned = code.strip()
    if not cleaned:
        raise AreaCodeError("kode kosong")
    segments = cleaned.split(".")
    if len(segments) > len(_SEGMENT_WIDTHS):
        raise AreaCodeError(f"kode '{cleaned}' punya lebih dari 4 bagian")
    for index, (segment, width) in enumerate(zip(segments, _SEGMENT_WIDTHS, strict=False)):
        if len(segment) != width or not segment.isascii() or not segment.isdigit():
            raise AreaCodeError(
                f"kode '{cleaned}' tidak sah: bagian ke-{index + 1} harus {width} angka"
            )
        if int(segment) == 0:
            raise AreaCodeError(f"kode '{cleaned}' tidak sah: bagian ke-{index + 1} bernilai 0")
    if len(segments) == 4 and segments[3][0] not in "12":
        raise AreaCodeError(
            f"kode '{cleaned}' tidak sah: kode desa diawali 2, kode kelurahan diawali 1"
        )
    return cleaned


def code_depth(code: str) -> int:
    """1 for a province, 2 kabupaten/kota, 3 kecamatan, 4 desa/kelurahan."""
    return code.count(".") + 1


def level_from_code(code: str, name: str = "") -> AreaLevel:
    """The level of a valid code; a kabupaten-level code is a kota when its name says so.

    Kemendagri also numbers kota from 71, which decides when the name carries no level word.
    """
    depth = code_depth(code)
    if depth == 1:
        return AreaLevel.PROVINSI
    if depth == 2:
        word = normalize_name(name).split(" ", 1)[0] if name.strip() else ""
        if word == "kota":
            return AreaLevel.KOTA
        if word in {"kabupaten", "kab"}:
            return AreaLevel.KABUPATEN
        return AreaLevel.KOTA if int(code.split(".")[1]) >= 71 else AreaLevel.KABUPATEN
    if depth == 3:
        return AreaLevel.KECAMATAN
    return AreaLevel.KELURAHAN if code.split(".")[3].startswith("1") else AreaLevel.DESA


def is_village_code(code: str) -> bool:
    """True for a desa or kelurahan code."""
    return code_depth(code) == 4


def parent_code(code: str) -> str | None:
    """The code one level up, or None for a province."""
    head, dot, _ = code.rpartition(".")
    return head if dot else None


def ancestors(code: str) -> list[str]:
    """Codes above this one, nearest first (desa → kecamatan → kabupaten → provinsi)."""
    result: list[str] = []
    current = parent_code(code)
    while current is not None:
        result.append(current)
        current = parent_code(current)
    return result


def is_within(code: str, root: str) -> bool:
    """True when `code` is `root` itself or lies in its subtree."""
    return code == root or code.startswith(root + ".")


_PUNCTUATION_RE = re.compile(r"[^\w\s]|_")
_SPACES_RE = re.compile(r"\s+")


def normalize_name(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces: how names are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    spaced = _PUNCTUATION_RE.sub(" ", without_marks.casefold())
    return _SPACES_RE.sub(" ", spaced).strip()


# Words a person puts before a name to say which level they mean, in normalised form.
_PREFIX_LEVELS: dict[tuple[str, ...], frozenset[AreaLevel]] = {
    ("desa",): frozenset({AreaLevel.DESA}),
    ("ds",): frozenset({AreaLevel.DESA}),
    ("kelurahan",): frozenset({AreaLevel.KELURAHAN}),
    ("kel",): frozenset({AreaLevel.KELURAHAN}),
    ("kecamatan",): frozenset({AreaLevel.KECAMATAN}),
    ("kec",): frozenset({AreaLevel.KECAMATAN}),
    ("kabupaten",): frozenset({AreaLevel.KABUPATEN}),
    ("kab",): frozenset({AreaLevel.KABUPATEN}),
    ("kota",): frozenset({AreaLevel.KOTA}),
    ("provinsi",): frozenset({AreaLevel.PROVINSI}),
    ("prov",): frozenset({AreaLevel.PROVINSI}),
    ("prop",): frozenset({AreaLevel.PROVINSI}),
}


def split_level_prefix(query: str) -> tuple[frozenset[AreaLevel], str]:
    """Split a normalised query into the levels its leading word names and the rest.

    ``"desa sampanahan"`` gives ``({desa}, "sampanahan")``; a query that is only a level word, or
    has none, is returned whole with no levels.
    """
    words = query.split(" ")
    if len(words) < 2:
        return frozenset(), query
    levels = _PREFIX_LEVELS.get((words[0],))
    if levels is None:
        return frozenset(), query
    return levels, " ".join(words[1:])


def strip_level_word(level: AreaLevel, name: str) -> str:
    """The normalised name without the level word it carries ("Kabupaten Kotabaru" → "kotabaru").

    Only kabupaten, kota and province names carry their level word in Kemendagri lists; other
    names are returned normalised but otherwise whole, so a village called "Kota Raja" keeps it.
    """
    normalized = normalize_name(name)
    words_by_level = {
        AreaLevel.KABUPATEN: ("kabupaten ", "kab "),
        AreaLevel.KOTA: ("kota ",),
        AreaLevel.PROVINSI: ("provinsi ", "prov "),
    }
    for word in words_by_level.get(level, ()):
        if normalized.startswith(word):
            return normalized[len(word) :]
    return normalized


_SHORT_PREFIX = {
    AreaLevel.PROVINSI: "Prov.",
    AreaLevel.KABUPATEN: "Kab.",
    AreaLevel.KOTA: "Kota",
    AreaLevel.KECAMATAN: "Kec.",
    AreaLevel.DESA: "Desa",
    AreaLevel.KELURAHAN: "Kel.",
}

_LONG_PREFIX = {
    AreaLevel.PROVINSI: "Provinsi",
    AreaLevel.KABUPATEN: "Kabupaten",
    AreaLevel.KOTA: "Kota",
    AreaLevel.KECAMATAN: "Kecamatan",
    AreaLevel.DESA: "Desa",
    AreaLevel.KELURAHAN: "Kelurahan",
}


def _bare_name(level: AreaLevel, name: str) -> str:
    stripped = name.strip()
    lowered = stripped.casefold()
    for word in ("kabupaten ", "kab. ", "kota ", "provinsi "):
        if lowered.startswith(word) and level in {
            AreaLevel.KABUPATEN,
            AreaLevel.KOTA,
            AreaLevel.PROVINSI,
        }:
            return stripped[len(word) :].strip()
    return stripped


def short_label(level: AreaLevel, name: str) -> str:
    """Compact label with the level word, as in lists: "Kec. Sampanahan", "Kab. Kotabaru"."""
    return f"{_SHORT_PREFIX[level]} {_bare_name(level, name)}"


def display_name(level: AreaLevel, name: str) -> str:
    """Full label with the level word: "Kecamatan Sampanahan", "Desa Sampanahan"."""
    return f"{_LONG_PREFIX[level]} {_bare_name(level, name)}"
