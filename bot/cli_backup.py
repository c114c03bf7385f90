"""`ikk-bot db backup|restore`: the operator's copy of the data, and the way back from it.

Attached to the `db` command group by `attach_backup_commands` (called once in `bot.cli`).
Exit status as in `bot.cli_db`: 0 done, 1 refused (a file exists without --force, the bot is
still running), 2 cannot be done (missing tool, unreachable database, unreadable file).
Every message is one line, and the database password never appears in one.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from bot.db.backup import (
    BackupError,
    BackupRefused,
    backup_database,
    backup_file_name,
    restore_database,
)
from bot.settings import get_settings
from ikk_core.formatting import format_integer, format_value

__all__ = ["attach_backup_commands", "db_backup", "db_restore"]

EXIT_REFUSED = 1
EXIT_UNUSABLE = 2


def attach_backup_commands(db_app: typer.Typer) -> None:
    """Add `backup` and `restore` to the `db` command group."""
    db_app.command("backup")(db_backup)
    db_app.command("restore")(db_restore)


def _fail(error: BackupError) -> typer.Exit:
    typer.echo(f"Galat: {error}", err=True)
    return typer.Exit(EXIT_REFUSED if isinstance(error, BackupRefused) else EXIT_UNUSABLE)


def _where(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unreadable URL is reported by the backup module itself
        return "(DATABASE_URL)"


def _size(size: int) -> str:
    if size < 1024:
        return f"{format_integer(size)} bita"
    if size < 1024 * 1024:
        return f"{format_value(size / 1024, 1)} KB"
    return f"{format_value(size / (1024 * 1024), 1)} MB"


def db_backup(
    output: Annotated[
        Path,
        typer.Argument(
            help="Berkas cadangan, atau folder yang sudah ada (nama berkas diberi tanggal dan "
            "jam: ikk-bot-YYYYmmdd-HHMMSS.db atau .dump).",
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Timpa berkas cadangan yang sudah ada.")
    ] = False,
) -> None:
    """Cadangkan database tanpa menghentikan bot (SQLite: satu berkas .db; PostgreSQL: pg_dump
    format custom)."""
    settings = get_settings()
    url = settings.database_url
    try:
        target = (
            output / backup_file_name(url, datetime.now(settings.tz)) if output.is_dir() else output
        )
        done = asyncio.run(backup_database(url, target, overwrite=force))
    except BackupError as error:
        raise _fail(error) from None
    typer.echo(f"Cadangan database {_where(url)} tersimpan di {done.path} ({_size(done.size)}).")


def db_restore(
    source: Annotated[Path, typer.Argument(help="Berkas dari `ikk-bot db backup`.")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Timpa database yang sudah berisi data (hentikan bot dulu)."),
    ] = False,
) -> None:
    """Pulihkan database dari cadangan. Hentikan bot dulu; database yang sudah ada hanya
    ditimpa dengan --force."""
    url = get_settings().database_url
    try:
        done = asyncio.run(restore_database(url, source, force=force))
    except BackupError as error:
        raise _fail(error) from None
    after = done.not_ready or "Skema sudah pada revisi terbaru; bot dapat dijalankan."
    typer.echo(f"Database {_where(url)} dipulihkan dari {done.source}. {after}")
