"""`ikk-bot score FILE`: the IKK of every village in a spreadsheet of answers.

The shell around `ikk_core`: it reads files, resolves village names, shows progress and prints.
Parsing, checking, scoring and aggregation are the same core functions the bot uses, so a number
printed here is the number `/ikk` shows for the same families.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.instrument_source import configured_instrument
from ikk_core.aggregation import aggregate_by
from ikk_core.answers_table import (
    AnswersFileError,
    AnswersTable,
    VillageDirectory,
    prepare_answers,
    read_answers_file,
)
from ikk_core.areas import AreaLevel, display_name, normalize_name
from ikk_core.formatting import format_integer, format_value
from ikk_core.instrument import Instrument
from ikk_core.instrument_io import InstrumentError, load_instrument
from ikk_core.results import AreaResult
from ikk_core.scoring import score_frame

DEMO_AREAS = Path(__file__).parent / "data" / "demo-areas.csv"
#: Below this many rows the work takes a blink; a progress bar would only flicker.
PROGRESS_MIN_ROWS = 5_000
EXIT_UNUSABLE = 2
EXIT_NOTHING_SCORED = 1


class _Unusable(Exception):
    """An input that stops the command: shown as one line, exit status 2."""


def read_area_names(path: Path) -> dict[str, str]:
    """`kode,nama` rows of an areas CSV as {code: name}."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(4096)
            handle.seek(0)
            delimiter = ";" if sample.split("\n", 1)[0].count(";") > sample.count(",") else ","
            reader = csv.DictReader(handle, delimiter=delimiter)
            fields = {f.strip().lower(): f for f in reader.fieldnames or []}
            if "kode" not in fields or "nama" not in fields:
                raise _Unusable(f"Berkas wilayah {path.name} perlu kolom 'kode' dan 'nama'.")
            return {
                row[fields["kode"]].strip(): row[fields["nama"]].strip()
                for row in reader
                if row.get(fields["kode"])
            }
    except OSError as exc:
        raise _Unusable(f"Berkas wilayah tidak dapat dibaca: {path} ({exc.strerror})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _Unusable(f"Berkas wilayah tidak dapat dibaca: {path.name} ({exc})") from None


def area_names(extra: Path | None) -> dict[str, str]:
    """Names of the built-in demo areas, overridden and extended by `--areas`."""
    names = read_area_names(DEMO_AREAS) if DEMO_AREAS.is_file() else {}
    if extra is not None:
        names.update(read_area_names(extra))
    return names


def _load_instrument(path: Path | None) -> Instrument:
    if path is None:
        try:
            return configured_instrument()
        except (InstrumentError, OSError) as exc:
            raise _Unusable(f"Instrumen INSTRUMENT_FILE tidak dapat dipakai: {exc}") from None
    if not path.is_file():
        raise _Unusable(f"Berkas instrumen tidak ditemukan: {path}")
    try:
        return load_instrument(path)
    except InstrumentError as exc:  # the loader's message lists each problem by sheet and row
        problems = "; ".join(str(p) for p in exc.problems[:3])
        more = f" (dan {len(exc.problems) - 3} lagi)" if len(exc.problems) > 3 else ""
        raise _Unusable(f"Instrumen {path.name} tidak dapat dipakai: {problems}{more}") from None


@contextmanager
def _progress(rows: int) -> Iterator[Progress | None]:
    """A progress bar on stderr for large files (stdout stays clean for --json)."""
    if rows < PROGRESS_MIN_ROWS:
        yield None
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        yield progress


def score_file(
    path: Path, instrument: Instrument, names: Mapping[str, str], progress: Progress | None = None
) -> tuple[AnswersTable, list[AreaResult]]:
    """Check and score every row of the file; one result per village, in code order."""
    task = progress.add_task("Membaca berkas", total=None) if progress is not None else None

    def stage(description: str, done: int = 0, total: int | None = None) -> None:
        if progress is not None and task is not None:
            progress.update(task, description=description, completed=done, total=total)

    raw = read_answers_file(path)
    table = prepare_answers(
        instrument,
        raw,
        VillageDirectory(names),
        lambda done, total: stage("Memeriksa jawaban", done, total),
    )
    stage("Menghitung IKK")
    scores = score_frame(instrument, table.answers, table.village_codes)
    results = aggregate_by(instrument, scores, table.village_codes, names)
    return table, [results[code] for code in sorted(results)]


def to_json(instrument: Instrument, table: AnswersTable, areas: list[AreaResult]) -> dict[str, Any]:
    """The `--json` document: instrument, one entry per village, rejected rows."""
    return {
        "instrument": {"id": instrument.id, "version": instrument.version},
        "areas": [area.to_dict() for area in areas],
        "rejected_rows": [{"row": r.row, "reason": r.reason} for r in table.rejected],
    }


def _area_title(area: AreaResult) -> str:
    """ "Desa Sampanahan": the level word tells a desa from the kecamatan of the same name."""
    try:
        level = AreaLevel(area.level)
    except ValueError:
        return area.name
    if normalize_name(area.name).startswith(level.value + " "):
        return area.name  # the name already says its level ("Desa Sungai Raya")
    return display_name(level, area.name)


def _category_text(area: AreaResult) -> str:
    if area.category is None:
        return "tanpa kategori"
    label = area.category.label.get("id")
    return f"{area.category.name} — {label}" if label else area.category.name


def print_report(
    console: Console, instrument: Instrument, table: AnswersTable, areas: list[AreaResult]
) -> None:
    """The readable report: per village IKK and category, dimensions, red indicators."""
    settings = instrument.settings
    for area in areas:
        console.rule(f"[bold]{_area_title(area)}[/bold] ({area.code})")
        console.print(f"[bold]IKK {format_value(area.ikk)}[/bold] · {_category_text(area)}")
        console.print(f"Keluarga dinilai: {format_integer(area.families)}")
        dims = Table(title="Dimensi", title_justify="left", show_edge=False)
        dims.add_column("Kode")
        dims.add_column("Dimensi")
        dims.add_column("Nilai", justify="right")
        for d in area.dimensions:
            dims.add_row(d.code, d.name.get("id"), format_value(d.value))
        console.print(dims)
        threshold = format_value(
            settings.red_threshold, 0 if float(settings.red_threshold).is_integer() else 2
        )
        if area.red:
            reds = Table(
                title=f"Indikator merah (< {threshold})", title_justify="left", show_edge=False
            )
            reds.add_column("Kode", style="red")
            reds.add_column("Indikator")
            reds.add_column("Nilai", justify="right", style="red")
            reds.add_column("Keluarga", justify="right")
            reds.add_column("Sektor")
            for i in area.red:
                reds.add_row(
                    i.code,
                    i.name.get("id"),
                    format_value(i.value),
                    f"{i.numerator}/{i.denominator}",
                    i.sector,
                )
            console.print(reds)
        else:
            console.print(f"Tidak ada indikator merah (semua ≥ {threshold}).")
        if area.no_value:
            listed = ", ".join(f"{i.code} {i.name.get('id')}" for i in area.no_value)
            console.print(f"Indikator tanpa nilai (tidak ada keluarga yang berlaku): {listed}")
    if not areas:
        console.print("Tidak ada keluarga yang dapat dinilai.")
    if table.rejected:
        rejected = Table(
            title=f"Baris ditolak ({len(table.rejected)})", title_justify="left", show_edge=False
        )
        rejected.add_column("Baris", justify="right")
        rejected.add_column("Alasan")
        for r in table.rejected:
            rejected.add_row(str(r.row), r.reason)
        console.print(rejected)
    if table.ignored_columns:
        console.print(f"Kolom diabaikan (bukan pertanyaan): {', '.join(table.ignored_columns)}")
    status = "metode sementara" if settings.provisional else "metode resmi"
    method = "rata-rata dimensi" if settings.aggregation == "dimension_mean" else "rata-rata datar"
    console.print(f"Instrumen {instrument.label} · {method} · {status}", style="dim")


def score_command(
    file: Annotated[
        Path, typer.Argument(help="CSV (`,` atau `;`) atau XLSX: satu baris per keluarga.")
    ],
    instrument: Annotated[
        Path | None, typer.Option("--instrument", help="Berkas instrumen (YAML atau XLSX).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Keluaran JSON (angka tanpa pembulatan).")
    ] = False,
    areas: Annotated[
        Path | None, typer.Option("--areas", help="CSV wilayah tambahan dengan kolom kode,nama.")
    ] = None,
) -> None:
    """Hitung IKK per desa dari berkas jawaban (kolom = nama pertanyaan, plus kolom `desa`)."""
    try:
        inst = _load_instrument(instrument)
        names = area_names(areas)
        with _progress(_count_lines(file)) as progress:
            table, results = score_file(file, inst, names, progress)
    except (_Unusable, AnswersFileError) as exc:
        message = exc.message if isinstance(exc, AnswersFileError) else str(exc)
        typer.echo(f"Galat: {message}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from None
    if as_json:
        sys.stdout.write(json.dumps(to_json(inst, table, results), ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
    else:
        print_report(Console(), inst, table, results)
    if not results:
        raise typer.Exit(EXIT_NOTHING_SCORED)


def _count_lines(path: Path) -> int:
    """A cheap estimate of the number of rows, to decide whether a progress bar is worth it."""
    try:
        if path.suffix.lower() in (".csv", ".txt"):
            with path.open("rb") as handle:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
        return path.stat().st_size // 200  # xlsx: compressed, roughly 200 bytes per row
    except OSError:
        return 0
