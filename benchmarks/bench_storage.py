"""Storage benchmark: province-scale reports and concurrent answer writes, SQLite and PostgreSQL.

    .venv/bin/python benchmarks/bench_storage.py            # 2,000 villages × 200 families
    .venv/bin/python benchmarks/bench_storage.py --quick    # a small smoke run (seconds)

For each database it bulk-loads villages × families of submitted responses with their 29
indicator scores (SQLite: executemany in one transaction on a plain sqlite3 connection;
PostgreSQL: COPY), fills the village counts from them with the migration's INSERT ... SELECT,
runs ANALYZE, then measures through the real services:

- `reports.area_report` for one village, one kabupaten and the province (median and p95;
  the province gets fewer runs when one run is slow, and says so);
- the answer-write rate of N concurrent writers (one cadre each, filling whole families with
  `answering.record_answer`, one transaction per answer as in the bot), against a baseline of
  the same writers doing a bare one-row INSERT per transaction on the same engine (ratio).

PostgreSQL is a throwaway cluster started like the test fixture (`bot.devtools.postgres`):
fsync and synchronous_commit are OFF there, which flatters its write rate; SQLite runs with the
bot's own settings (WAL, synchronous=NORMAL). Targets (issue 3): village p95 < 50 ms,
province < 3 s on PostgreSQL, ≥ 500 answers/s on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import numpy as np
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import Answer
from bot.devtools.postgres import (
    PostgresCluster,
    PostgresUnavailable,
    create_database,
    throwaway_cluster,
)
from bot.repositories.scores import REBUILD
from bot.services.answering import confirm_answer, record_answer
from bot.services.context import ServiceContext
from bot.services.families import start_family
from bot.services.reports import area_report
from bot.services.submission import submit
from ikk_core.instrument import Instrument, band_for
from ikk_core.instrument_io import load_default_instrument

PERIOD = 2025
WRITE_PERIOD = 2026
KABUPATEN = [f"63.{n:02d}" for n in range(1, 12)] + ["63.71", "63.72"]
CHUNK_FAMILIES = 20_000

# One family as a cadre answers it (the spec's family B): every question the engine may ask.
_POSITIVE = ("LS1", "LS2", "LS3", "KF1", "KF2", "KF3", "KF4", "KF5", "KF6", "KE1", "KE3", "KE4",
             "KE5", "KE6", "KE7", "KSP4", "KSP5", "KSP6", "KSB1", "KSB2", "KSB3", "KSB4", "KSB6")
ENTERED = {
    "H_KEPALA": "Budi Santoso", "H_RT": "2", "H_ANGGOTA": "5", "P_PASANGAN": "ya",
    "P_ANAK": "ya", "P_BALITA": "ya", "P_BADUTA": "tidak", "P_LAHIR2": "tidak",
    "P_SEKOLAH": "ya", "P_LANSIA": "tidak", "P_PENDAPATAN": "2 juta",
    **dict.fromkeys(_POSITIVE, "ya"),
    "KE8": "tidak", "KSP1": "tidak", "KSP2": "tidak", "KSP3": "tidak", "KSB5": "tidak",
}


@dataclass(frozen=True)
class Size:
    villages: int
    families: int
    runs: int
    writers: int
    families_per_writer: int


@dataclass(frozen=True)
class Layout:
    """The generated area tree: village codes and, per village, its kecamatan and kabupaten."""

    villages: list[str]
    kecamatan: list[str]
    kabupaten: list[str]


def layout(n_villages: int) -> Layout:
    per_kabupaten = math.ceil(n_villages / len(KABUPATEN))
    kecamatan_per_kabupaten = max(1, round(math.sqrt(per_kabupaten)))
    per_kecamatan = math.ceil(per_kabupaten / kecamatan_per_kabupaten)
    villages: list[str] = []
    kecamatan: list[str] = []
    for kab in KABUPATEN:
        for k in range(1, kecamatan_per_kabupaten + 1):
            kec = f"{kab}.{k:02d}"
            for v in range(1, per_kecamatan + 1):
                if len(villages) < n_villages:
                    if not kecamatan or kecamatan[-1] != kec:
                        kecamatan.append(kec)
                    villages.append(f"{kec}.{2000 + v}")
    kabupaten = sorted({code.rsplit(".", 2)[0] for code in villages})
    return Layout(villages, kecamatan, kabupaten)


def area_rows(lay: Layout, now: object) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = [("63", "Kalimantan Selatan", "provinsi", None, now)]
    for kab in lay.kabupaten:
        level = "kota" if int(kab.split(".")[1]) >= 71 else "kabupaten"
        rows.append((kab, f"{level.title()} {kab}", level, "63", now))
    for kec in lay.kecamatan:
        rows.append((kec, f"Kecamatan {kec}", "kecamatan", kec.rsplit(".", 1)[0], now))
    for village in lay.villages:
        rows.append((village, f"Desa {village}", "desa", village.rsplit(".", 1)[0], now))
    return rows


def user_rows(lay: Layout, now: object) -> tuple[list[tuple[object, ...]], list[tuple[int, str]]]:
    """One kader per village (ids 1..V) and a provincial admin (id V+1)."""
    users: list[tuple[object, ...]] = []
    links: list[tuple[int, str]] = []
    for i, village in enumerate(lay.villages, start=1):
        users.append((i, 10_000 + i, f"Kader {i}", "kader", village, "id", True, True, now, now))
        links.append((i, village))
    admin = len(lay.villages) + 1
    users.append((admin, 1, "Admin", "admin", "63", "id", True, True, now, now))
    return users, links


def family_chunks(
    lay: Layout, families: int, instrument: Instrument, now: object, seed: int = 7
) -> Iterator[tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]]:
    """(family rows, response rows, family_score rows) in chunks of about CHUNK_FAMILIES."""
    rng = np.random.default_rng(seed)
    codes = [i.code for i in instrument.indicators]
    applies_p = np.array([1.0 if i.applies_if is None else 0.6 for i in instrument.indicators])
    meets_p = rng.uniform(0.55, 0.97, size=len(codes))
    per_chunk = max(1, CHUNK_FAMILIES // families)
    bands = instrument.settings.family_bands
    for start in range(0, len(lay.villages), per_chunk):
        chunk_villages = lay.villages[start : start + per_chunk]
        n = len(chunk_villages) * families
        applies = rng.random((n, len(codes))) < applies_p
        meets = (rng.random((n, len(codes))) < meets_p) & applies
        fam_rows: list[tuple[object, ...]] = []
        resp_rows: list[tuple[object, ...]] = []
        score_rows: list[tuple[object, ...]] = []
        for offset, village in enumerate(chunk_villages):
            kader = start + offset + 1
            for f in range(families):
                row = offset * families + f
                family_id = (start + offset) * families + f + 1
                applicable = int(applies[row].sum())
                met = int(meets[row].sum())
                pct = 100.0 * met / applicable if applicable else None
                band = band_for(bands, pct)
                fam_rows.append((family_id, village, 1 + f % 20, f"Kepala {family_id}",
                                 f"kepala {family_id}", PERIOD, kader, now))
                resp_rows.append((family_id, family_id, kader, instrument.id, instrument.version,
                                  "submitted", 40, None, now, now, now, pct,
                                  band.name if band else None))
                for j, code in enumerate(codes):
                    score = (1 if meets[row, j] else 0) if applies[row, j] else None
                    score_rows.append((family_id, code, score, instrument.id,
                                       instrument.version))
        yield fam_rows, resp_rows, score_rows


FAMILY_COLUMNS = ("id", "village_code", "rt", "head_name", "head_name_norm", "period",
                  "created_by", "created_at")
RESPONSE_COLUMNS = ("id", "family_id", "cadre_id", "instrument_id", "instrument_version",
                    "status", "version", "current_question", "started_at", "updated_at",
                    "submitted_at", "family_score_pct", "family_band")
SCORE_COLUMNS = ("response_id", "indicator", "score", "instrument_id", "instrument_version")
AREA_COLUMNS = ("code", "name", "level", "parent_code", "updated_at")
USER_COLUMNS = ("id", "telegram_id", "display_name", "role", "area_code", "language", "active",
                "reachable", "created_at", "updated_at")


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def load_sqlite(path: Path, lay: Layout, size: Size, instrument: Instrument) -> int:
    """Bulk load with executemany in one transaction; returns the number of score rows."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        connection.executemany(_insert_sql("area", AREA_COLUMNS), area_rows(lay, now))
        users, links = user_rows(lay, now)
        connection.executemany(_insert_sql("app_user", USER_COLUMNS), users)
        connection.executemany("INSERT INTO user_area (user_id, area_code) VALUES (?, ?)", links)
        scores = 0
        for fam, resp, score in family_chunks(lay, size.families, instrument, now):
            connection.executemany(_insert_sql("family", FAMILY_COLUMNS), fam)
            connection.executemany(_insert_sql("response", RESPONSE_COLUMNS), resp)
            connection.executemany(_insert_sql("family_score", SCORE_COLUMNS), score)
            scores += len(score)
        connection.execute(REBUILD)  # the village counts, as the migration's backfill does
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return scores
    finally:
        connection.close()


