"""/ikk benchmark: how long an official waits for the report and the chart, province-scale data.

    .venv/bin/python benchmarks/bench_report.py            # 2,000 villages × 200 families
    .venv/bin/python benchmarks/bench_report.py --quick    # a small smoke run (about a minute)
    .venv/bin/python benchmarks/bench_report.py --backends sqlite --sqlite-file /tmp/prov.db

The database is bulk-loaded with the storage benchmark's loader (`bench_storage.py`: areas,
one kader per village, submitted families with their 29 stored indicator scores, the village
counts), then the real bot (`build_application`, as `ikk-bot run` starts it) runs in its own
process and polls the project's Bot API emulator, which runs here with the official (the
province admin, whose scope is every area, so name matching searches all of them).

For a village, a kecamatan and a kabupaten (areas drawn at random, asked by name as an official
types it: "/ikk Desa 63.05.03.2004"), one request at a time, measured at the emulator from the
moment the update is offered to the bot:

- "report": until the report message (sendMessage) arrives: the chart is excluded;
- "report + chart": until the chart (sendPhoto) arrives: what the official waits for in all.

Then "/ekspor" of a whole kabupaten (about 31,000 families at full size): seconds until the
workbook arrives. Besides, the chart alone: `render_area_chart` in this process for a village
and a kabupaten (warm, i.e. after the instrument frame is drawn once, as the bot does at start).
Targets (issue 5): village p95 < 300 ms without the chart; chart render < 500 ms.
Also (issue 13) "/merah KSP1" over the whole province as a service call, against the province's
/ikk report in the same run (`--merah-only` measures just that).
`--as pejabat` makes the official a provincial pejabat instead of the admin: the report then
hides small cells, decided over the counts of the whole province (issue 10), which is what a
pejabat's village report costs over an admin's.
PostgreSQL is a throwaway cluster with fsync off (`bot.devtools.postgres`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_storage import Layout, Size, layout, load_postgres, load_sqlite
from sqlalchemy import delete, update

from bot.db.database import Database
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import AppUser, ProcessedUpdate, Role
from bot.devtools.postgres import (
    PostgresUnavailable,
    create_database,
    throwaway_cluster,
)
from bot.emulator import DEFAULT_TOKEN, EmulatedUser, TelegramEmulator
from bot.reporting.chart import render_area_chart, warm_chart_frame
from bot.services.context import ServiceContext
from bot.services.red_villages import red_villages
from bot.services.reports import area_report
from bot.settings import Settings
from bot.telegram import build_application
from bot.telegram.red_texts import red_messages
from ikk_core.instrument import Instrument
from ikk_core.instrument_io import load_default_instrument

ADMIN_TELEGRAM_ID = 1  # the provincial admin of bench_storage.user_rows
DEADLINE = 120.0


@dataclass
class Sizes:
    villages: int
    families: int
    village_runs: int
    kecamatan_runs: int
    kabupaten_runs: int
    chart_runs: int
    export_runs: int
    merah_runs: int = 10


FULL = Sizes(2000, 200, 60, 40, 26, 30, 2)
QUICK = Sizes(20, 50, 15, 10, 6, 10, 1)


@dataclass
class Samples:
    """Seconds per request, for one kind of area."""

    report: list[float] = field(default_factory=list)
    chart: list[float] = field(default_factory=list)


def stats(samples: Sequence[float]) -> str:
    if not samples:
        return "no samples"
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return (f"median {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   "
            f"max {ordered[-1] * 1000:7.1f} ms")


def p95_of(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


# ------------------------------------------------------------------------------ measuring


class Probe:
    """Timestamps the bot's sendMessage and sendPhoto as the emulator handles them."""

    def __init__(self, emulator: TelegramEmulator) -> None:
        self.waiting: dict[str, asyncio.Future[tuple[float, Any]]] = {}
        original = emulator.api.call

        async def call(method: str, params: Any) -> Any:
            result = await original(method, params)
            kind = method.lower()
            future = self.waiting.get(kind)
            if future is not None and not future.done() and isinstance(result, dict):
                future.set_result((time.perf_counter(), result))
            return result

        emulator.api.call = call  # type: ignore[method-assign]

    def expect(self, method: str) -> asyncio.Future[tuple[float, Any]]:
        future: asyncio.Future[tuple[float, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[method.lower()] = future
        return future


async def ask(probe: Probe, official: EmulatedUser, name: str) -> tuple[float, float]:
    """Send "/ikk <name>"; seconds until the report message and until the chart."""
    report = probe.expect("sendMessage")
    photo = probe.expect("sendPhoto")
    offered = time.perf_counter()
    await official.send(f"/ikk {name}")
    at_report, message = await asyncio.wait_for(report, DEADLINE)
    text = str(message.get("text", ""))
    if not text.startswith("📊 IKK"):
        raise RuntimeError(f"/ikk {name} did not answer with a report: {text[:200]!r}")
    at_photo, _ = await asyncio.wait_for(photo, DEADLINE)
    return at_report - offered, at_photo - offered


async def export(probe: Probe, official: EmulatedUser, name: str) -> tuple[float, int]:
    """Send "/ekspor <name>"; seconds until the workbook arrives, and its size in bytes."""
    document = probe.expect("sendDocument")
    offered = time.perf_counter()
    await official.send(f"/ekspor {name}")
    at, message = await asyncio.wait_for(document, DEADLINE * 5)
    return at - offered, int(message.get("document", {}).get("file_size", 0))


def area_name(code: str) -> str:
    """The names `bench_storage.area_rows` gives (what an official would type)."""
    depth = code.count(".")
    if depth == 3:
        return f"Desa {code}"
    if depth == 2:
        return f"Kecamatan {code}"
    return f"{'Kota' if int(code.split('.')[1]) >= 71 else 'Kabupaten'} {code}"


async def time_ikk(emulator: TelegramEmulator, lay: Layout, sizes: Sizes) -> dict[str, Samples]:
    probe = Probe(emulator)
    official = emulator.user(ADMIN_TELEGRAM_ID, "Operator")
    rng = random.Random(5)
    plan = {
        "village": rng.sample(lay.villages, min(sizes.village_runs, len(lay.villages))),
        "kecamatan": rng.sample(lay.kecamatan, min(sizes.kecamatan_runs, len(lay.kecamatan))),
        "kabupaten": [lay.kabupaten[i % len(lay.kabupaten)] for i in range(sizes.kabupaten_runs)],
    }
    # One request first, not counted: the bot process's first chart draws the instrument frame.
    await ask(probe, official, area_name(lay.villages[0]))
    results: dict[str, Samples] = {}
    for kind, codes in plan.items():
        samples = results[kind] = Samples()
        for code in codes:
            report, chart = await ask(probe, official, area_name(code))
            samples.report.append(report)
            samples.chart.append(chart)
    for code in lay.kabupaten[: sizes.export_runs]:
        seconds, size = await export(probe, official, area_name(code))
        print(f"  /ekspor {area_name(code)}: {seconds:6.1f} s, {size / 1e6:5.1f} MB", flush=True)
    return results


async def time_chart_render(url: str, lay: Layout, instrument: Instrument, runs: int,
                            admin: int) -> dict[str, tuple[list[float], list[float]]]:
    """`render_area_chart` alone (warm), for a village's and a kabupaten's result: wall-clock
    seconds and the CPU seconds of the rendering thread (what the render costs when the machine
    is not shared; the wall clock also counts waiting for a busy CPU)."""
    engine = create_engine(url)
    try:
        ctx = ServiceContext(create_session_factory(engine), instrument)
        warm_chart_frame(instrument)
        out: dict[str, tuple[list[float], list[float]]] = {}
        for kind, code in (("village", lay.villages[0]), ("kabupaten", lay.kabupaten[0])):
            report = await area_report(ctx, admin, code)
            assert report is not None
            wall, cpu = out[kind] = ([], [])
            for _ in range(runs):
                started, started_cpu = time.perf_counter(), time.thread_time()
                render_area_chart(report.result, period=report.period)
                wall.append(time.perf_counter() - started)
                cpu.append(time.thread_time() - started_cpu)
        return out
    finally:
        await engine.dispose()


async def time_merah(url: str, lay: Layout, instrument: Instrument, runs: int, admin: int
                     ) -> tuple[list[float], list[float], int]:
    """/merah KSP1 over the whole province (every village) as a service call in this process,
    against its baseline in the same run: the province's /ikk report alone (`area_report`),
    which /merah reads and then walks one indicator column of. Seconds of each, and the
    number of villages listed red."""
    engine = create_engine(url)
    try:
        ctx = ServiceContext(create_session_factory(engine), instrument)
        province = lay.kabupaten[0].split(".")[0]
        baseline: list[float] = []
        merah: list[float] = []
        listed = 0
        for _ in range(runs):
            started = time.perf_counter()
            report = await area_report(ctx, admin, province)
            baseline.append(time.perf_counter() - started)
            assert report is not None
            started = time.perf_counter()
            answer = await red_villages(ctx, admin, code=province, indicator_code="KSP1")
            merah.append(time.perf_counter() - started)
            assert answer.value is not None, answer.status
            listed = len(answer.value.red)
            red_messages(answer.value)
        return baseline, merah, listed
    finally:
        await engine.dispose()


def print_merah(lay: Layout, timings: tuple[list[float], list[float], int]) -> None:
    baseline, merah, listed = timings
    print(f"  /merah KSP1 province ({len(lay.villages):,} villages, {listed:,} red)   "
          f"{stats(merah)}")
    print(f"  baseline: /ikk report of the province     {stats(baseline)}   ratio "
          f"{statistics.median(merah) / statistics.median(baseline):.2f}")


# ------------------------------------------------------------------------------ the bot process


async def bot_process(api_url: str, database_url: str) -> None:
    """The bot side (run in a child process): poll the emulator until SIGTERM."""
    logging.basicConfig(level=logging.WARNING)
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        telegram_bot_token=DEFAULT_TOKEN,
        telegram_api_url=api_url,
    )
    engine = create_engine(database_url)
    app = build_application(settings, Database(engine, create_session_factory(engine)),
                            overall_max_rate=0)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        async with app:
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            await app.start()
            await stop.wait()
            await app.updater.stop()
            await app.stop()
    finally:
        await engine.dispose()


async def with_bot(emulator: TelegramEmulator, database_url: str,
                   work: Callable[[], Awaitable[Any]]) -> Any:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--bot-process", emulator.url, database_url
    )
    try:
        await emulator.wait_for_call("getUpdates", timeout=120)
        return await work()
    finally:
        child.send_signal(signal.SIGTERM)
        emulator.release_pollers()
        await child.wait()


