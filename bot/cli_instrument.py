"""`ikk-bot instrument export|check`: the operator's round trip for replacing the questionnaire.

An operator exports the current instrument to a workbook, edits it in Excel, checks it here (every
problem listed at once, by sheet, row and column) and only then imports it. Exit status: 0 good,
1 the file has problems, 2 the file cannot be read or written at all.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ikk_core.instrument import Instrument
from ikk_core.instrument_io import (
    InstrumentError,
    InstrumentFileError,
    check_file,
    load_default_instrument,
    load_instrument,
    write_xlsx,
    write_yaml,
)

EXIT_PROBLEMS = 1
EXIT_UNUSABLE = 2

instrument_app = typer.Typer(
    no_args_is_help=True,
    help="Instrumen IKK (pertanyaan dan aturan skor): ekspor ke Excel/YAML dan periksa berkas.",
)


class ExportFormat(StrEnum):
    xlsx = "xlsx"
    yaml = "yaml"


_SUFFIXES = {ExportFormat.xlsx: (".xlsx",), ExportFormat.yaml: (".yaml", ".yml")}


def summary(instrument: Instrument) -> str:
    """`ikk-kalsel-default versi 2026.2: 39 pertanyaan, 29 indikator, 5 dimensi`."""
    return (
        f"{instrument.id} versi {instrument.version}: {len(instrument.questions)} pertanyaan, "
        f"{len(instrument.indicators)} indikator, {len(instrument.dimensions)} dimensi"
    )


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"Galat: {message}", err=True)
    return typer.Exit(code)


def _report_problems(error: InstrumentError, path: Path) -> typer.Exit:
    for problem in error.problems:
        typer.echo(str(problem))
    typer.echo(f"{len(error.problems)} masalah ditemukan di {path}.", err=True)
    return typer.Exit(EXIT_PROBLEMS)


@instrument_app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="Berkas yang ditulis, misalnya instrumen.xlsx.")],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option("--format", "-f", help="xlsx (untuk diedit di Excel) atau yaml."),
    ] = None,
    instrument_file: Annotated[
        Path | None,
        typer.Option("--instrument", help="Instrumen sumber (YAML/XLSX); bawaan bila kosong."),
    ] = None,
) -> None:
    """Tulis instrumen bawaan (atau --instrument) sebagai workbook XLSForm atau YAML."""
    chosen = fmt or (
        ExportFormat.yaml if out.suffix.lower() in (".yaml", ".yml") else ExportFormat.xlsx
    )
    if out.suffix.lower() not in _SUFFIXES[chosen]:
        raise _fail(
            f"nama berkas {out.name} tidak cocok dengan format {chosen.value}; "
            f"pakai akhiran {' atau '.join(_SUFFIXES[chosen])}",
            EXIT_UNUSABLE,
        )
    try:
        instrument = (
            load_default_instrument()
            if instrument_file is None
            else load_instrument(instrument_file)
        )
    except InstrumentFileError as error:
        raise _fail(f"{instrument_file}: {error.message}", EXIT_UNUSABLE) from None
    except InstrumentError as error:
        raise _report_problems(error, instrument_file or Path("instrumen bawaan")) from None
    try:
        if chosen is ExportFormat.xlsx:
            write_xlsx(instrument, out)
        else:
            write_yaml(instrument, out)
    except OSError as error:
        raise _fail(f"tidak bisa menulis {out}: {error.strerror or error}", EXIT_UNUSABLE) from None
    typer.echo(f"Ditulis {out}: {summary(instrument)}")


@instrument_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="Berkas instrumen: .xlsx, .yaml atau .yml.")],
) -> None:
    """Periksa berkas instrumen; semua masalah ditampilkan sekaligus (sheet, baris, kolom)."""
    try:
        instrument, problems = check_file(file)
    except InstrumentFileError as error:
        raise _fail(f"{file}: {error.message}", EXIT_UNUSABLE) from None
    if instrument is None:
        raise _report_problems(InstrumentError(problems, str(file)), file)
    typer.echo(f"OK: {summary(instrument)}")
