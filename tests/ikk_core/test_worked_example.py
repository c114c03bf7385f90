"""The worked example of the instrument spec (families A, B, C of one village), from answers.

The three families are written as a cadre would answer them, parsed by `values.parse_answer` and
scored through the default instrument, once by the scalar path (`score_family` + the plain-Python
aggregation) and once by the vectorised path (`score_frame` + `aggregate`). Every expected number is
derived by hand in the comments from the rules of the spec:

    I_i  = 100 × (families scoring 1) / (families scoring 0 or 1); nobody applicable → no value
    D_d  = mean of the I_i of dimension d that have a value (equal weights)
    IKK  = mean of the five D_d (equal weights); red when I_i < 75; Kategori 3 when IKK ≥ 75
    family score = 100 × met / applicable; baik ≥ 75
    KE2 meets when P_PENDAPATAN div H_ANGGOTA ≥ 600.000 (default poverty line)
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from ikk_core.aggregation import aggregate
from ikk_core.answers_table import typed_column
from ikk_core.expressions import Value
from ikk_core.formatting import format_value
from ikk_core.instrument import Instrument
from ikk_core.instrument_io import load_default_instrument
from ikk_core.plain_aggregation import aggregate_families
from ikk_core.results import AreaResult
from ikk_core.scoring import score_family, score_frame
from ikk_core.values import parse_answer

VILLAGE = "63.02.12.2005"

# Family A: couple, no children, no elderly, 2 members, income 2.000.000 (1.000.000 per capita).
# Every positive question "Ya", every negative one (KF3, KSP1, KSP3, KSB5) "Tidak". Questions
# that do not apply (children, elderly) are not asked, so they are absent.
FAMILY_A = {
    "H_KEPALA": "Keluarga A", "H_RT": "1", "H_ANGGOTA": "2",
    "P_PASANGAN": "Ya", "P_ANAK": "Tidak", "P_LANSIA": "Tidak", "P_PENDAPATAN": "2.000.000",
    "LS1": "Ya", "LS3": "Ya",
    "KF1": "Ya", "KF3": "Tidak",
    "KE1": "Ya", "KE3": "Ya", "KE6": "Ya", "KE7": "Ya",
    "KSP1": "Tidak", "KSP3": "Tidak", "KSP4": "Ya", "KSP5": "Ya", "KSP6": "Ya",
    "KSB2": "Ya", "KSB3": "Ya", "KSB4": "Ya", "KSB5": "Tidak",
}
# Family B: couple; balita Ya, baduta Tidak, birth in 2 years Tidak, school-age Ya; no elderly;
# 5 members, income 2.000.000 (400.000 per capita). As A, except LS2 Tidak, KE5 Tidak, KE8 Ya
# (a child works), KSP2 Ya (physical punishment); KF4, KE4, KSB6 Ya; KF2 Tidak (no balita
# undernourished: met).
FAMILY_B = {
    **FAMILY_A,
    "H_KEPALA": "Keluarga B", "H_ANGGOTA": "5", "P_PENDAPATAN": "2 juta",
    "P_ANAK": "YA", "P_BALITA": "ya", "P_BADUTA": "tidak", "P_LAHIR2": "0", "P_SEKOLAH": "1",
    "LS2": "Tidak", "KF2": "Tidak", "KF4": "Ya", "KE4": "Ya", "KE5": "Tidak", "KE8": "Ya",
    "KSP2": "Ya", "KSB6": "Ya",
}
# Family C: no couple; balita Tidak, birth in 2 years Tidak, school-age Ya; elderly Ya;
# 3 members, income 1.500.000 (500.000 per capita). KF1, KE1, KE6 Tidak; every other applicable
# indicator met (KSB1 Ya). No couple: LS1, LS3, KSP1, KSP5, KSP6 are not asked.
FAMILY_C = {
    "H_KEPALA": "Keluarga C", "H_RT": "2", "H_ANGGOTA": "3",
    "P_PASANGAN": "Tidak", "P_ANAK": "Ya", "P_BALITA": "Tidak", "P_LAHIR2": "Tidak",
    "P_SEKOLAH": "Ya", "P_LANSIA": "Ya", "P_PENDAPATAN": "Rp 1.500.000",
    "LS2": "Ya",
    "KF1": "Tidak", "KF3": "Tidak", "KF4": "Ya",
    "KE1": "Tidak", "KE3": "Ya", "KE4": "Ya", "KE5": "Ya", "KE6": "Tidak", "KE7": "Ya",
    "KE8": "Tidak",
    "KSP2": "Tidak", "KSP3": "Tidak", "KSP4": "Ya",
    "KSB1": "Ya", "KSB2": "Ya", "KSB3": "Ya", "KSB4": "Ya", "KSB5": "Tidak", "KSB6": "Ya",
}
TYPED = {"A": FAMILY_A, "B": FAMILY_B, "C": FAMILY_C}


def codes(text: str) -> set[str]:
    return set(text.split())


@pytest.fixture(scope="module")
def instrument() -> Instrument:
    return load_default_instrument()


def parsed(instrument: Instrument, typed: dict[str, str]) -> dict[str, Value]:
    return {
        name: parse_answer(instrument, instrument.question(name), raw)
        for name, raw in typed.items()
    }


def scalar_village(instrument: Instrument) -> AreaResult:
    """Scalar path: score each family at "submit", then the plain-Python aggregation."""
    families = [score_family(instrument, parsed(instrument, t), VILLAGE) for t in TYPED.values()]
    return aggregate_families(instrument, families, VILLAGE, "Sampanahan", "desa")


def vectorised_village(instrument: Instrument) -> AreaResult:
    """Vectorised path: the three families as one frame, scored and aggregated with pandas."""
    answers = [parsed(instrument, t) for t in TYPED.values()]
    index = pd.RangeIndex(len(answers))
    frame = pd.DataFrame(
        {
            q.name: typed_column(q, [a.get(q.name) for a in answers], index)
            for q in instrument.questions
            if q.answerable
        }
    )
    scores = score_frame(instrument, frame, pd.Series([VILLAGE] * len(answers)))
    return aggregate(instrument, scores, VILLAGE, "Sampanahan", "desa")


PATHS: dict[str, Callable[[Instrument], AreaResult]] = {
    "scalar": scalar_village,
    "vectorised": vectorised_village,
}


@pytest.fixture(scope="module", params=list(PATHS))
def village(request: pytest.FixtureRequest, instrument: Instrument) -> AreaResult:
    return PATHS[request.param](instrument)


def test_family_a_meets_all_18_applicable_indicators_and_is_baik(instrument: Instrument) -> None:
    result = score_family(instrument, parsed(instrument, FAMILY_A), VILLAGE)
    # Applicable: LS1 LS3 KF1 KF3 KE1 KE2 KE3 KE6 KE7 KSP1 KSP3 KSP4 KSP5 KSP6 KSB2-5 = 18.
    # KE2: 2.000.000 div 2 = 1.000.000 ≥ 600.000 → met. 18/18 × 100 = 100 → baik.
    applicable = {c for c, s in result.scores.items() if s is not None}
    assert applicable == codes(
        "LS1 LS3 KF1 KF3 KE1 KE2 KE3 KE6 KE7 KSP1 KSP3 KSP4 KSP5 KSP6 KSB2 KSB3 KSB4 KSB5"
    )
    assert (result.applicable, result.met, result.score) == (18, 18, 100.0)
    assert result.band is not None and result.band.name == "baik"


def test_family_b_meets_21_of_26_and_is_baik(instrument: Instrument) -> None:
    result = score_family(instrument, parsed(instrument, FAMILY_B), VILLAGE)
    # A's 18 + children: LS2 KF2 KF4 KE4 KE5 KE8 KSP2 KSB6 = 26 (KF5: no baduta, KF6: no birth).
    # Not met: LS2, KE5, KE8 (child works), KSP2 (punishment), KE2 (2.000.000 div 5 = 400.000
    # < 600.000) → 21 met. 21/26 × 100 = 80,769… → "80,77" → baik (≥ 75).
    assert (result.applicable, result.met) == (26, 21)
    assert result.scores["KF5"] is None and result.scores["KF6"] is None
    assert {c for c, s in result.scores.items() if s == 0} == {"LS2", "KE2", "KE5", "KE8", "KSP2"}
    assert result.score == pytest.approx(2100 / 26)
    assert format_value(result.score) == "80,77"
    assert result.band is not None and result.band.name == "baik"


def test_family_c_meets_17_of_21_and_is_baik(instrument: Instrument) -> None:
    result = score_family(instrument, parsed(instrument, FAMILY_C), VILLAGE)
    # For all: KF1 KF3 KE1 KE2 KE3 KE6 KE7 KSP3 KSP4 KSB2 KSB3 KSB4 KSB5 = 13; children: LS2 KF4
    # KE8 KSP2 KSB6 = 5; school-age: KE4 KE5 = 2; elderly: KSB1 = 1 → 21 applicable.
    # Not met: KF1, KE1, KE6, KE2 (1.500.000 div 3 = 500.000 < 600.000) → 17.
    # 17/21 × 100 = 80,952… → "80,95" → baik.
    assert (result.applicable, result.met) == (21, 17)
    assert {c for c, s in result.scores.items() if s == 0} == {"KF1", "KE1", "KE2", "KE6"}
    assert result.score == pytest.approx(1700 / 21)
    assert format_value(result.score) == "80,95"
    assert result.band is not None and result.band.name == "baik"


# Indicator values (numerator/denominator over A, B, C; "–" = nobody applies):
EXPECTED_INDICATORS: dict[str, tuple[int, int]] = {
    "LS1": (2, 2),  # A 1, B 1 (C no couple)               → 100
    "LS2": (1, 2),  # B 0, C 1 (A no children)             → 50   red
    "LS3": (2, 2),  # A 1, B 1                             → 100
    "KF1": (2, 3),  # A 1, B 1, C 0                        → 66,67 red
    "KF2": (1, 1),  # B 1 (only B has a balita)            → 100
    "KF3": (3, 3),  #                                      → 100
    "KF4": (2, 2),  # B 1, C 1                             → 100
    "KF5": (0, 0),  # nobody has a baduta                  → –
    "KF6": (0, 0),  # nobody gave birth in 2 years         → –
    "KE1": (2, 3),  # C 0                                  → 66,67 red
    "KE2": (1, 3),  # A 1.000.000 ≥ 600.000; B, C below    → 33,33 red
    "KE3": (3, 3),  #                                      → 100
    "KE4": (2, 2),  # B 1, C 1                             → 100
    "KE5": (1, 2),  # B 0, C 1                             → 50   red
    "KE6": (2, 3),  # C 0                                  → 66,67 red
    "KE7": (3, 3),  #                                      → 100
    "KE8": (1, 2),  # B 0 (child works), C 1               → 50   red
    "KSP1": (2, 2),  # A 1, B 1                            → 100
    "KSP2": (1, 2),  # B 0, C 1                            → 50   red
    "KSP3": (3, 3),
    "KSP4": (3, 3),
    "KSP5": (2, 2),
    "KSP6": (2, 2),
    "KSB1": (1, 1),  # only C has elderly                  → 100
    "KSB2": (3, 3),
    "KSB3": (3, 3),
    "KSB4": (3, 3),
    "KSB5": (3, 3),
    "KSB6": (2, 2),  # B 1, C 1                            → 100
}


def test_every_indicator_counts_the_families_it_applies_to(village: AreaResult) -> None:
    assert village.families == 3
    counts = {i.code: (i.numerator, i.denominator) for i in village.indicators}
    assert counts == EXPECTED_INDICATORS
    for code, (n, d) in EXPECTED_INDICATORS.items():
        value = village.indicator(code).value
        assert value == (pytest.approx(100 * n / d) if d else None)


def test_dimension_indices_are_means_of_indicators_with_a_value(village: AreaResult) -> None:
    # LS  = (100 + 50 + 100) / 3                                    = 83,333…
    # KF  = (66,667 + 100 + 100 + 100) / 4  (KF5, KF6 left out)     = 91,667…
    # KE  = (66,667 + 33,333 + 100 + 100 + 50 + 66,667 + 100 + 50) / 8 = 566,667 / 8 = 70,833…
    # KSP = (100 + 50 + 100 + 100 + 100 + 100) / 6                  = 91,667…
    # KSB = 600 / 6                                                 = 100
    expected = {
        "LS": 250 / 3,
        "KF": (200 / 3 + 300) / 4,
        "KE": (200 / 3 + 100 / 3 + 100 + 100 + 50 + 200 / 3 + 100 + 50) / 8,
        "KSP": 550 / 6,
        "KSB": 100.0,
    }
    for code, value in expected.items():
        assert village.dimension(code).value == pytest.approx(value)
    shown = [format_value(d.value) for d in village.dimensions]
    assert shown == ["83,33", "91,67", "70,83", "91,67", "100,00"]


def test_ikk_is_87_50_in_kategori_3(village: AreaResult) -> None:
    # IKK = (83,333 + 91,667 + 70,833 + 91,667 + 100) / 5 = 437,5 / 5 = 87,5 → Kategori 3 (≥ 75).
    assert village.ikk == pytest.approx(87.5)
    assert format_value(village.ikk) == "87,50"
    assert village.category is not None and village.category.name == "Kategori 3"
    assert village.method == "dimension_mean"


def test_eight_indicators_are_red_lowest_first(village: AreaResult) -> None:
    # Below 75: KE2 33,33; LS2 KE5 KE8 KSP2 50; KF1 KE1 KE6 66,67 (equal values keep list order).
    assert [i.code for i in village.red] == [
        "KE2", "LS2", "KE5", "KE8", "KSP2", "KF1", "KE1", "KE6",
    ]
    assert {i.code for i in village.red} == codes("LS2 KF1 KE1 KE2 KE5 KE6 KE8 KSP2")


def test_kf5_and_kf6_have_no_value_and_are_not_red(village: AreaResult) -> None:
    assert [i.code for i in village.no_value] == ["KF5", "KF6"]
    assert format_value(village.indicator("KF5").value) == "–"


def test_flat_mean_method_gives_86_42(instrument: Instrument) -> None:
    # 27 indicators have a value. Their sum: nineteen at 100 = 1900; three at 66,667 = 200;
    # KE2 33,333; four at 50 = 200 → 2333,33. Flat mean = 2333,33 / 27 = 86,419… → "86,42".
    from dataclasses import replace

    flat = replace(instrument, settings=replace(instrument.settings, aggregation="flat_mean"))
    for path in PATHS.values():
        result = path(flat)
        values = [i.value for i in result.indicators if i.value is not None]
        assert len(values) == 27
        assert sum(values) == pytest.approx(7000 / 3)
        assert result.ikk == pytest.approx(7000 / 3 / 27)
        assert format_value(result.ikk) == "86,42"
        assert result.method == "flat_mean"


def test_both_paths_agree_number_for_number(instrument: Instrument) -> None:
    a, b = scalar_village(instrument), vectorised_village(instrument)
    assert a.ikk == pytest.approx(b.ikk)
    assert [(i.code, i.numerator, i.denominator) for i in a.indicators] == [
        (i.code, i.numerator, i.denominator) for i in b.indicators
    ]
