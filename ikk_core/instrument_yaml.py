"""The instrument as YAML: the project's own default lives in git in this form.

The YAML file holds the same tables as the workbook (see `ikk_core.instrument_tables`): a mapping
of sheet name to a list of row mappings keyed by column header, and `settings` as a mapping of key
to value. Keeping one shape means one loader and one validator for both formats.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from ikk_core.instrument import Instrument
from ikk_core.instrument_problems import InstrumentFileError, Problem
from ikk_core.instrument_tables import (
    SETTINGS,
    SHEET_ORDER,
    TABLE_COLUMNS,
    Cell,
    CellError,
    RawSheet,
    RawTables,
    SettingEntry,
    canonical_column,
    display_header,
    instrument_to_tables,
    make_sheet_from_mappings,
    normalize_cell,
)

#: A larger "instrument" is not a questionnaire; refusing it early keeps parsing cheap.
MAX_YAML_CHARS = 5_000_000


def tables_from_yaml_text(text: str, source: str = "<yaml>") -> RawTables:
    """Read YAML text into raw tables; InstrumentFileError if it is not YAML of that shape."""
    if len(text) > MAX_YAML_CHARS:
        raise InstrumentFileError(
            f"berkas terlalu besar untuk sebuah instrumen ({len(text)} karakter)", source
        )
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (baris {mark.line + 1}, kolom {mark.column + 1})" if mark is not None else ""
        raise InstrumentFileError(f"berkas YAML tidak bisa dibaca{where}", source) from error
    if not isinstance(data, Mapping) or not any(k in data for k in SHEET_ORDER):
        raise InstrumentFileError(
            "berkas ini bukan instrumen: YAML harus berisi bagian survey, choices, settings, "
            "bands, poverty_lines, dimensions, indicators",
            source,
        )
    problems: list[Problem] = []
    sheets: dict[str, RawSheet] = {}
    for name in TABLE_COLUMNS:
        if name not in data:
            continue
        entries = data[name] if data[name] is not None else []
        if not isinstance(entries, list):
            problems.append(
                Problem(name, None, None, f"'{name}' harus berupa daftar baris (- ...)")
            )
            entries = []
        sheets[name] = make_sheet_from_mappings(name, entries, problems)
    settings = _settings(data.get(SETTINGS), problems) if SETTINGS in data else None
    return RawTables(sheets, settings, tuple(problems), source)


def _settings(raw: object, problems: list[Problem]) -> tuple[SettingEntry, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        problems.append(
            Problem(SETTINGS, None, None, "settings harus berupa pasangan kunci: nilai")
        )
        return ()
    entries = []
    for key, value in raw.items():
        header = str(key)
        try:
            cell = normalize_cell(value)
        except CellError:
            problems.append(Problem(SETTINGS, None, header, "isi harus teks, angka atau yes/no"))
            continue
        entries.append(SettingEntry(canonical_column(header), header, cell, None))
    return tuple(entries)


_FLAGS = frozenset({"required", "provisional", "sensitive"})


def _yaml_value(column: str, value: Cell) -> Cell:
    """Flags as YAML booleans (`required: true`), everything else as the workbook has it."""
    if column in _FLAGS and value in ("yes", "no"):
        return value == "yes"
    return value


def instrument_to_yaml_text(instrument: Instrument) -> str:
    """The instrument as YAML in the table shape; loading it gives an equal instrument."""
    tables = instrument_to_tables(instrument)
    data: dict[str, Any] = {}
    data[SETTINGS] = {
        display_header(e.key): _yaml_value(e.key, e.value)
        for e in tables.settings or ()
        if e.value is not None
    }
    for name in SHEET_ORDER:
        if name == SETTINGS:
            continue
        sheet = tables.sheets[name]
        data[name] = [
            {
                display_header(c): _yaml_value(c, row.cells[c])
                for c in TABLE_COLUMNS[name]
                if c in row.cells
            }
            for row in sheet.rows
        ]
    header = (
        f"# Instrumen {instrument.label}.\n"
        "# Bentuknya sama dengan workbook: setiap bagian satu sheet, setiap entri satu baris\n"
        "# (entri pertama = baris 2 di workbook). Periksa dengan: ikk-bot instrument check BERKAS\n"
    )
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return header + body
