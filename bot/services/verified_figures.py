"""Figures over verified families only (`/ikk <area> terverifikasi`): what the report reads
instead of the village counts (the verified counts, kept like them), and what it must hide
besides.

An area's figure over its verified families next to the same figure over all its families gives,
by subtraction, the figure of the families NOT verified. So a reader who is not the admin gets
the verified view decided with the cells where that remainder is a small group forced hidden
(`ikk_core.disclosure.suppress(..., forced=...)`): the remainder is decided like any published
view, over the whole province's counts, and the verified view then protects the forced cells by
the usual rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.repositories.scores import (
    IndicatorCount,
    VerifiedCounts,
    applicable_by_child,
    indicator_counts,
)

__all__ = ["VERIFIED_WORDS", "VerifiedView", "read_verified", "split_verified"]

VERIFIED_WORDS: Final = frozenset({"terverifikasi", "verifikasi", "verified"})
_SPACES = re.compile(r"\s+")


def split_verified(text: str) -> tuple[str, bool]:
    """ "Sampanahan terverifikasi 2025" → ("Sampanahan 2025", True)."""
    words = _SPACES.split(text.strip())
    kept = [w for w in words if w.casefold() not in VERIFIED_WORDS]
    return " ".join(kept), len(kept) != len(words)


@dataclass(frozen=True)
class VerifiedView:
    """What a verified-only report needs beside the verified counts themselves."""

    all_families: int
    """Submitted families of the area in the chosen period, verified or not ("x dari y")."""
    remainder: tuple[IndicatorCount, ...]
    """All minus verified, per village (and per sibling area above it) and indicator."""


def _families(rows: Sequence[IndicatorCount], period: int) -> int:
    per_village: dict[str, int] = {}
    for row in rows:
        if row.period == period:
            per_village[row.village_code] = max(per_village.get(row.village_code, 0),
                                                row.families)
    return sum(per_village.values())


def _minus(
    every: Sequence[IndicatorCount], verified: Sequence[IndicatorCount]
) -> tuple[IndicatorCount, ...]:
    taken = {(r.period, r.village_code, r.indicator): r for r in verified}
    out = []
    for row in every:
        less = taken.get((row.period, row.village_code, row.indicator))
        if less is None:
            out.append(row)
            continue
        out.append(IndicatorCount(
            row.period, row.village_code, row.indicator,
            max(0, row.families - less.families), max(0, row.met - less.met),
            max(0, row.applicable - less.applicable), max(0, row.outdated - less.outdated),
        ))
    return tuple(out)


async def read_verified(
    session: AsyncSession,
    area_code: str,
    periods: Sequence[int],
    *,
    period: int,
    path: Sequence[tuple[str, str]],
    all_counts: Sequence[IndicatorCount],
    all_tree: Sequence[IndicatorCount],
    instrument_id: str,
    instrument_version: str,
) -> tuple[list[IndicatorCount], list[IndicatorCount], VerifiedView]:
    """The verified counts of the area's villages, the verified sibling sums along `path`
    ((below, above) pairs up to the province; empty for a reader who sees everything), and the
    view's remainder against the rows of all families already read. The same reads as the
    usual report, on the verified counts (`verified_indicator_count`)."""
    counts = await indicator_counts(
        session, area_code, periods, instrument_id=instrument_id,
        instrument_version=instrument_version, table=VerifiedCounts,
    )
    tree: list[IndicatorCount] = []
    for below, above in path:
        tree += await applicable_by_child(session, above, below, periods, VerifiedCounts)
    view = VerifiedView(
        all_families=_families(all_counts, period),
        remainder=_minus([*all_counts, *all_tree], [*counts, *tree]),
    )
    return counts, tree, view
