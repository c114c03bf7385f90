"""Small-cell suppression that also holds when a reader subtracts one published figure from another.

A pejabat must never learn an indicator over fewer than `min_cell` families: with one applicable
family, "1/1" IS that family's answer. Hiding the small cell alone is not enough, because a
kecamatan's published count minus its other villages' published counts gives the hidden village
back. So the decision is made for the whole area tree at once (every village with data, and every
kecamatan, kabupaten and province above them), per indicator, on n = the applicable families
(the denominator; the numerator is never published without it):

a. primary: a cell with 0 < n < min_cell is hidden;
b. complementary, at every node P: when the hidden children of P with n > 0 hold together fewer
   than min_cell families, more children are hidden, smallest n first (ties by code), until they
   hold at least min_cell or none is left;
c. non-derivability: a hidden node with n > 0 whose children are all published (so it is their
   sum) gets its smallest child with n > 0 hidden.

b and c feed each other, so they are repeated until nothing changes. Then for every node,
published parent minus published children reveals nothing or a group of at least min_cell
families. Because the decision covers the whole tree, it is the same whoever asks and whichever
area is asked. Pure: numpy only, no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from ikk_core.aggregation import Counts, rollup_counts
from ikk_core.areas import code_depth, parent_code

__all__ = ["Suppression", "suppress"]

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Suppression:
    """Which cells are hidden: `hidden[g, i]` for area `codes[g]` and indicator column i.

    `codes` are every village given and every area above them (the `rollup_counts` order).
    """

    codes: tuple[str, ...]
    hidden: BoolArray
    min_cell: int

    def row(self, code: str, n_indicators: int) -> BoolArray:
        """The hidden flags of one area; an area without data has nothing to hide."""
        index = self._index.get(code)
        if index is None:
            return np.zeros(n_indicators, dtype=bool)
        return np.asarray(self.hidden[index], dtype=bool)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {code: g for g, code in enumerate(self.codes)}


def _children_by_parent(codes: tuple[str, ...]) -> list[tuple[int, IntArray]]:
    """(parent row, child rows ordered by code) for every node with children, top-down."""
    row_of = {code: g for g, code in enumerate(codes)}
    children: dict[int, list[int]] = defaultdict(list)
    for g, code in enumerate(codes):
        parent = parent_code(code)
        if parent is not None and parent in row_of:
            children[row_of[parent]].append(g)
    ordered = sorted(children, key=lambda p: (code_depth(codes[p]), codes[p]))
    return [
        (p, np.asarray(sorted(children[p], key=lambda g: codes[g]), dtype=np.int64))
        for p in ordered
    ]


def _complement(n: IntArray, hidden: BoolArray, kids: IntArray, min_cell: int) -> bool:
    """Rule b at one parent, all indicators at once; True when a cell was hidden."""
    sub_n = n[kids]
    sub_hidden = hidden[kids]
    mass = np.where(sub_hidden & (sub_n > 0), sub_n, 0).sum(axis=0)
    short = np.flatnonzero((mass > 0) & (mass < min_cell))
    changed = False
    for j in short.tolist():
        # Candidates in code order already; a stable sort on n keeps ties by code.
        candidates = [k for k in np.argsort(sub_n[:, j], kind="stable").tolist()
                      if sub_n[k, j] > 0 and not sub_hidden[k, j]]
        total = int(mass[j])
        for k in candidates:
            if total >= min_cell:
                break
            hidden[kids[k], j] = True
            total += int(sub_n[k, j])
            changed = True
    return changed


def _not_derivable(n: IntArray, hidden: BoolArray, parent: int, kids: IntArray) -> bool:
    """Rule c at one parent; True when a cell was hidden."""
    sub_n = n[kids]
    covered = (hidden[kids] & (sub_n > 0)).any(axis=0)
    exposed = np.flatnonzero(hidden[parent] & (n[parent] > 0) & ~covered)
    for j in exposed.tolist():
        sizes = np.where(sub_n[:, j] > 0, sub_n[:, j], np.iinfo(np.int64).max)
        hidden[kids[int(np.argmin(sizes))], j] = True  # argmin takes the first: ties by code
    return exposed.size > 0


def suppress(villages: Counts, min_cell: int, *, forced: Suppression | None = None) -> Suppression:
    """The hidden cells of every village in `villages` and every area above them.

    `villages` must hold the counts of ALL villages with data in the period (the whole
    province), or a differencing between two areas could meet a decision made without them.
    Cells hidden in `forced` (by area code) are hidden here too, as primary cells, and the
    rules b and c then protect them like any other: a second view of the same families (e.g.
    verified families only) is decided with the cells where it differs from the first view by
    a small group forced, so subtracting the two views reveals no small group either.
    """
    if min_cell < 1:
        raise ValueError("min_cell must be at least 1")
    tree = rollup_counts(villages) if villages.codes else villages
    n = np.asarray(tree.denominator, dtype=np.int64)
    hidden = (n > 0) & (n < min_cell)
    if forced is not None:
        for g, code in enumerate(tree.codes):
            hidden[g] |= forced.row(code, n.shape[1]) & (n[g] > 0)
    families = _children_by_parent(tree.codes)
    changed = bool(hidden.any())
    while changed:
        changed = False
        for parent, kids in families:
            changed |= _complement(n, hidden, kids, min_cell)
            changed |= _not_derivable(n, hidden, parent, kids)
    return Suppression(tree.codes, hidden, min_cell)
