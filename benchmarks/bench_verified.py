"""Verified-only /ikk (issue 13): a report over verified families next to the usual one.

    .venv/bin/python benchmarks/bench_verified.py                  # 400 villages × 100 families
    .venv/bin/python benchmarks/bench_verified.py --villages 2000 --families 200

The usual report adds up the stored village counts; "terverifikasi saja" adds up the verified
counts kept beside them (`verified_indicator_count`) and also decides the cells where the
unverified remainder is small. SQLite, bulk-loaded with the storage benchmark's loader; 90 % of
the families verified (the verified counts then rebuilt once from the scores, timed: what a
repair costs); the reader is a provincial pejabat (small cells hidden, decided over the whole
province). Prints the median wall time of each report.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench_storage import Size, layout, load_sqlite

from bot.db.engine import create_engine, create_session_factory, run_in_transaction
from bot.db.migrate import upgrade
from bot.repositories.verified_counts import rebuild_verified_counts
from bot.services.context import ServiceContext
from bot.services.reports import area_report
from ikk_core.instrument_io import load_default_instrument

PEJABAT_ID = 900_000


def prepare(path: Path, n_villages: int) -> None:
    """90 % of the families verified, and a provincial pejabat."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN")
        connection.execute(
            "INSERT INTO response_review (family_id, status, reviewed_at) "
            "SELECT id, 'terverifikasi', ? FROM family WHERE id % 10 != 0", (now,)
        )
        connection.execute(
            "INSERT INTO app_user (id, telegram_id, display_name, role, area_code, language, "
            "active, reachable, created_at, updated_at) "
            "VALUES (?, ?, 'Pejabat', 'pejabat', '63', 'id', 1, 1, ?, ?)",
            (PEJABAT_ID, PEJABAT_ID, now, now),
        )
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
    finally:
        connection.close()


async def main(args: argparse.Namespace) -> None:
    lay = layout(args.villages)
    instrument = load_default_instrument()
    print(f"bench_verified: {len(lay.villages):,} villages × {args.families} families "
          f"(SQLite), median of {args.runs} runs, as a provincial pejabat", flush=True)
    with tempfile.TemporaryDirectory(prefix="ikk-bench-verified-") as folder:
        path = Path(folder) / "bench.db"
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade(engine)
            size = Size(len(lay.villages), args.families, 1, 1, 1)
            await asyncio.to_thread(load_sqlite, path, lay, size, instrument)
            await asyncio.to_thread(prepare, path, len(lay.villages))
            ctx = ServiceContext(create_session_factory(engine), instrument)
            started = time.perf_counter()
            await run_in_transaction(ctx.session_factory, rebuild_verified_counts)
            print(f"  verified counts rebuilt from the scores in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
            for label, code in (("village", lay.villages[0]), ("kecamatan", lay.kecamatan[0]),
                                ("kabupaten", lay.kabupaten[0]), ("province", "63")):
                times: dict[bool, list[float]] = {False: [], True: []}
                for verified in (False, True) * args.runs:
                    started = time.perf_counter()
                    report = await area_report(ctx, PEJABAT_ID, code, verified_only=verified)
                    times[verified].append(time.perf_counter() - started)
                    assert report is not None and report.submitted > 0, code
                usual, only = (statistics.median(times[v]) * 1000 for v in (False, True))
                print(f"  {label:<10} usual {usual:8.1f} ms   terverifikasi {only:8.1f} ms   "
                      f"({only / usual:4.1f}x)", flush=True)
        finally:
            await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--villages", type=int, default=400)
    parser.add_argument("--families", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
