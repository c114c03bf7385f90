"""Import benchmark: `families import` of N families on SQLite, against a bare executemany.

    .venv/bin/python benchmarks/bench_import.py              # 100,000 families
    .venv/bin/python benchmarks/bench_import.py --families 5000

Builds a CSV of N families (synthetic Sampanahan families from `bot.demo.synthetic`, spread
over the 10 demo villages, each with its own `id_luar` and head name), then in a fresh
migrated SQLite file:

1. the import as the command runs it (`check_file` then `store_families`): families/s, with
   the checking (read, parse, validate, score) and storing phases apart;
2. the same file again (every row unchanged: the idempotent path);
3. the baseline: the very rows the import wrote (family, response, answer, family_score,
   village_indicator_count), copied into another fresh migrated file with a bare `executemany`
   per table on a plain sqlite3 connection in one transaction. The ratio import / baseline is
   what validating, scoring and keeping the counts cost over writing the same bytes.

Target (issue 13): 100,000 families in under 60 s on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import Role
from bot.demo.synthetic import draw_families
from bot.repositories.areas import load_demo_areas
from bot.repositories.users import add_user
from bot.services.context import ServiceContext
from bot.services.family_import import store_families, village_names
from bot.services.import_file import check_file
from ikk_core.instrument_io import load_default_instrument

VILLAGES = [f"63.02.12.{2000 + n}" for n in range(1, 11)]
TEMPLATES = 2_000
TABLES = ("family", "response", "answer", "family_score", "village_indicator_count")
PERIOD = 2025


def _suffix(number: int) -> str:
    """A distinct word for every number (0 → "Ba", 1 → "Be", ...), read as part of a name."""
    letters, vowels, word = "bcdfghjklmnprstw", "aeiou", ""
    while True:
        number, rest = divmod(number, len(letters) * len(vowels))
        word += letters[rest // len(vowels)] + vowels[rest % len(vowels)]
        if number == 0:
            return word.capitalize()


def write_file(path: Path, count: int) -> None:
    """`count` rows cycling through TEMPLATES distinct synthetic families."""
    instrument = load_default_instrument()
    templates: list[dict[str, str]] = []
    seed = 1
    while len(templates) < min(TEMPLATES, count):
        templates += draw_families(instrument, count=100, seed=seed)
        seed += 1
    columns = ["desa", "id_luar", *[q.name for q in instrument.questions if q.answerable]]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for i in range(count):
            family = templates[i % len(templates)]
            cells = {"desa": VILLAGES[i % len(VILLAGES)], "id_luar": f"bench-{i}", **family}
            # Each family its own head: a village holds few people of one name in one RT,
            # while the cycled templates would put 50 "Ahmad Fauzi" of RT 3 in one village.
            cells["H_KEPALA"] = f"{family['H_KEPALA']} {_suffix(i)}"
            writer.writerow([cells.get(c, "") for c in columns])


async def prepare(url: str) -> int:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        sessions = create_session_factory(engine)
        async with sessions() as session, session.begin():
            await load_demo_areas(session)
            admin = await add_user(session, telegram_id=1, role=Role.ADMIN, area_code="63",
                                   display_name="Bench")
            return admin.id
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds (CPU: every thread of the process, the driver's included;
    on a machine shared with other work the wall clock also counts time spent waiting)."""

    check: float
    store: float
    check_cpu: float
    store_cpu: float
    created: int
    unchanged: int

    @property
    def wall(self) -> float:
        return self.check + self.store

    @property
    def cpu(self) -> float:
        return self.check_cpu + self.store_cpu


async def run_import(url: str, path: Path, admin_id: int) -> Timing:
    engine = create_engine(url)
    try:
        ctx = ServiceContext(create_session_factory(engine), load_default_instrument())
        names = await village_names(ctx)
        started, started_cpu = time.perf_counter(), time.process_time()
        checked = check_file(path, ctx.instrument, names, default_period=PERIOD,
                             default_source="bench")
        checked_at, checked_cpu = time.perf_counter(), time.process_time()
        report = await store_families(ctx, checked, admin_id=admin_id, reason="bench")
        done, done_cpu = time.perf_counter(), time.process_time()
        assert not report.rejected and not report.duplicates, report.rejected[:3]
        return Timing(checked_at - started, done - checked_at, checked_cpu - started_cpu,
                      done_cpu - checked_cpu, report.created, report.unchanged)
    finally:
        await engine.dispose()


def baseline(source: Path, target: Path) -> tuple[float, float, int]:
    """(wall, CPU seconds, rows) to executemany the imported rows into `target` (a fresh
    migrated copy)."""
    rows = {}
    with sqlite3.connect(source) as read:
        for table in TABLES:
            cursor = read.execute(f"SELECT * FROM {table}")
            rows[table] = ([d[0] for d in cursor.description], cursor.fetchall())
    write = sqlite3.connect(target, isolation_level=None)
    try:
        write.execute("PRAGMA journal_mode=WAL")
        write.execute("PRAGMA synchronous=NORMAL")
        write.execute("PRAGMA foreign_keys=ON")
        started, started_cpu = time.perf_counter(), time.process_time()
        write.execute("BEGIN IMMEDIATE")
        for table in TABLES:
            names, values = rows[table]
            marks = ", ".join("?" for _ in names)
            write.executemany(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", values
            )
        write.execute("COMMIT")
        return (time.perf_counter() - started, time.process_time() - started_cpu,
                sum(len(v) for _, v in rows.values()))
    finally:
        write.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = folder / "families.csv"
        write_file(data, args.families)
        print(f"families: {args.families:,}  file: {data.stat().st_size / 1e6:.1f} MB")
        template = folder / "template.db"
        admin_id = asyncio.run(prepare(f"sqlite+aiosqlite:///{template}"))
        imported = folder / "import.db"
        shutil.copy(template, imported)
        url = f"sqlite+aiosqlite:///{imported}"

        first = asyncio.run(run_import(url, data, admin_id))
        assert first.created == args.families
        print(f"import:    {first.wall:6.1f} s wall, {first.cpu:6.1f} s CPU  "
              f"({args.families / first.wall:,.0f} families/s wall, "
              f"{args.families / first.cpu:,.0f}/s CPU; check {first.check:.1f} s "
              f"[{first.check_cpu:.1f} CPU], store {first.store:.1f} s "
              f"[{first.store_cpu:.1f} CPU])  target < 60 s")
        again = asyncio.run(run_import(url, data, admin_id))
        assert again.unchanged == args.families
        print(f"re-import: {again.wall:6.1f} s wall, {again.cpu:6.1f} s CPU  "
              f"({again.unchanged:,} unchanged)")

        bare = folder / "baseline.db"
        shutil.copy(template, bare)
        base_wall, base_cpu, rows = baseline(imported, bare)
        print(f"baseline:  {base_wall:6.1f} s wall, {base_cpu:6.1f} s CPU  "
              f"(bare executemany of the same {rows:,} rows, one transaction)")
        print(f"ratio import / baseline: {first.wall / base_wall:.1f}x wall, "
              f"{first.cpu / base_cpu:.1f}x CPU")
        print(f"load average during the run: {os.getloadavg()[0]:.1f} "
              f"({os.cpu_count()} CPUs)")

if __name__ == "__main__":
    main()
