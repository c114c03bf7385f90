"""Benchmark: render the IKK chart of one area, against a trivial matplotlib figure.

    python benchmarks/bench_chart.py [--renders 20]

Renders the spec's worked example (3 families) and a 29-indicator kecamatan with a mix of red,
green and no-value indicators, each `--renders` times after one warm-up, and prints the median and
p95 render time (`render_area_chart`: the area's numbers drawn with Agg over the cached instrument
frame, encoded as PNG), the PNG size and pixel size, and the ratio to a trivial baseline: a figure
of the same size and dpi with one line, saved as PNG, timed the same way in the same process (so
the ratio holds on a busy machine, where the absolute times do not). For comparison it also times
the first render of a frame (cache empty) and the whole figure drawn in one piece
(`build_area_figure` + `figure_to_png`, what every render would cost without the frame cache),
and 8 renders through `asyncio.to_thread`, as the bot runs them. The kecamatan is also drawn with
a previous period's bars beside the current ones and the ratio to the one-period chart printed.
Not a test: nothing is asserted. Target: a render in a few hundred milliseconds (< 500 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from bot.reporting import chart
from bot.reporting.chart import DPI, build_area_figure, figure_to_png, render_area_chart
from ikk_core.aggregation import aggregate
from ikk_core.instrument import Instrument
from ikk_core.instrument_io import load_default_instrument
from ikk_core.results import AreaResult

# The worked example of the spec as indicator scores per family (1, 0; absent = not applicable).
_A = "LS1 LS3 KF1 KF3 KE1 KE2 KE3 KE6 KE7 KSP1 KSP3 KSP4 KSP5 KSP6 KSB2 KSB3 KSB4 KSB5"
_FAMILY_A = dict.fromkeys(_A.split(), 1)
_FAMILY_B = {**_FAMILY_A, "KE2": 0, "LS2": 0, "KE5": 0, "KE8": 0, "KSP2": 0,
             "KF2": 1, "KF4": 1, "KE4": 1, "KSB6": 1}
_C = "LS2 KF3 KF4 KE3 KE4 KE5 KE7 KE8 KSP2 KSP3 KSP4 KSB1 KSB2 KSB3 KSB4 KSB5 KSB6"
_FAMILY_C = {**dict.fromkeys(_C.split(), 1), "KF1": 0, "KE1": 0, "KE6": 0, "KE2": 0}


def worked_example(instrument: Instrument) -> AreaResult:
    codes = [i.code for i in instrument.indicators]
    rows = [[f.get(c) for c in codes] for f in (_FAMILY_A, _FAMILY_B, _FAMILY_C)]
    scores = pd.DataFrame(rows, columns=codes, dtype="Int8")
    return aggregate(instrument, scores, "63.02.12.2005", "Sampanahan", "desa")


def mixed_kecamatan(instrument: Instrument, families: int = 2_600) -> AreaResult:
    rng = np.random.default_rng(11)
    codes = [i.code for i in instrument.indicators]
    met = (rng.random((families, len(codes))) < rng.uniform(0.4, 0.98, len(codes))).astype(float)
    met[rng.random(met.shape) < 0.2] = np.nan
    scores = pd.DataFrame(met, columns=codes)
    scores["KF5"] = np.nan
    return aggregate(instrument, scores.astype("Int8"), "63.02.12", "Sampanahan", "kecamatan")


def baseline_png() -> bytes:
    """The least a chart can cost: same canvas size and dpi, one line, saved as PNG."""
    fig = Figure(figsize=(8.0, 11.6), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.add_subplot().plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def render_whole(result: AreaResult) -> bytes:
    """The chart drawn in one piece, without the cached instrument frame."""
    return figure_to_png(build_area_figure(result, period=2026))


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm-up: font cache, glyph tables
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


async def threaded(result: AreaResult, count: int) -> float:
    start = time.perf_counter()
    await asyncio.gather(
        *(asyncio.to_thread(render_area_chart, result, period=2026) for _ in range(count))
    )
    return time.perf_counter() - start


def two_periods(result: AreaResult, instrument: Instrument, renders: int) -> None:
    """The same area with the previous period's bars beside the current ones, against the
    one-period chart, timed alternately in the same process (both frames cached first)."""
    previous = mixed_kecamatan(instrument, families=2_400)
    one = partial(render_area_chart, result, period=2026)
    two = partial(render_area_chart, result, period=2026, previous=previous,
                  previous_period=2025)
    one()
    two()
    one_times: list[float] = []
    two_times: list[float] = []
    for _ in range(renders):
        one_times += timed(one, 1)
        two_times += timed(two, 1)
    ratio = statistics.median(two_times) / statistics.median(one_times)
    print("kecamatan, dua periode (batang periode sebelumnya di samping)")
    print(f"  one period              median {ms(statistics.median(one_times))}")
    print(f"  two periods             median {ms(statistics.median(two_times))}  "
          f"p95 {ms(p95(two_times))}  = {ratio:.2f}× one period")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=20)
    args = parser.parse_args()

    instrument = load_default_instrument()
    cases = {
        "worked example (3 keluarga)": worked_example(instrument),
        "kecamatan, 29 indikator campuran": mixed_kecamatan(instrument),
    }
    load = os.getloadavg()[0]
    print(f"CPU: {os.cpu_count()} cores, load average {load:.2f} (absolute times scale with it)")
    base = timed(baseline_png, args.renders)
    print(f"baseline figure           median {ms(statistics.median(base))}  p95 {ms(p95(base))}")
    for label, result in cases.items():
        chart._frame_layer.cache_clear()
        start = time.perf_counter()
        png = render_area_chart(result, period=2026)
        cold = time.perf_counter() - start
        times = timed(partial(render_area_chart, result, period=2026), args.renders)
        whole = timed(partial(render_whole, result), args.renders // 2)
        with Image.open(io.BytesIO(png)) as image:
            width, height = image.size
        ratio = statistics.median(times) / statistics.median(base)
        print(f"{label}")
        print(f"  render_area_chart       median {ms(statistics.median(times))}  "
              f"p95 {ms(p95(times))}  = {ratio:.1f}× baseline")
        print(f"  first render of a frame        {ms(cold)}  (instrument frame drawn and cached)")
        print(f"  whole figure in one piece median {ms(statistics.median(whole))}  "
              f"= {statistics.median(whole) / statistics.median(base):.1f}× baseline")
        print(f"  PNG {len(png) / 1024:.1f} KiB, {width}×{height} px "
              f"(Telegram: w+h {width + height} ≤ 10000, ratio {height / width:.2f} ≤ 20)")
    two_periods(cases["kecamatan, 29 indikator campuran"], instrument, args.renders)
    total = asyncio.run(threaded(cases["kecamatan, 29 indikator campuran"], 8))
    print(f"8 renders via asyncio.to_thread: {total:.2f} s in total ({ms(total / 8)} each)")


if __name__ == "__main__":
    main()