async def load_postgres(dsn: str, lay: Layout, size: Size, instrument: Instrument) -> int:
    """Bulk load with COPY; returns the number of score rows."""
    now = datetime.now(UTC)
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "area", records=area_rows(lay, now), columns=AREA_COLUMNS
            )
            users, links = user_rows(lay, now)
            await connection.copy_records_to_table("app_user", records=users,
                                                   columns=USER_COLUMNS)
            await connection.copy_records_to_table("user_area", records=links,
                                                   columns=("user_id", "area_code"))
            scores = 0
            for fam, resp, score in family_chunks(lay, size.families, instrument, now):
                await connection.copy_records_to_table("family", records=fam,
                                                       columns=FAMILY_COLUMNS)
                await connection.copy_records_to_table("response", records=resp,
                                                       columns=RESPONSE_COLUMNS)
                await connection.copy_records_to_table("family_score", records=score,
                                                       columns=SCORE_COLUMNS)
                scores += len(score)
            await connection.execute(REBUILD)
            for table in ("app_user", "family", "response"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        await connection.execute("ANALYZE")
        return scores
    finally:
        await connection.close()


def summary(samples: Sequence[float], cpu: Sequence[float] = ()) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    used = f"   CPU median {statistics.median(cpu) * 1000:7.1f} ms" if cpu else ""
    return (f"median {statistics.median(ordered) * 1000:8.1f} ms   p95 {p95 * 1000:8.1f} ms"
            f"{used}   ({len(ordered)} runs)")


async def time_reports(ctx: ServiceContext, lay: Layout, admin: int, size: Size) -> None:
    """Wall time of each report, and the CPU time the process spent on it (both threads):
    on a busy machine the wall time includes waiting for a core, the CPU time does not."""
    rng = random.Random(11)
    cpu: list[float] = []

    async def timed(code: str) -> float:
        started, cpu_started = time.perf_counter(), time.process_time()
        report = await area_report(ctx, admin, code)
        elapsed = time.perf_counter() - started
        cpu.append(time.process_time() - cpu_started)
        assert report is not None and report.submitted > 0, code
        return elapsed

    await timed(lay.villages[0])  # warm the pool and the caches once
    cpu.clear()
    villages = [await timed(rng.choice(lay.villages)) for _ in range(size.runs)]
    print(f"  village report    {summary(villages, cpu)}")
    cpu.clear()
    kabupaten = [await timed(lay.kabupaten[i % len(lay.kabupaten)]) for i in range(size.runs)]
    print(f"  kabupaten report  {summary(kabupaten, cpu)}")
    cpu.clear()
    first = await timed("63")
    runs = size.runs if first * size.runs <= 90 else max(5, int(90 / first))
    province = [first] + [await timed("63") for _ in range(runs - 1)]
    note = "" if runs == size.runs else f"  [fewer runs: one takes {first:.1f} s]"
    print(f"  province report   {summary(province, cpu)}{note}")


async def _fill_family(ctx: ServiceContext, kader: int, village: str, latencies: list[float],
                       update_ids: Iterator[int]) -> int:
    started = await start_family(ctx, kader, village, WRITE_PERIOD, next(update_ids))
    assert started.position is not None, started
    position = started.position
    answered = 0
    while position.prompt is not None:
        question = position.prompt.question
        t0 = time.perf_counter()
        outcome = await record_answer(ctx, kader, position.response_id, question,
                                      ENTERED[question], position.version, next(update_ids))
        if outcome.kind == "confirm" and outcome.pending_value is not None:
            outcome = await confirm_answer(ctx, kader, position.response_id, question,
                                           outcome.pending_value, position.version,
                                           next(update_ids))
        latencies.append(time.perf_counter() - t0)
        assert outcome.kind == "recorded" and outcome.position is not None, outcome
        position = outcome.position
        answered += 1
    done = await submit(ctx, kader, position.response_id, position.version, next(update_ids))
    assert done.kind == "submitted", done
    return answered


async def time_writes(ctx: ServiceContext, lay: Layout, size: Size) -> None:
    counter = iter(range(10_000_000, 100_000_000))
    latencies: list[float] = []
    writers = range(min(size.writers, len(lay.villages)))

    async def writer(w: int) -> int:
        total = 0
        for _ in range(size.families_per_writer):
            total += await _fill_family(ctx, w + 1, lay.villages[w], latencies, counter)
        return total

    started = time.perf_counter()
    answers = sum(await asyncio.gather(*(writer(w) for w in writers)))
    elapsed = time.perf_counter() - started
    rate = answers / elapsed

    # Baseline: the same writers, the same number of rows, a bare INSERT per transaction.
    per_writer = answers // len(writers)
    drafts = []
    for w in writers:
        outcome = await start_family(ctx, w + 1, lay.villages[w], WRITE_PERIOD + 1)
        assert outcome.position is not None
        drafts.append(outcome.position.response_id)

    async def bare(w: int) -> None:
        for j in range(per_writer):
            async def one(session: AsyncSession, j: int = j) -> None:
                await session.execute(insert(Answer).values(
                    response_id=drafts[w], question=f"Q{j}", value="ya",
                    answered_at=datetime.now(UTC), answered_by=w + 1,
                ))
            await ctx.write(one)

    started = time.perf_counter()
    await asyncio.gather(*(bare(w) for w in writers))
    base_elapsed = time.perf_counter() - started
    base_rate = per_writer * len(writers) / base_elapsed
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    print(f"  answer writes     {rate:8.0f} answers/s  ({answers} answers, {len(writers)} "
          f"concurrent writers, {elapsed:.1f} s; per answer median "
          f"{statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms)")
    print(f"  baseline INSERT   {base_rate:8.0f} rows/s     (same writers, one bare INSERT "
          f"per transaction) → record_answer at {rate / base_rate:.2f}× the baseline")


async def run_backend(name: str, url: str, load: Callable[[], Awaitable[int]], lay: Layout,
                      size: Size, instrument: Instrument, skip_writes: bool = False) -> None:
    print(f"\n{name}")
    engine: AsyncEngine = create_engine(url, pool_size=10, max_overflow=20)
    try:
        await upgrade(engine)
        started = time.perf_counter()
        scores = await load()
        loaded = time.perf_counter() - started
        families = len(lay.villages) * size.families
        print(f"  load              {loaded:8.1f} s   ({len(lay.villages):,} villages, "
              f"{families:,} families, {scores:,} score rows; "
              f"{scores / loaded:,.0f} score rows/s)")
        ctx = ServiceContext(create_session_factory(engine), instrument)
        await time_reports(ctx, lay, len(lay.villages) + 1, size)
        if not skip_writes:
            await time_writes(ctx, lay, size)
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke check")
    parser.add_argument("--villages", type=int)
    parser.add_argument("--families", type=int, help="families per village")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--writers", type=int)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--sqlite-file", help="keep the SQLite database here; reuse it if it "
                        "exists (skips the load; same sizes expected)")
    parser.add_argument("--skip-writes", action="store_true", help="reports only")
    args = parser.parse_args()
    size = Size(20, 50, 10, 10, 1) if args.quick else Size(2000, 200, 50, 50, 2)
    size = Size(
        villages=args.villages or size.villages,
        families=args.families or size.families,
        runs=args.runs or size.runs,
        writers=args.writers or size.writers,
        families_per_writer=size.families_per_writer,
    )
    instrument = load_default_instrument()
    lay = layout(size.villages)
    backends = {b.strip() for b in args.backends.split(",")}
    print(f"bench_storage: {len(lay.villages):,} villages × {size.families} families, "
          f"{len(lay.kecamatan)} kecamatan, {len(lay.kabupaten)} kabupaten/kota; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")

    if "sqlite" in backends:
        with tempfile.TemporaryDirectory(prefix="ikk-bench-") as folder:
            path = Path(args.sqlite_file) if args.sqlite_file else Path(folder) / "bench.db"
            reuse = path.exists()

            async def load_lite() -> int:
                if reuse:  # loaded by an earlier run with the same sizes
                    return 0
                return await asyncio.to_thread(load_sqlite, path, lay, size, instrument)

            await run_backend("SQLite (WAL, synchronous=NORMAL, BEGIN IMMEDIATE)"
                              + (f" reusing {path}" if reuse else ""),
                              f"sqlite+aiosqlite:///{path}", load_lite, lay, size, instrument,
                              args.skip_writes)
    if "postgresql" in backends:
        try:
            with throwaway_cluster() as cluster:
                await _run_postgres(cluster, lay, size, instrument, args.skip_writes)
        except PostgresUnavailable as exc:
            print(f"\nPostgreSQL skipped: {exc}")
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


async def _run_postgres(cluster: PostgresCluster, lay: Layout, size: Size,
                        instrument: Instrument, skip_writes: bool) -> None:
    url = await create_database(cluster, "bench")

    async def load_pg() -> int:
        return await load_postgres(cluster.dsn("bench"), lay, size, instrument)

    await run_backend(f"PostgreSQL (throwaway cluster: {cluster.settings})", url, load_pg, lay,
                      size, instrument, skip_writes)


if __name__ == "__main__":
    asyncio.run(main())
