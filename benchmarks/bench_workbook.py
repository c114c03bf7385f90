"""Benchmark: build the area workbook (xlsx) for a desa, a kecamatan and optionally a kabupaten.

    python benchmarks/bench_workbook.py [--families-per-village 200] [--kabupaten]

Synthetic families (random 1/0/NA indicator scores) in villages of `--families-per-village`;
the area and village results come from `ikk_core.aggregation`, as the bot's report service will
pass them. Prints the time of `build_area_workbook`, cells written per second and the file size.
Most cells are the per-family indicator scores, so time grows with the number of families.
Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.reporting.workbook import FamilyRow, build_area_workbook
from ikk_core.aggregation import aggregate, aggregate_by
from ikk_core.instrument import Instrument, band_for
from ikk_core.instrument_io import load_default_instrument
from ikk_core.scoring import family_scores


def synthetic(instrument: Instrument, villages: int, per_village: int) -> tuple[
    pd.DataFrame, pd.Series
]:
    rng = np.random.default_rng(5)
    codes = [i.code for i in instrument.indicators]
    n = villages * per_village
    met = (rng.random((n, len(codes))) < rng.uniform(0.4, 0.98, len(codes))).astype(float)
    met[rng.random(met.shape) < 0.2] = np.nan
    scores = pd.DataFrame(met, columns=codes).astype("Int8")
    village_codes = [f"63.02.{v // 13 + 1:02d}.{2001 + v % 13}" for v in range(villages)]
    area_codes = pd.Series(np.repeat(village_codes, per_village), index=scores.index, dtype=object)
    return scores, area_codes


def measure(instrument: Instrument, label: str, villages: int, per_village: int) -> None:
    scores, codes = synthetic(instrument, villages, per_village)
    names = {c: f"Desa {c[-4:]}" for c in codes.unique()}
    results = aggregate_by(instrument, scores, codes, names)
    area = aggregate(instrument, scores, "63.02", "Kotabaru", "kabupaten")
    summary = family_scores(instrument, scores)
    bands = instrument.settings.family_bands
    records = scores.astype(object).where(scores.notna(), None).to_dict("records")
    families = [
        FamilyRow(
            number=k + 1, village_code=str(codes.iloc[k]), village_name=names[str(codes.iloc[k])],
            rt="001", score=float(summary["score"].iloc[k]),
            band=band_for(bands, float(summary["score"].iloc[k])),
            scores={str(c): (None if v is None else int(v)) for c, v in records[k].items()},
        )
        for k in range(len(scores))
    ]
    start = time.perf_counter()
    data = build_area_workbook(
        area=area, villages=[results[c] for c in sorted(results)], families=families,
        instrument=instrument, period=2026, include_names=False,
        generated_at=datetime.now(UTC),
    )
    seconds = time.perf_counter() - start
    cells = len(families) * (7 + len(instrument.indicators)) + villages * 29 * 11
    print(f"{label:<11} {villages:>4} desa × {per_village} keluarga: {seconds:6.2f} s, "
          f"{cells / seconds / 1000:5.0f} k sel/s, {len(data) / 1024:7.0f} KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families-per-village", type=int, default=200)
    parser.add_argument("--kabupaten", action="store_true", help="also 150 villages")
    args = parser.parse_args()
    instrument = load_default_instrument()
    print(f"CPU: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    per = args.families_per_village
    measure(instrument, "desa", 1, per)
    measure(instrument, "kecamatan", 13, per)
    if args.kabupaten:
        measure(instrument, "kabupaten", 150, per)


if __name__ == "__main__":
    main()
