"""`ikk-bot rescore`: score every submitted family again after the instrument changed.

Stored scores say which instrument produced them; a report computed with a newer instrument
counts families still scored by the old one as "outdated". This command removes the mix:
every submitted family (of one period, or all) is scored again with the given instrument
(default: the built-in one), in batches of one transaction each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli_db import run_with_database
from bot.db.database import Database
from bot.instrument_source import cli_instrument
from bot.services.submission import RescoreReport, rescore
from ikk_core.formatting import format_integer
from ikk_core.instrument import Instrument

__all__ = ["rescore_command"]


def _instrument(path: Path | None) -> Instrument:
    return cli_instrument(path)


def rescore_command(
    instrument_file: Annotated[
        Path | None,
        typer.Option(
            "--instrument",
            help="Berkas instrumen (YAML atau XLSX); bawaan: instrumen yang dipasang.",
            dir_okay=False,
        ),
    ] = None,
    period: Annotated[
        int | None,
        typer.Option("--period", help="Hanya keluarga tahun survei ini (mis. 2025)."),
    ] = None,
) -> None:
    """Hitung ulang skor semua keluarga yang sudah dikirim dengan instrumen yang diberikan."""
    instrument = _instrument(instrument_file)

    async def action(database: Database) -> RescoreReport:
        return await rescore(database.session_factory, instrument, period=period)

    report = run_with_database(action)
    where = f" tahun {period}" if period is not None else ""
    typer.echo(f"Instrumen: {instrument.label}")
    typer.echo(f"Keluarga terkirim{where} dihitung ulang: {format_integer(report.responses)}")
    typer.echo(f"Skor atau kategori berubah: {format_integer(report.changed)}")
    if report.incomplete:
        typer.echo(
            f"Perhatian: {format_integer(report.incomplete)} keluarga belum menjawab semua "
            "pertanyaan wajib instrumen ini (dihitung dengan jawaban yang ada)."
        )
