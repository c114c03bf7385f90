"""`ikk-bot rescore`: score submitted families again after the instrument changed.

Stored scores say which instrument produced them; a report computed with a newer instrument
counts families still scored by the old one as "outdated". This command removes the mix for
the latest period (or the one named with --period): its submitted families are scored again
with the given instrument (default: the installed one), in batches of one transaction each.
Earlier periods keep the instrument they were scored with (`bot.services.rescore_periods`);
rescoring every period with this instrument takes `--semua-periode` and a confirmation
(`--ya` answers it in a script).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli_db import run_with_database
from bot.db.database import Database
from bot.instrument_source import cli_instrument
from bot.services.rescore_periods import PeriodOnRecord, periods_on_record, periods_to_rescore
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
    every_period: Annotated[
        bool,
        typer.Option(
            "--semua-periode",
            help="Hitung ulang SEMUA periode dengan instrumen ini. Tanpa pilihan ini hanya "
            "periode terbaru (atau --period) yang dihitung ulang; periode lain tetap memakai "
            "instrumen yang berlaku saat itu.",
        ),
    ] = False,
    yes: Annotated[
        bool,
        typer.Option("--ya", help="Jangan bertanya lagi sebelum menghitung ulang semua periode."),
    ] = False,
) -> None:
    """Hitung ulang skor keluarga yang sudah dikirim dengan instrumen yang diberikan."""
    if every_period and period is not None:
        typer.echo("Pilih salah satu: --period TAHUN atau --semua-periode.", err=True)
        raise typer.Exit(2)
    instrument = _instrument(instrument_file)

    async def action(database: Database) -> tuple[list[int], list[PeriodOnRecord],
                                                  RescoreReport | None]:
        on_record = await periods_on_record(database.session_factory)
        chosen = periods_to_rescore(on_record, period=period, every_period=every_period)
        if every_period and chosen and not yes and not typer.confirm(
            f"Hitung ulang SEMUA periode ({', '.join(str(p) for p in chosen)}) dengan "
            f"{instrument.label}? Angka IKK periode lama yang sudah dilaporkan dapat berubah.",
            default=False,
        ):
            return chosen, on_record, None
        total: RescoreReport | None = None
        for chosen_period in chosen:
            done = await rescore(database.session_factory, instrument, period=chosen_period)
            total = done if total is None else RescoreReport(
                done.instrument_id, done.instrument_version,
                total.responses + done.responses, total.changed + done.changed,
                total.incomplete + done.incomplete,
            )
        return chosen, on_record, total

    chosen, on_record, report = run_with_database(action)
    if report is None and chosen:
        typer.echo("Dibatalkan: tidak ada skor yang diubah.")
        raise typer.Exit(1)
    where = ", ".join(str(p) for p in chosen) if chosen else "–"
    typer.echo(f"Instrumen: {instrument.label}")
    typer.echo(f"Periode yang dihitung ulang: {where}")
    responses, changed = (report.responses, report.changed) if report is not None else (0, 0)
    typer.echo(f"Keluarga terkirim dihitung ulang: {format_integer(responses)}")
    typer.echo(f"Skor atau kategori berubah: {format_integer(changed)}")
    if report is not None and report.incomplete:
        typer.echo(
            f"Perhatian: {format_integer(report.incomplete)} keluarga belum menjawab semua "
            "pertanyaan wajib instrumen ini (dihitung dengan jawaban yang ada)."
        )
    kept = [p for p in on_record if p.period not in chosen]
    for other in kept:
        used = ", ".join(f"{iid} versi {version}" for iid, version in other.instruments)
        typer.echo(f"Periode {other.period} tidak diubah: tetap dengan skor {used} "
                   f"({format_integer(other.families)} keluarga).")
    if kept:
        typer.echo("Untuk menghitung ulang semua periode dengan instrumen ini: "
                   "--semua-periode.")

