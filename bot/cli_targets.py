"""`ikk-bot areas targets FILE.csv`: expected families per village, for coverage lines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli_db import EXIT_PROBLEMS, EXIT_UNUSABLE, run_with_database
from bot.db.database import Database
from bot.repositories.areas import AreaFileError
from bot.repositories.targets import TargetImportReport, import_targets_csv

__all__ = ["areas_targets", "attach_targets_command"]


def areas_targets(
    file: Annotated[Path, typer.Argument(help="CSV UTF-8 dengan kolom kode,keluarga.")],
) -> None:
    """Impor jumlah keluarga (KK) yang diharapkan per desa (kolom kode,keluarga); laporan lalu
    menulis misalnya "120 dari 480 KK (25 %)". Satu baris salah = tidak ada yang disimpan."""
    if not file.is_file():
        typer.echo(f"Gagal: berkas {file} tidak ditemukan.", err=True)
        raise typer.Exit(EXIT_UNUSABLE)

    async def action(database: Database) -> TargetImportReport:
        async with database.session_factory() as session, session.begin():
            return await import_targets_csv(session, file)

    try:
        report = run_with_database(action)
    except AreaFileError as exc:
        typer.echo(f"Gagal: {file}: {exc}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from None
    if report.rejected:
        for row in report.rejected:
            typer.echo(f"Ditolak {row}")
        typer.echo(
            f"Tidak ada target yang disimpan: {len(report.rejected)} baris salah. "
            "Perbaiki baris di atas lalu jalankan perintah ini lagi."
        )
        raise typer.Exit(EXIT_PROBLEMS)
    typer.echo(
        f"Target KK: {report.inserted} baru, {report.updated} diperbarui, "
        f"{report.unchanged} tidak berubah."
    )


def attach_targets_command(areas_app: typer.Typer) -> None:
    """Add `targets` to the `areas` command group."""
    areas_app.command("targets")(areas_targets)
