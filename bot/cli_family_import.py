"""`ikk-bot families import FILE`: families from the province's web app or Kobo/ODK files.

The shell around `bot.services.import_file` (check the file as the chat checks replies) and
`bot.services.family_import` (store, idempotently): it resolves the admin the import is
recorded under, shows a progress bar on stderr and prints what happened in Indonesian.
Exit status: 0 every row stored or unchanged; 2 rows were rejected or duplicates (the others
are stored), or the file, instrument or database cannot be used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from bot.cli_db import run_with_database
from bot.db.database import Database
from bot.instrument_source import cli_instrument
from bot.services.context import ServiceContext
from bot.services.family_import import (
    ImportRefused,
    ImportReport,
    find_admin,
    store_families,
    village_names,
)
from bot.services.import_file import DEFAULT_SOURCE, MAX_SOURCE, CheckedFile, check_file
from bot.settings import get_settings
from ikk_core.answers_table import AnswersFileError
from ikk_core.formatting import format_integer

__all__ = ["import_command"]

EXIT_REJECTED = 2
EXIT_UNUSABLE = 2
#: Rows listed per table before "… dan N lainnya" (the rest are counted).
SHOWN_ROWS = 50


class _Stages:
    """One progress bar whose description says the stage (checking, then storing); nothing
    when stderr is not a terminal (a log file gets no bar redraws)."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.task: TaskID | None = (
            progress.add_task("Membaca berkas", total=None) if progress is not None else None
        )

    def stage(self, description: str) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=description, completed=0, total=None)

    def step(self, done: int, total: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=done, total=total)


@contextmanager
def _stages() -> Iterator[_Stages]:
    console = Console(stderr=True)
    if not console.is_terminal:
        yield _Stages(None)
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with progress:
        yield _Stages(progress)


def _print(console: Console, file: Path, admin: str, checked: CheckedFile,
           report: ImportReport) -> None:
    console.print(f"Berkas {file.name}: {format_integer(checked.total_rows)} baris.")
    console.print(f"Dicatat atas nama admin: {admin}.")
    console.print(
        f"Keluarga baru: {format_integer(report.created)} · "
        f"diperbarui: {format_integer(report.updated)} · "
        f"tidak berubah: {format_integer(report.unchanged)} · "
        f"duplikat: {format_integer(len(report.duplicates))} · "
        f"ditolak: {format_integer(len(report.rejected))}"
    )
    if report.audit_rows:
        console.print(
            f"Perubahan jawaban dicatat di riwayat: {format_integer(report.audit_rows)}."
        )
    if report.keyed_by_identity:
        console.print(
            f"{format_integer(report.keyed_by_identity)} baris tanpa id_luar dikenali dari desa, "
            "RT, nama kepala keluarga dan periode (nama diubah = keluarga baru)."
        )
    if checked.renamed_columns:
        examples = ", ".join(
            f"{old} → {new}" for old, new in list(checked.renamed_columns.items())[:3]
        )
        console.print(
            f"Kolom grup Kobo/ODK dibaca: {len(checked.renamed_columns)} (mis. {examples})."
        )
    if checked.id_column:
        console.print(f"id_luar diambil dari kolom {checked.id_column}.")
    if report.duplicates:
        table = Table(
            title=f"Duplikat, tidak disimpan ({len(report.duplicates)})",
            title_justify="left", show_edge=False,
        )
        table.add_column("Baris", justify="right")
        table.add_column("Keluarga yang sudah ada", justify="right")
        table.add_column("Asal")
        for dup in report.duplicates[:SHOWN_ROWS]:
            origin = "chat kader" if dup.origin == "chat" else f"impor {dup.origin}"
            table.add_row(str(dup.line), f"#{dup.family_id}", origin)
        console.print(table)
        _more(console, len(report.duplicates))
    if report.rejected:
        table = Table(
            title=f"Baris ditolak ({len(report.rejected)})", title_justify="left",
            show_edge=False,
        )
        table.add_column("Baris", justify="right")
        table.add_column("Alasan")
        for row in report.rejected[:SHOWN_ROWS]:
            table.add_row(str(row.row), row.reason)
        console.print(table)
        _more(console, len(report.rejected))
    if checked.warnings:
        console.print(
            f"Nilai tidak biasa, tetap disimpan (di chat kader ditanya \"Yakin?\"): "
            f"{len(checked.warnings)}."
        )
        for warning in checked.warnings[:10]:
            console.print(f"  baris {warning.row}: {warning.reason}")
    if checked.ignored_columns:
        shown = ", ".join(checked.ignored_columns[:10])
        more = f" dan {len(checked.ignored_columns) - 10} lagi" if len(
            checked.ignored_columns) > 10 else ""
        console.print(f"Kolom diabaikan (bukan pertanyaan): {shown}{more}", style="dim")


def _more(console: Console, count: int) -> None:
    if count > SHOWN_ROWS:
        console.print(f"… dan {format_integer(count - SHOWN_ROWS)} baris lainnya.")


def import_command(
    file: Annotated[
        Path,
        typer.Argument(help="CSV (`,` atau `;`) atau XLSX: satu baris per keluarga, kolom "
                            "seperti `ikk-bot score` plus periode, id_luar, sumber."),
    ],
    periode: Annotated[
        int | None,
        typer.Option("--periode", help="Tahun survei untuk baris tanpa kolom periode; "
                                       "bawaan: tahun ini."),
    ] = None,
    sumber: Annotated[
        str, typer.Option("--sumber", help="Sumber untuk baris tanpa kolom sumber "
                                           "(mis. kobo, aplikasi-provinsi).")
    ] = DEFAULT_SOURCE,
    admin: Annotated[
        int | None,
        typer.Option("--admin", help="Telegram ID admin yang mencatat impor; bawaan: satu-"
                                     "satunya admin aktif."),
    ] = None,
    instrument_file: Annotated[
        Path | None,
        typer.Option("--instrument", help="Berkas instrumen (YAML atau XLSX); bawaan: yang "
                                          "dipasang.", dir_okay=False),
    ] = None,
) -> None:
    """Impor keluarga (jawaban dan skor) dari berkas aplikasi provinsi atau Kobo/ODK."""
    if periode is not None and not 2000 <= periode <= 2100:
        typer.echo(f"Galat: --periode {periode} bukan tahun survei (contoh: 2025).", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    if not sumber.strip() or len(sumber.strip()) > MAX_SOURCE:
        typer.echo(f"Galat: --sumber harus diisi, paling banyak {MAX_SOURCE} karakter.", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    instrument = cli_instrument(instrument_file)
    settings = get_settings()

    async def action(database: Database) -> tuple[str, CheckedFile, ImportReport]:
        ctx = ServiceContext.create(database.session_factory, settings, instrument)
        admin_id, admin_name = await find_admin(ctx, admin)
        names = await village_names(ctx)
        with _stages() as stages:
            stages.stage("Memeriksa baris")
            checked = check_file(
                file, instrument, names,
                default_period=periode if periode is not None else ctx.current_period(),
                default_source=sumber, progress=stages.step,
            )
            stages.stage("Menyimpan keluarga")
            report = await store_families(
                ctx, checked, admin_id=admin_id, reason=f"impor berkas {file.name}"[:200],
                progress=stages.step,
            )
        return admin_name, checked, report

    try:
        admin_name, checked, report = run_with_database(action)
    except (AnswersFileError, ImportRefused) as exc:
        typer.echo(f"Galat: {exc.message}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from None
    _print(Console(highlight=False), file, admin_name, checked, report)
    if report.rejected or report.duplicates:
        raise typer.Exit(EXIT_REJECTED)
