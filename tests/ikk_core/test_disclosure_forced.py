"""`suppress(..., forced=...)`: cells hidden in another view are hidden here and protected by
the same rules, so a second view of the same families leaks nothing by subtraction either."""

from __future__ import annotations

from ikk_core.disclosure import suppress
from tests.ikk_core.test_disclosure import hidden_of, leaks, village_counts

A, B, C = "63.02.12.2001", "63.02.12.2002", "63.02.12.2005"
KEC = "63.02.12"


def test_a_forced_cell_is_hidden_and_cannot_be_worked_out_from_its_parent() -> None:
    counts = village_counts({A: [9], B: [12], C: [20]})
    assert not any(hidden_of(suppress(counts, 5), code) for code in (A, B, C, KEC))
    forced = suppress(village_counts({A: [1]}), 5)  # the other view differs by 1 family in A
    result = suppress(counts, 5, forced=forced)
    assert hidden_of(result, A) and hidden_of(result, KEC)  # so A is not kecamatan - B - C
    assert not hidden_of(result, B) and not hidden_of(result, C)
    assert not leaks(result, counts)


def test_a_parent_forced_hidden_takes_its_only_child_with_it() -> None:
    counts = village_counts({A: [0], B: [12]})
    forced = suppress(village_counts({A: [1]}), 5)  # the kecamatan differs by 1 family
    result = suppress(counts, 5, forced=forced)
    assert hidden_of(result, KEC) and hidden_of(result, B)  # B would be the kecamatan
    assert not hidden_of(result, A)  # nothing here to hide
