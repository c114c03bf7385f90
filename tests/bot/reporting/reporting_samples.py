"""Area results and family rows for the chart and workbook tests, computed by `ikk_core`.

The renderers are tested on results the core really produces (not hand-built objects), so a test
that checks "the number in the file equals the AreaResult" checks the path the bot will use.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from bot.reporting.workbook import FamilyRow
from ikk_core.aggregation import aggregate, aggregate_by
from ikk_core.instrument import Instrument, band_for
from ikk_core.instrument_io import load_default_instrument
from ikk_core.results import AreaResult
from ikk_core.scoring import family_scores

VILLAGE = "63.02.12.2005"
OTHER_VILLAGE = "63.02.12.2006"
KECAMATAN = "63.02.12"

# The spec's worked example, as indicator scores (1 meets, 0 does not, absent = does not apply).
# A: couple, no children, no elderly, income 1.000.000 per capita: 18 applicable, all met.
_A_MET = "LS1 LS3 KF1 KF3 KE1 KE2 KE3 KE6 KE7 KSP1 KSP3 KSP4 KSP5 KSP6 KSB2 KSB3 KSB4 KSB5"
FAMILY_A = dict.fromkeys(_A_MET.split(), 1)
# B: as A, plus children (balita, school age), 400.000 per capita: KE2 0; LS2, KE5, KE8, KSP2 0;
# KF2, KF4, KE4, KSB6 met. 26 applicable, 21 met.
FAMILY_B = {
    **FAMILY_A,
    "KE2": 0, "LS2": 0, "KE5": 0, "KE8": 0, "KSP2": 0, "KF2": 1, "KF4": 1, "KE4": 1, "KSB6": 1,
}
# C: no couple, children, elderly, 500.000 per capita: KF1, KE1, KE6, KE2 not met, 17 of 21.
_C_MET = "LS2 KF3 KF4 KE3 KE4 KE5 KE7 KE8 KSP2 KSP3 KSP4 KSB1 KSB2 KSB3 KSB4 KSB5 KSB6"
FAMILY_C = {**dict.fromkeys(_C_MET.split(), 1), "KF1": 0, "KE1": 0, "KE6": 0, "KE2": 0}
WORKED_FAMILIES = (FAMILY_A, FAMILY_B, FAMILY_C)
#: Head-of-family names used in the name tests: each must never appear unless asked for.
HEAD_NAMES = ("Siti Aminah Rahmawati", "Muhammad Rizky Pratama", "Nur Hasanah Khairunnisa")


@cache
def instrument() -> Instrument:
    return load_default_instrument()


def score_table(families: list[dict[str, int]] | tuple[dict[str, int], ...]) -> pd.DataFrame:
    codes = [i.code for i in instrument().indicators]
    rows = [[f.get(c) for c in codes] for f in families]
    return pd.DataFrame(rows, columns=codes, dtype="Int8")


@cache
def worked_example() -> AreaResult:
    """IKK 87,50, Kategori 3, red LS2 KF1 KE1 KE2 KE5 KE6 KE8 KSP2, no value KF5 KF6."""
    return aggregate(instrument(), score_table(WORKED_FAMILIES), VILLAGE, "Sampanahan", "desa")


@cache
def empty_village() -> AreaResult:
    """A village without any family: every indicator without value, no IKK."""
    return aggregate(instrument(), score_table([]), OTHER_VILLAGE, "Hulu Sampanahan", "desa")


def random_scores(families: int, seed: int) -> pd.DataFrame:
    """Scores with per-indicator rates between 40 % and 98 %, about a fifth not applicable,
    and KF5 never applicable: a mix of red, green and no-value indicators."""
    rng = np.random.default_rng(seed)
    codes = [i.code for i in instrument().indicators]
    rate = rng.uniform(0.40, 0.98, len(codes))
    met = (rng.random((families, len(codes))) < rate).astype(float)
    met[rng.random((families, len(codes))) < 0.2] = np.nan
    table = pd.DataFrame(met, columns=codes)
    table["KF5"] = np.nan
    return table.astype("Int8")


@cache
def mixed_kecamatan() -> tuple[AreaResult, tuple[AreaResult, ...], pd.DataFrame, pd.Series]:
    """A kecamatan of two villages (70 and 50 families): (area, villages, scores, codes)."""
    scores = random_scores(120, seed=7)
    codes = pd.Series([VILLAGE] * 70 + [OTHER_VILLAGE] * 50, index=scores.index, dtype=object)
    names = {VILLAGE: "Sampanahan", OTHER_VILLAGE: "Hulu Sampanahan"}
    villages = aggregate_by(instrument(), scores, codes, names)
    area = aggregate(instrument(), scores, KECAMATAN, "Sampanahan", "kecamatan")
    return area, (villages[VILLAGE], villages[OTHER_VILLAGE]), scores, codes


def family_rows(
    scores: pd.DataFrame, codes: pd.Series, names: dict[str, str], heads: tuple[str, ...] = ()
) -> list[FamilyRow]:
    """One FamilyRow per row of `scores`, numbered from 1, scored and banded by the core."""
    inst = instrument()
    summary = family_scores(inst, scores)
    rows = []
    for number, (index, row) in enumerate(scores.iterrows(), start=1):
        raw = summary.at[index, "score"]
        score = None if np.isnan(raw) else float(raw)
        rows.append(
            FamilyRow(
                number=number,
                village_code=str(codes[index]),
                village_name=names[str(codes[index])],
                rt=f"{number % 4 + 1:03d}",
                head_name=heads[(number - 1) % len(heads)] if heads else None,
                score=score,
                band=band_for(inst.settings.family_bands, score),
                scores={c: None if pd.isna(v) else int(v) for c, v in row.items()},
            )
        )
    return rows
