"""An IKK category as officials read it: "Kategori 3 dari 3 (tertinggi)".

A bare "Kategori 2" does not say whether 2 is good; its position among the instrument's bands,
with the ends named, does. Pure text, shared by the report, the chart caption and the workbook.
"""

from __future__ import annotations

from collections.abc import Sequence

from ikk_core.instrument import Band

__all__ = ["category_rank"]


def category_rank(band: Band | None, bands: Sequence[Band]) -> str:
    """ "Kategori 3 dari 3 (tertinggi)"; the band's own name when it is not a "Kategori N" name;
    "tanpa kategori" without a band."""
    if band is None:
        return "tanpa kategori"
    ordered = sorted(bands, key=lambda b: b.min)
    if band not in ordered:
        return band.name
    position = ordered.index(band) + 1
    total = len(ordered)
    end = ""
    if total > 1 and position == total:
        end = " (tertinggi)"
    elif total > 1 and position == 1:
        end = " (terendah)"
    rank = f"{position} dari {total}{end}"
    if band.name.strip().casefold() == f"kategori {position}":
        return f"Kategori {rank}"
    return f"{band.name} (kategori {rank})"