# ------------------------------------------------------------------------------ running


async def run_backend(name: str, url: str, load: Callable[[], Awaitable[int]], lay: Layout,
                      sizes: Sizes, instrument: Instrument, role: Role = Role.ADMIN,
                      merah_only: bool = False) -> dict[str, Samples]:
    print(f"\n{name}", flush=True)
    engine = create_engine(url)
    try:
        await upgrade(engine)
        # A reused database remembers the update ids of the last run; the emulator counts from 1
        # again, so the bot would take every update for a redelivery and stay silent.
        async with engine.begin() as connection:
            await connection.execute(delete(ProcessedUpdate))
        started = time.perf_counter()
        scores = await load()
        async with engine.begin() as connection:  # the official asks as this role
            await connection.execute(
                update(AppUser).where(AppUser.telegram_id == ADMIN_TELEGRAM_ID).values(role=role)
            )
        print(f"  official: provincial {role.value}", flush=True)
        if scores:
            print(f"  load          {time.perf_counter() - started:7.1f} s   "
                  f"({len(lay.villages) * sizes.families:,} families, {scores:,} score rows)",
                  flush=True)
    finally:
        await engine.dispose()
    print_merah(lay, await time_merah(url, lay, instrument, sizes.merah_runs,
                                      len(lay.villages) + 1))
    if merah_only:
        return {}
    async with TelegramEmulator(bot_username="ikk_bench_bot") as emulator:
        async def work() -> dict[str, Samples]:
            return await time_ikk(emulator, lay, sizes)

        results: dict[str, Samples] = await with_bot(emulator, url, work)
    for kind, samples in results.items():
        print(f"  /ikk {kind:<9} report          {stats(samples.report)}   "
              f"({len(samples.report)} runs)")
        print(f"  /ikk {kind:<9} report + chart  {stats(samples.chart)}")
    renders = await time_chart_render(url, lay, instrument, sizes.chart_runs,
                                      len(lay.villages) + 1)
    for kind, (wall, cpu) in renders.items():
        print(f"  chart render ({kind:<9})    {stats(wall)}   (in this process)")
        print(f"  chart render CPU ({kind:<9}){stats(cpu)}")
    village_p95 = p95_of(results["village"].report)
    chart_p95 = max(p95_of(wall) for wall, _cpu in renders.values())
    print(f"  targets: village p95 {village_p95 * 1000:.0f} ms < 300 ms: "
          f"{'met' if village_p95 < 0.3 else 'NOT met'}; chart render p95 "
          f"{chart_p95 * 1000:.0f} ms < 500 ms: {'met' if chart_p95 < 0.5 else 'NOT met'}")
    return results


