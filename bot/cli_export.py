"""`ikk-bot export --area CODE [--period Y] [--names [--sensitive]] OUT.xlsx`: offline export.

The same workbook `/ekspor` sends in chat (summary, indicators and dimensions per village), written
to a file by the operator who holds the database, for any area. Per-family rows are personal data:
without `--names` the workbook has none (like a pejabat's); with `--names` it has the family sheet
with names but without the sensitive indicators; `--sensitive` adds those, is logged and leaves an
audit row. The command says what the file holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli_db import EXIT_PROBLEMS, EXIT_UNUSABLE, operator_name, run_with_database
from bot.db.database import Database
from bot.instrument_source import cli_instrument
from bot.services.context import ServiceContext
from bot.services.exports import MAX_FAMILY_ROWS, ExportFile, operator_export
from bot.settings import get_settings
from ikk_core.areas import is_valid_code
from ikk_core.formatting import format_integer
from ikk_core.instrument import Instrument

__all__ = ["export_command"]


def _instrument(path: Path | None) -> Instrument:
    return cli_instrument(path)



def export_command(
    output: Annotated[
        Path, typer.Argument(help="Berkas .xlsx yang ditulis (mis. ikk-63.02-2025.xlsx).",
                             dir_okay=False)
    ],
    area: Annotated[
        str, typer.Option("--area", help="Kode wilayah Kemendagri (mis. 63.02.12.2005).")
    ],
    period: Annotated[
        int | None,
        typer.Option("--period", help="Tahun survei; bawaan: tahun terakhir yang ada datanya."),
    ] = None,
    names: Annotated[
        bool,
        typer.Option("--names", help="Sertakan lembar per keluarga dengan nama kepala keluarga "
                     "(data pribadi: hati-hati)."),
    ] = False,
    sensitive: Annotated[
        bool,
        typer.Option("--sensitive", help="Sertakan juga indikator sensitif (mis. kekerasan) di "
                     "lembar per keluarga; perlu --names; dicatat di log dan audit."),
    ] = False,
    instrument_file: Annotated[
        Path | None,
        typer.Option("--instrument", help="Berkas instrumen (YAML atau XLSX); bawaan: bawaan.",
                     dir_okay=False),
    ] = None,
) -> None:
    """Ekspor IKK wilayah ke Excel: ringkasan, per desa, per dimensi (per keluarga: --names)."""
    code = area.strip()
    if not is_valid_code(code):
        typer.echo(f"Galat: kode wilayah tidak sah: {code!r} (contoh: 63.02.12.2005).", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    if sensitive and not names:
        typer.echo("Galat: --sensitive hanya bisa bersama --names (lembar per keluarga).",
                   err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    if output.suffix.lower() != ".xlsx":
        typer.echo("Galat: nama berkas keluaran harus berakhiran .xlsx.", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    instrument = _instrument(instrument_file)

    async def action(database: Database) -> ExportFile | None:
        ctx = ServiceContext.create(database.session_factory, get_settings(), instrument)
        return await operator_export(
            ctx, code, period, include_names=names, include_sensitive=sensitive,
            actor=operator_name(),
        )

    built = run_with_database(action)
    if built is None:
        typer.echo(f"Galat: wilayah {code} tidak ada di database.", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    try:
        output.write_bytes(built.data)
    except OSError as exc:
        typer.echo(f"Galat: {output} tidak dapat ditulis ({exc.strerror}).", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from None
    typer.echo(f"Wilayah: {built.area_label} ({built.area_code}), periode {built.period}")
    typer.echo(
        f"Keluarga terkirim: {format_integer(built.families)} di "
        f"{format_integer(built.villages)} desa/kelurahan"
    )
    if not built.family_sheet:
        typer.echo("Tanpa data per keluarga (hanya angka wilayah); pakai --names untuk admin.")
    elif not built.family_rows:
        typer.echo(
            f"Lembar skor keluarga dikosongkan: lebih dari {format_integer(MAX_FAMILY_ROWS)} "
            "keluarga. Ekspor per kabupaten atau kecamatan untuk rinciannya."
        )
    elif built.sensitive:
        typer.echo("Perhatian: berkas berisi nama kepala keluarga DAN indikator sensitif "
                   "(data pribadi). Ekspor ini dicatat di audit.")
    else:
        typer.echo("Perhatian: berkas berisi nama kepala keluarga (data pribadi); "
                   "indikator sensitif tidak disertakan.")
    typer.echo(f"Ditulis: {output}")
