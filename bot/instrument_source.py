"""Which instrument this installation uses: the shipped default or the `INSTRUMENT_FILE` setting.

The province will replace the provisional instrument with the official one by editing a
workbook; pointing `INSTRUMENT_FILE` at it is the only change needed, so every part of the bot
(chat, reports, alerts, exports, rescore) must ask here rather than load the default itself.
"""

from __future__ import annotations

import functools
from pathlib import Path

import typer

from bot.settings import Settings, get_settings
from ikk_core.instrument import Instrument
from ikk_core.instrument_io import InstrumentError, load_default_instrument, load_instrument

__all__ = ["EXIT_UNUSABLE", "cli_instrument", "configured_instrument"]

EXIT_UNUSABLE = 2


@functools.lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int) -> Instrument:
    """Parsed once per file version: the modification time is part of the key."""
    del mtime_ns
    return load_instrument(path)


def configured_instrument(settings: Settings | None = None) -> Instrument:
    """The instrument named by `INSTRUMENT_FILE`, or the shipped default when it is unset.

    Raises InstrumentError (with every problem located by sheet and row) or OSError.
    """
    settings = settings or get_settings()
    if settings.instrument_file is None:
        return load_default_instrument()
    path = settings.instrument_file.expanduser().resolve()
    return _load(path, path.stat().st_mtime_ns)


def cli_instrument(path: Path | None, settings: Settings | None = None) -> Instrument:
    """For commands with `--instrument FILE`: that file, else the configured instrument.

    A file that cannot be used ends the command with status 2 and the problems, no traceback.
    """
    shown = path or (settings or get_settings()).instrument_file or Path("(bawaan)")
    try:
        if path is not None:
            return load_instrument(path)
        return configured_instrument(settings)
    except InstrumentError as exc:
        typer.echo(f"Galat: instrumen {shown} tidak dapat dipakai:\n{exc}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from None
    except OSError as exc:
        typer.echo(f"Galat: berkas instrumen {shown} tidak terbaca ({exc.strerror}).", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from None
