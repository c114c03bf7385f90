"""Benchmark: vectorised expression evaluation on a table of families, against row by row.

    python benchmarks/bench_expressions.py [--rows 400000] [--naive 20000]

Builds a synthetic answers table (object, pandas string, float, nullable Int64 and multi-select
columns), then prints the best-of-5 time of `test_frame` for typical instrument rules, and the
per-row rate of `Expression.test` on a subset for comparison. Not a test: nothing is asserted.
Target: `${A} = 'ya'` and `${P} div ${N} >= 600000` on 400,000 rows in tens of milliseconds.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ikk_core.expressions import Expression, Value, compile_expression

RULES = [
    "${A} = 'ya'",
    "${S} = 'ya'",
    "${P} div ${N} >= 600000",
    "${P} div ${N} >= ${G}",
    "not(${A} = 'ya') and ${P} > 100",
    "selected(${M}, 'b')",
    "count-selected(${M}) >= 2",
    "coalesce(${A}, 'x') = 'x'",
    "if(${A} = 'ya', ${P}, 0) > 5",
    "string-length(${T}) >= 2",
    "regex(${T}, '^[A-Z][a-z]+')",
    "number(${D}) > 3",
    "string(${N}) = '3'",
]


def answers(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "A": pd.Series(rng.choice(np.array(["ya", "tidak", None], dtype=object), rows)),
            "S": pd.Series(rng.choice(["ya", "tidak", ""], rows), dtype="string"),
            "P": rng.integers(0, 5_000_000, rows).astype(np.float64),
            "N": pd.array(rng.integers(1, 8, rows), dtype="Int64"),
            "G": np.full(rows, 600_000.0),
            "M": pd.Series(rng.choice(np.array(["a", "a b", "c d e", None], dtype=object), rows)),
            "T": pd.Series(rng.choice(np.array(["Budi", "siti", "X", None], dtype=object), rows)),
            "D": pd.Series(rng.choice(np.array(["1", "4", "5.5", "?"], dtype=object), rows)),
        }
    )


def test_rows(expression: Expression, records: list[dict[str, Value]]) -> list[bool]:
    return [expression.test(record) for record in records]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--naive", type=int, default=20_000)
    options = parser.parse_args()
    frame = answers(options.rows)
    subset = frame.iloc[: options.naive]
    records: list[dict[str, Value]] = [
        {str(k): v for k, v in zip(subset.columns, row, strict=True)}
        for row in subset.itertuples(index=False)
    ]
    print(f"{options.rows:,} rows; row-by-row rate measured on {len(records):,} rows")
    print(f"{'rule':40s} {'frame ms':>9s} {'row-by-row µs/row':>18s} {'speed-up':>9s}")
    for source in RULES:
        expression = compile_expression(source)
        best = min(timeit.repeat(partial(expression.test_frame, frame), number=1, repeat=5))
        naive = timeit.timeit(partial(test_rows, expression, records), number=1)
        per_row = naive / len(records)
        speedup = per_row * options.rows / best
        print(f"{source:40s} {best * 1000:9.1f} {per_row * 1e6:18.2f} {speedup:8.0f}×")


if __name__ == "__main__":
    main()
