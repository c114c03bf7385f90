"""Loading, checking and exporting instrument files: the one entry point the rest of the code uses.

`load_instrument` picks the format by suffix (.yaml/.yml or .xlsx), reads the file into tables,
checks every row and returns an immutable `Instrument`, or raises `InstrumentError` listing every
problem at once (`InstrumentFileError` when the file cannot be read at all). The sheet layout is
described in `ikk_core.instrument_tables`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ikk_core.instrument import Instrument
from ikk_core.instrument_problems import InstrumentError, InstrumentFileError, Problem
from ikk_core.instrument_tables import RawTables
from ikk_core.instrument_validate import check_tables, instrument_from_tables, validate
from ikk_core.instrument_xlsx import tables_from_xlsx, write_xlsx
from ikk_core.instrument_yaml import instrument_to_yaml_text, tables_from_yaml_text

__all__ = [
    "DEFAULT_INSTRUMENT_FILE",
    "InstrumentError",
    "InstrumentFileError",
    "Problem",
    "check_file",
    "instrument_from_yaml_text",
    "load_default_instrument",
    "load_instrument",
    "read_tables",
    "validate",
    "write_xlsx",
    "write_yaml",
]

#: The packaged default instrument, relative to the `ikk_core` package.
DEFAULT_INSTRUMENT_FILE = "instruments/ikk-kalsel-default.yaml"
_YAML_SUFFIXES = frozenset({".yaml", ".yml"})
_XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})


def read_tables(path: str | Path) -> RawTables:
    """The raw tables of a file, by suffix; InstrumentFileError if it cannot be read."""
    source = str(path)
    suffix = Path(path).suffix.lower()
    if suffix in _XLSX_SUFFIXES:
        return tables_from_xlsx(path)
    if suffix in _YAML_SUFFIXES:
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError as error:
            raise InstrumentFileError("berkas tidak ditemukan", source) from error
        except OSError as error:
            raise InstrumentFileError(
                f"berkas tidak bisa dibuka ({error.strerror})", source
            ) from error
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InstrumentFileError("berkas YAML harus ditulis dalam UTF-8", source) from error
        return tables_from_yaml_text(text, source)
    raise InstrumentFileError(
        f"jenis berkas '{suffix or '(tanpa akhiran)'}' tidak dikenal; pakai .xlsx, .yaml atau .yml",
        source,
    )


def check_file(path: str | Path) -> tuple[Instrument | None, list[Problem]]:
    """Every problem of a file (the instrument when there are none); raises only when unreadable."""
    return check_tables(read_tables(path))


def load_instrument(path: str | Path) -> Instrument:
    """The instrument in `path` (.yaml/.yml or .xlsx); InstrumentError lists all its problems."""
    return instrument_from_tables(read_tables(path))


def instrument_from_yaml_text(text: str, source: str = "<yaml>") -> Instrument:
    """The instrument written in YAML `text`; InstrumentError lists all its problems."""
    return instrument_from_tables(tables_from_yaml_text(text, source))


@lru_cache(maxsize=1)
def load_default_instrument() -> Instrument:
    """The instrument shipped with the package (`ikk-kalsel-default`), loaded once per process."""
    # Beside this module rather than importlib.resources: that also works when an editable
    # install has made `ikk_core` a namespace package.
    text = (Path(__file__).parent / DEFAULT_INSTRUMENT_FILE).read_text("utf-8")
    return instrument_from_yaml_text(text, DEFAULT_INSTRUMENT_FILE)


def write_yaml(instrument: Instrument, path: str | Path) -> None:
    """Write the instrument as YAML in the table shape; loading it gives an equal instrument."""
    Path(path).write_text(instrument_to_yaml_text(instrument), encoding="utf-8")
