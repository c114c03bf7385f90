"""Family-level scoring: answers → each indicator 1 (meets), 0 (does not) or NA (does not apply).

Two paths with one meaning. `score_family` scores one family with plain Python: the bot calls it
at submit and the tests use it as the reference. `score_frame` scores a whole table of families at
once with vectorised expressions (no Python loop per family) for files and rescoring. Both first
drop answers to questions that are not relevant, as ODK does, so a stale answer never scores, and
both give each family the poverty line of its kabupaten as `${GARIS_KEMISKINAN}`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from ikk_core.expressions import Value, compile_expression
from ikk_core.frame_rules import as_categories, rule_mask
from ikk_core.instrument import Instrument, Settings, band_for
from ikk_core.results import FamilyResult
from ikk_core.values import effective_answers

POVERTY_LINE = "GARIS_KEMISKINAN"
#: dtype of a scores column: 1 / 0, and <NA> where the indicator does not apply.
SCORE_DTYPE = "Int8"

BoolArray = npt.NDArray[np.bool_]


def score_family(
    instrument: Instrument, answers: Mapping[str, Value], area_code: str | None
) -> FamilyResult:
    """One family's indicator scores, family score (met/applicable·100) and band."""
    values: dict[str, Value] = effective_answers(instrument, answers)
    values[POVERTY_LINE] = instrument.settings.poverty_line_for(area_code)
    scores: dict[str, int | None] = {}
    for indicator in instrument.indicators:
        if indicator.applies_if and not compile_expression(indicator.applies_if).test(values):
            scores[indicator.code] = None
        else:
            scores[indicator.code] = 1 if compile_expression(indicator.meets_if).test(values) else 0
    applicable = sum(1 for s in scores.values() if s is not None)
    met = sum(1 for s in scores.values() if s == 1)
    score = 100.0 * met / applicable if applicable else None
    return FamilyResult(
        scores=scores,
        applicable=applicable,
        met=met,
        score=score,
        band=band_for(instrument.settings.family_bands, score),
    )


def poverty_lines(settings: Settings, area_codes: pd.Series) -> npt.NDArray[np.float64]:
    """Each family's poverty line, looked up once per distinct area code (not once per family)."""
    ids, uniques = pd.factorize(area_codes.astype(object), use_na_sentinel=True)
    lines = [settings.poverty_line_for(str(code)) for code in uniques]
    lines.append(settings.poverty_line_for(None))  # id -1 (no area code) picks the default
    return np.asarray(lines, dtype=np.float64)[ids]


def _rule_refs(instrument: Instrument) -> set[str]:
    """Names read by relevance and indicator rules: the columns worth turning into categories."""
    sources = [q.relevant for q in instrument.questions if q.relevant]
    for indicator in instrument.indicators:
        sources.append(indicator.meets_if)
        if indicator.applies_if:
            sources.append(indicator.applies_if)
    return {ref for source in sources for ref in compile_expression(source).refs}


def effective_frame(instrument: Instrument, answers: pd.DataFrame) -> pd.DataFrame:
    """The answers that count, vectorised: a non-relevant question's answers become empty.

    Relevance is evaluated in questionnaire order against the answers kept so far (earlier
    questions only), exactly like `values.effective_answers` for one family.
    """
    read_by_rules = _rule_refs(instrument)
    kept: dict[str, pd.Series] = {}
    for question in instrument.questions:
        if not question.answerable or question.name not in answers.columns:
            continue
        column = answers[question.name]
        if question.name in read_by_rules:
            column = as_categories(column)
        if question.relevant:
            relevant = rule_mask(compile_expression(question.relevant), kept, answers.index)
            if not relevant.all():
                column = column.where(relevant)
        kept[question.name] = column
    return pd.DataFrame(kept, index=answers.index, copy=False)


def score_frame(
    instrument: Instrument, answers: pd.DataFrame, area_codes: pd.Series
) -> pd.DataFrame:
    """Indicator scores of every family (row) of `answers`: columns are indicator codes, dtype
    nullable Int8 (1, 0, <NA> = does not apply). `area_codes` holds each row's village code, by
    position; it sets the poverty line (`${GARIS_KEMISKINAN}`) of each family."""
    frame = effective_frame(instrument, answers)
    columns: dict[str, pd.Series] = {name: frame[name] for name in frame.columns}
    if len(area_codes) != len(answers):
        raise ValueError(f"{len(area_codes)} area codes for {len(answers)} families")
    codes = pd.Series(np.asarray(area_codes, dtype=object))  # by position, never by label
    columns[POVERTY_LINE] = pd.Series(
        poverty_lines(instrument.settings, codes), index=answers.index
    )
    tested: dict[str, BoolArray] = {}

    def test(source: str) -> BoolArray:
        # Many indicators share an applicability rule (`${P_ANAK} = 'ya'`): evaluate each once.
        if source not in tested:
            tested[source] = rule_mask(compile_expression(source), columns, answers.index)
        return tested[source]

    out: dict[str, pd.arrays.IntegerArray] = {}
    everyone = np.ones(len(answers), dtype=np.bool_)
    for indicator in instrument.indicators:
        applies = test(indicator.applies_if) if indicator.applies_if else everyone
        meets = test(indicator.meets_if)
        out[indicator.code] = pd.arrays.IntegerArray(meets.astype(np.int8), ~applies)
    return pd.DataFrame(out, index=answers.index, copy=False)


def family_scores(instrument: Instrument, scores: pd.DataFrame) -> pd.DataFrame:
    """Per family: `applicable`, `met` and `score` (met/applicable·100, NaN if nothing applies)."""
    codes = [i.code for i in instrument.indicators]
    block = scores[codes].to_numpy(dtype=np.float32, na_value=np.nan)
    applicable = (~np.isnan(block)).sum(axis=1)
    met = (block == 1).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(applicable > 0, 100.0 * met / np.maximum(applicable, 1), np.nan)
    return pd.DataFrame(
        {"applicable": applicable, "met": met, "score": score}, index=scores.index
    )