async def main(args: argparse.Namespace) -> None:
    sizes = QUICK if args.quick else FULL
    if args.villages:
        sizes.villages = args.villages
    if args.families:
        sizes.families = args.families
    storage_size = Size(sizes.villages, sizes.families, 1, 1, 1)
    instrument = load_default_instrument()
    lay = layout(sizes.villages)
    backends = {b.strip() for b in args.backends.split(",")}
    print(f"bench_report: {len(lay.villages):,} villages × {sizes.families} families, "
          f"{len(lay.kecamatan)} kecamatan, {len(lay.kabupaten)} kabupaten/kota; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start", flush=True)
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory(prefix="ikk-bench-report-") as folder:
            path = Path(args.sqlite_file) if args.sqlite_file else Path(folder) / "bench.db"
            reuse = path.exists()

            async def load_lite() -> int:
                if reuse:
                    return 0
                return await asyncio.to_thread(load_sqlite, path, lay, storage_size, instrument)

            await run_backend("SQLite" + (f" (reusing {path})" if reuse else ""),
                              f"sqlite+aiosqlite:///{path}", load_lite, lay, sizes, instrument,
                              Role(args.role), args.merah_only)
    if "postgresql" in backends:
        try:
            with throwaway_cluster() as cluster:
                url = await create_database(cluster, "bench_report")

                async def load_pg() -> int:
                    return await load_postgres(cluster.dsn("bench_report"), lay, storage_size,
                                               instrument)

                await run_backend(f"PostgreSQL ({cluster.settings})", url, load_pg, lay, sizes,
                                  instrument, Role(args.role), args.merah_only)
        except PostgresUnavailable as exc:
            print(f"\nPostgreSQL skipped: {exc}")
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--bot-process":
        asyncio.run(bot_process(sys.argv[2], sys.argv[3]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--villages", type=int, help="villages (2,000)")
    parser.add_argument("--families", type=int, help="families per village (200)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--as", dest="role", choices=["admin", "pejabat"], default="admin",
                        help="who asks: the admin (nothing hidden) or a pejabat (small cells "
                        "hidden, decided over the whole province)")
    parser.add_argument("--merah-only", action="store_true", help="only /merah over the "
                        "province against the province's /ikk report (no bot, no chart)")
    parser.add_argument("--sqlite-file", help="keep the SQLite database here; reuse it if it "
                        "exists (skips the load; same sizes expected)")
    asyncio.run(main(parser.parse_args()))
