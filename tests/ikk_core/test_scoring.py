"""Family scoring through the default instrument: NA, negative events, poverty line, bands."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from ikk_core.answers_table import typed_column
from ikk_core.expressions import Value, compile_expression
from ikk_core.frame_rules import as_categories, rule_mask
from ikk_core.instrument import Instrument
from ikk_core.instrument_io import load_default_instrument
from ikk_core.scoring import (
    SCORE_DTYPE,
    effective_frame,
    family_scores,
    poverty_lines,
    score_family,
    score_frame,
)

_DEFAULT = load_default_instrument()
INSTRUMENT = replace(
    _DEFAULT, settings=replace(_DEFAULT.settings, poverty_lines={"63.02": 800_000.0})
)

# A couple without children or elderly, every answer the good one: 18 indicators apply.
COUPLE: dict[str, Value] = {
    "H_KEPALA": "Siti", "H_RT": 1, "H_ANGGOTA": 2,
    "P_PASANGAN": "ya", "P_ANAK": "tidak", "P_LANSIA": "tidak", "P_PENDAPATAN": 1_500_000,
    "LS1": "ya", "LS3": "ya", "KF1": "ya", "KF3": "tidak", "KE1": "ya", "KE3": "ya", "KE6": "ya",
    "KE7": "ya", "KSP1": "tidak", "KSP3": "tidak", "KSP4": "ya", "KSP5": "ya", "KSP6": "ya",
    "KSB2": "ya", "KSB3": "ya", "KSB4": "ya", "KSB5": "tidak",
}


def frame(families: list[dict[str, Value]], instrument: Instrument = INSTRUMENT) -> pd.DataFrame:
    index = pd.RangeIndex(len(families))
    return pd.DataFrame(
        {
            q.name: typed_column(q, [f.get(q.name) for f in families], index)
            for q in instrument.questions
            if q.answerable
        }
    )


def test_indicators_that_do_not_apply_score_na_not_zero() -> None:
    result = score_family(INSTRUMENT, COUPLE, "63.01.01.2001")
    assert result.scores["LS2"] is None  # no children
    assert result.scores["KSB1"] is None  # no elderly
    assert (result.applicable, result.met, result.score) == (18, 18, 100.0)


def test_negative_events_are_inverted() -> None:
    violent = score_family(INSTRUMENT, {**COUPLE, "KSP1": "ya"}, None)
    assert violent.scores["KSP1"] == 0
    assert violent.score == pytest.approx(100 * 17 / 18)


def test_family_band_follows_the_family_score() -> None:
    bad = dict(COUPLE, LS1="tidak", LS3="tidak", KF1="tidak", KF3="ya", KE1="tidak")
    result = score_family(INSTRUMENT, bad, None)
    assert result.score == pytest.approx(100 * 13 / 18)  # 72,2 → sedang
    assert result.band is not None and result.band.name == "sedang"


def test_poverty_line_is_that_of_the_familys_kabupaten() -> None:
    # 1.500.000 / 2 = 750.000 per capita: above the default 600.000, below 63.02's 800.000.
    assert score_family(INSTRUMENT, COUPLE, "63.01.01.2001").scores["KE2"] == 1
    assert score_family(INSTRUMENT, COUPLE, "63.02.12.2005").scores["KE2"] == 0
    assert score_family(INSTRUMENT, COUPLE, None).scores["KE2"] == 1


def test_poverty_lines_are_looked_up_per_area_for_the_whole_table() -> None:
    codes = pd.Series(["63.02.12.2005", None, "63.01.01.2001", "63.02.01.2001"], dtype=object)
    lines = poverty_lines(INSTRUMENT.settings, codes)
    assert lines.tolist() == [800_000.0, 600_000.0, 600_000.0, 800_000.0]


def test_unanswered_required_indicator_question_scores_zero_not_na() -> None:
    # An applicable indicator whose question was left empty is not met: NA only means "does
    # not apply". (Files with such rows are rejected before scoring; this is the rule itself.)
    result = score_family(INSTRUMENT, {k: v for k, v in COUPLE.items() if k != "KE1"}, None)
    assert result.scores["KE1"] == 0


def test_answers_left_from_questions_that_no_longer_apply_are_ignored() -> None:
    # The cadre first said there were children, answered LS2, then corrected P_ANAK to "tidak".
    stale = {**COUPLE, "LS2": "tidak", "P_BALITA": "ya", "KF2": "tidak"}
    assert score_family(INSTRUMENT, stale, None) == score_family(INSTRUMENT, COUPLE, None)
    scores = score_frame(INSTRUMENT, frame([stale, COUPLE]), pd.Series([None, None]))
    assert scores.iloc[0].equals(scores.iloc[1])
    assert effective_frame(INSTRUMENT, frame([stale]))["LS2"].isna().all()


def test_score_frame_gives_nullable_small_integers_one_row_per_family() -> None:
    families = [COUPLE, {**COUPLE, "P_ANAK": "ya", "P_BALITA": "tidak", "P_LAHIR2": "tidak",
                         "P_SEKOLAH": "tidak", "LS2": "ya", "KF4": "ya", "KE8": "ya",
                         "KSP2": "tidak", "KSB6": "ya"}]
    scores = score_frame(INSTRUMENT, frame(families), pd.Series(["63.01.01.2001"] * 2))
    assert list(scores.columns) == [i.code for i in INSTRUMENT.indicators]
    assert set(scores.dtypes.astype(str)) == {SCORE_DTYPE}
    assert scores["LS2"].isna().tolist() == [True, False]
    assert scores["KE8"].tolist()[1] == 0  # a child works: the negative event happened
    per_family = family_scores(INSTRUMENT, scores)
    assert per_family["applicable"].tolist() == [18, 23]
    assert per_family["met"].tolist() == [18, 22]


def test_score_frame_keeps_the_index_of_the_answers() -> None:
    answers = frame([COUPLE, COUPLE]).set_axis([10, 20])
    scores = score_frame(INSTRUMENT, answers, pd.Series(["63.02.01.2001", None], index=[10, 20]))
    assert scores.index.tolist() == [10, 20]
    assert scores["KE2"].tolist() == [0, 1]  # 63.02's line is 800.000; no area: 600.000


def test_categorical_and_plain_columns_give_the_same_rule_results() -> None:
    index = pd.RangeIndex(6)
    a = pd.Series(["ya", "tidak", None, "ya", "", "tidak"], index=index, dtype=object)
    b = pd.Series(["tidak", "tidak", "ya", None, "ya", "ya"], index=index, dtype=object)
    for source in ("${A} = 'ya' and ${B} != 'ya'", "${A} = '' or not(${B} = 'tidak')",
                   "coalesce(${A}, ${B}) = 'ya'", "string-length(${A}) > 2"):
        rule = compile_expression(source)
        direct = rule_mask(rule, {"A": a, "B": b}, index)
        coded = rule_mask(rule, {"A": as_categories(a), "B": as_categories(b)}, index)
        by_row = np.array(
            [rule.test({"A": a[i], "B": b[i]}) for i in range(len(index))], dtype=np.bool_
        )
        assert isinstance(as_categories(a).dtype, pd.CategoricalDtype)
        assert coded.tolist() == direct.tolist() == by_row.tolist(), source


def test_constraints_see_the_current_answer_through_categories_too() -> None:
    index = pd.RangeIndex(3)
    current = pd.Series(["ab", "a", None], index=index, dtype=object)
    rule = compile_expression("string-length(.) >= 2")
    assert rule_mask(rule, {}, index, current=as_categories(current)).tolist() == [
        True, False, False,
    ]


def test_area_codes_of_another_length_are_refused() -> None:
    with pytest.raises(ValueError, match="1 area codes for 2 families"):
        score_frame(INSTRUMENT, frame([COUPLE, COUPLE]), pd.Series(["63.02.01.2001"]))
