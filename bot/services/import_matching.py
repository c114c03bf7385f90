"""Which family a row of an import file is: the decisions, with no database in sight.

`family_import` reads the candidate families of a chunk of rows and writes what is decided
here: new, changed, unchanged, a duplicate of another family, or refused. The rules:

- A row's key is (`sumber`, `id_luar`, period), or without `id_luar` (`sumber`, village,
  period, RT, normalised head name): the chat's duplicate rule.
- A row repeating an earlier row of the file (same key, or the same family from elsewhere) is
  refused with that row's line.
- A row whose identity (village, period, RT, head name) is a family entered in chat, or from
  another source, is a duplicate: reported with that family's id, never stored. Two records of
  one source with their own different ids are trusted to be different families.
- A matched family with the same digest is unchanged; a village never changes by import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.db.models import ResponseStatus
from bot.services.import_file import ImportRow
from ikk_core.answers_table import RejectedRow

__all__ = [
    "DuplicateRow",
    "ExistingFamily",
    "Plan",
    "plan_rows",
    "row_key",
    "within_file",
]


@dataclass(frozen=True)
class DuplicateRow:
    """A row not stored because a family with its identity exists (entered in chat, or from
    another source)."""

    line: int
    family_id: int
    origin: str
    """"chat" or the other family's source."""


@dataclass
class ExistingFamily:
    """A family already stored, as far as matching needs it."""

    family_id: int
    response_id: int
    village: str
    period: int
    rt: int
    head_norm: str
    source: str | None
    external_id: str | None
    digest: str | None
    status: ResponseStatus

    @property
    def identity(self) -> tuple[str, int, int, str]:
        return (self.village, self.period, self.rt, self.head_norm)


def row_key(row: ImportRow) -> tuple[Any, ...]:
    """What makes a row the same family at the next import (see the module docstring)."""
    if row.external_id is not None:
        return ("id", row.source, row.external_id, row.period)
    return ("identity", row.source, *row.identity)


def _key_of_existing(family: ExistingFamily) -> tuple[Any, ...]:
    if family.external_id is not None:
        return ("id", family.source, family.external_id, family.period)
    return ("identity", family.source, *family.identity)


def _distinct_by_source(a_source: str | None, a_id: str | None,
                        b_source: str | None, b_id: str | None) -> bool:
    """Two records of one source with their own ids: the source says they differ."""
    return a_source is not None and a_source == b_source and a_id is not None and b_id is not None


def within_file(rows: Sequence[ImportRow]) -> tuple[list[ImportRow], list[RejectedRow]]:
    """Rows that repeat an earlier row of the file (same key, or the same family from another
    source) are refused with that row's line; the others are kept, in file order."""
    kept: list[ImportRow] = []
    rejected: list[RejectedRow] = []
    seen: dict[tuple[Any, ...], int] = {}
    claimed: dict[tuple[str, int, int, str], list[ImportRow]] = {}
    for row in rows:
        key = row_key(row)
        if key in seen:
            what = f"id_luar {row.external_id}" if row.external_id else "keluarga yang sama"
            rejected.append(RejectedRow(row.line, f"{what} sudah ada di baris {seen[key]}"))
            continue
        earlier = next(
            (e for e in claimed.get(row.identity, [])
             if not _distinct_by_source(row.source, row.external_id, e.source, e.external_id)),
            None,
        ) if row.head_norm and row.rt > 0 else None
        if earlier is not None:
            rejected.append(RejectedRow(
                row.line,
                f"keluarga yang sama (nama kepala keluarga, RT, desa) sudah ada di baris "
                f"{earlier.line}",
            ))
            continue
        seen[key] = row.line
        claimed.setdefault(row.identity, []).append(row)
        kept.append(row)
    return kept, rejected


@dataclass
class Plan:
    """The rows of one chunk, sorted by what to do with them."""

    new: list[ImportRow] = field(default_factory=list)
    changed: list[tuple[ImportRow, ExistingFamily]] = field(default_factory=list)
    unchanged: int = 0
    duplicates: list[DuplicateRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    keyed_by_identity: int = 0


def plan_rows(rows: Sequence[ImportRow], existing: Sequence[ExistingFamily]) -> Plan:
    """Decide per row: new, changed, unchanged, duplicate or refused (no writes)."""
    by_key: dict[tuple[Any, ...], ExistingFamily] = {}
    by_identity: dict[tuple[str, int, int, str], list[ExistingFamily]] = {}
    for family in existing:
        if family.source is not None:
            by_key[_key_of_existing(family)] = family
        if family.head_norm and family.rt > 0:
            by_identity.setdefault(family.identity, []).append(family)
    plan = Plan()
    for row in rows:
        own = by_key.get(row_key(row))
        if own is not None and own.village != row.village:
            plan.rejected.append(RejectedRow(
                row.line,
                f"keluarga #{own.family_id} dari impor sebelumnya ada di desa {own.village}, "
                f"bukan {row.village}; desa tidak dapat diubah lewat impor",
            ))
            continue
        other = _conflict(row, own, by_identity.get(row.identity, []))
        if other is not None:
            plan.duplicates.append(other)
            continue
        if row.external_id is None:
            plan.keyed_by_identity += 1
        if own is None:
            plan.new.append(row)
        elif own.digest == row.digest and own.status is ResponseStatus.SUBMITTED:
            plan.unchanged += 1
        else:
            plan.changed.append((row, own))
    return plan


def _conflict(
    row: ImportRow, own: ExistingFamily | None, same_identity: Sequence[ExistingFamily]
) -> DuplicateRow | None:
    """The family this row would double, if any (a chat-entered one first)."""
    if not row.head_norm or row.rt <= 0:
        return None
    candidates = [
        f for f in same_identity
        if (own is None or f.family_id != own.family_id)
        and not _distinct_by_source(row.source, row.external_id, f.source, f.external_id)
    ]
    if not candidates:
        return None
    found = min(candidates, key=lambda f: (f.source is not None, f.family_id))
    return DuplicateRow(row.line, found.family_id, found.source or "chat")
