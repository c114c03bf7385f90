"""The INSTRUMENT_FILE setting decides which instrument the whole bot uses."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
import typer

from bot.instrument_source import cli_instrument, configured_instrument
from bot.services.context import ServiceContext
from bot.settings import Settings
from ikk_core.instrument_io import (
    InstrumentError,
    load_default_instrument,
    write_yaml,
)


def _official_copy(tmp_path: Path) -> Path:
    """Stands in for the official instrument: the default with another id and threshold."""
    default = load_default_instrument()
    official = replace(
        default,
        id="ikk-kalsel-resmi",
        version="2027.1",
        settings=replace(default.settings, red_threshold=80.0),
    )
    path = tmp_path / "resmi.yaml"
    write_yaml(official, path)
    return path


def test_without_the_setting_the_shipped_instrument_is_used() -> None:
    assert configured_instrument(Settings(instrument_file=None)) == load_default_instrument()


def test_the_setting_points_every_part_at_the_official_instrument(tmp_path: Path) -> None:
    settings = Settings(instrument_file=_official_copy(tmp_path))
    instrument = configured_instrument(settings)
    assert (instrument.id, instrument.version) == ("ikk-kalsel-resmi", "2027.1")
    assert instrument.settings.red_threshold == 80.0
    context = ServiceContext.create(session_factory=None, settings=settings)  # type: ignore[arg-type]
    assert context.instrument.id == "ikk-kalsel-resmi"


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    path = _official_copy(tmp_path)
    settings = Settings(instrument_file=path)
    assert configured_instrument(settings).version == "2027.1"
    text = path.read_text(encoding="utf-8").replace("2027.1", "2027.2")
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert configured_instrument(settings).version == "2027.2"


def test_a_broken_instrument_file_is_refused_with_its_problems(tmp_path: Path) -> None:
    path = tmp_path / "rusak.yaml"
    path.write_text("bukan: [instrumen", encoding="utf-8")
    with pytest.raises(InstrumentError):
        configured_instrument(Settings(instrument_file=path))
    with pytest.raises(typer.Exit) as stopped:
        cli_instrument(None, Settings(instrument_file=path))
    assert stopped.value.exit_code == 2


def test_a_missing_instrument_file_ends_a_command_with_status_two(tmp_path: Path) -> None:
    with pytest.raises(typer.Exit) as stopped:
        cli_instrument(None, Settings(instrument_file=tmp_path / "tidak-ada.xlsx"))
    assert stopped.value.exit_code == 2
