"""The instrument as an XLSForm-style .xlsx workbook: the form provincial operators edit.

Reading tolerates what Excel users do: sheet names in another case, blank rows, extra sheets and
columns for their own notes, numbers typed as text. A file that is not a workbook at all raises
`InstrumentFileError` (nothing to check); everything else becomes located problems.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ikk_core.instrument import Instrument
from ikk_core.instrument_problems import InstrumentFileError, Problem
from ikk_core.instrument_tables import (
    SETTING_KEYS,
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
    make_sheet,
    normalize_cell,
)

#: Rows read per sheet at most: a questionnaire has tens or hundreds, not a million.
MAX_ROWS = 20_000
_WIDE = frozenset({"label", "hint", "constraint_message", "warn_message", "name", "form_title"})
_EXPRESSIONS = frozenset({"relevant", "constraint", "applies_if", "meets_if"})
_HELP_SHEET = "petunjuk"
_HELP = (
    "Petunjuk mengisi instrumen IKK",
    "",
    "survey: satu baris per pertanyaan, ditanyakan berurutan dari atas ke bawah.",
    "  type: select_one yesno, select_multiple <daftar>, integer, decimal, text, note.",
    "  name: nama tetap pertanyaan (huruf, angka, _), dipakai di ${nama} dan di berkas jawaban.",
    "  relevant: kapan pertanyaan ditanyakan, misalnya ${P_ANAK} = 'ya'. Hanya boleh merujuk "
    "pertanyaan di atasnya.",
    "  constraint: syarat jawaban; '.' = jawaban pertanyaan ini, misalnya . >= 1 and . <= 99.",
    "  required: yes atau no. warn_min/warn_max: di luar batas ini bot bertanya 'Yakin?'.",
    "  short_label: nama pendek pertanyaan (paling banyak 30 huruf) untuk ringkasan jawaban; "
    "boleh kosong, maka label yang dipakai.",
    "choices: pilihan jawaban per daftar (list_name).",
    "settings: satu baris per pengaturan (key, value).",
    "  family_head_question dan rt_question: nama (name) pertanyaan nama kepala keluarga "
    "(jenis text) dan nomor RT (jenis integer). Bot memakainya untuk nama keluarga dan untuk "
    "menemukan keluarga yang terdata dua kali. Ubah di sini bila nama pertanyaannya diganti.",
    "bands: kategori IKK (kind = ikk) dan kategori keluarga (kind = family), min 0 sampai 100, "
    "urut naik.",
    "poverty_lines: garis kemiskinan per kabupaten/kota; area_code ditulis sebagai teks (63.02).",
    "dimensions: kode, nama dan bobot dimensi.",
    "indicators: applies_if = kapan indikator berlaku (kosong = semua keluarga), meets_if = kapan "
    "keluarga memenuhi; GARIS_KEMISKINAN = garis kemiskinan wilayah keluarga.",
    "",
    "Setelah mengubah, periksa dengan: ikk-bot instrument check NAMA_BERKAS.xlsx",
)


def tables_from_xlsx(path: str | Path) -> RawTables:
    """Read a workbook into raw tables; InstrumentFileError if it cannot be opened as .xlsx."""
    source = str(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as error:
        raise InstrumentFileError("berkas tidak ditemukan", source) from error
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise InstrumentFileError(
            "berkas tidak bisa dibuka sebagai workbook Excel (.xlsx); simpan ulang dari Excel "
            "sebagai 'Excel Workbook (.xlsx)'",
            source,
        ) from error
    try:
        problems: list[Problem] = []
        by_name = {str(title).strip().lower(): title for title in workbook.sheetnames}
        sheets: dict[str, RawSheet] = {}
        settings: tuple[SettingEntry, ...] | None = None
        for name in SHEET_ORDER:
            title = by_name.get(name)
            if title is None:
                continue
            rows = _read_rows(workbook[title], name, problems)
            if name == SETTINGS:
                settings = _settings(rows, problems)
            else:
                header = rows[0][1] if rows else []
                sheets[name] = make_sheet(name, header, rows[1:], problems)
    except Exception as error:  # a workbook whose XML is damaged fails while rows are read
        raise InstrumentFileError(
            f"isi workbook rusak dan tidak bisa dibaca ({type(error).__name__})", source
        ) from error
    finally:
        workbook.close()
    return RawTables(sheets, settings, tuple(problems), source)


def _read_rows(
    sheet: Any, name: str, problems: list[Problem]
) -> list[tuple[int, Sequence[object]]]:
    rows: list[tuple[int, Sequence[object]]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_ROWS:
            problems.append(
                Problem(name, number, None, f"terlalu banyak baris (lebih dari {MAX_ROWS})")
            )
            break
        rows.append((number, values))
    return rows


def _settings(
    rows: list[tuple[int, Sequence[object]]], problems: list[Problem]
) -> tuple[SettingEntry, ...]:
    """Key/value rows, or the classic XLSForm layout (keys as header, values in row 2)."""
    if not rows:
        return ()
    header = [_text(v) for v in rows[0][1]]
    keys = [canonical_column(h) if h else "" for h in header]
    entries: list[SettingEntry] = []
    if "key" in keys and "value" in keys:
        key_at, value_at = keys.index("key"), keys.index("value")
        for number, values in rows[1:]:
            key = _text(values[key_at]) if key_at < len(values) else ""
            value = values[value_at] if value_at < len(values) else None
            if not key:
                continue
            cell = _cell(value, key, number, problems)
            entries.append(SettingEntry(canonical_column(key), key, cell, number))
        return tuple(entries)
    if len(rows) > 1:
        number, values = rows[1]
        for text, raw in zip(header, values, strict=False):
            if text:
                entries.append(
                    SettingEntry(
                        canonical_column(text), text, _cell(raw, text, number, problems), number
                    )
                )
    return tuple(entries)


def _text(value: object) -> str:
    try:
        cell = normalize_cell(value)
    except CellError:
        return ""
    return "" if cell is None else str(cell)


def _cell(value: object, header: str, row: int, problems: list[Problem]) -> Cell:
    try:
        return normalize_cell(value)
    except CellError:
        problems.append(Problem(SETTINGS, row, header, "isi harus teks, angka atau yes/no"))
        return None


# ---------------------------------------------------------------- writing


def write_xlsx(instrument: Instrument, path: str | Path) -> None:
    """Write the instrument as a workbook; loading it back gives an equal instrument."""
    tables = instrument_to_tables(instrument)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name in SHEET_ORDER:
        if name == SETTINGS:
            notes = SETTING_KEYS
            rows: list[list[Cell]] = [
                [display_header(e.key), e.value, notes.get(e.key, "")]
                for e in tables.settings or ()
            ]
            _write_sheet(workbook, name, ["key", "value", "keterangan"], rows, widths=[32, 40, 80])
            continue
        columns = TABLE_COLUMNS[name]
        sheet = tables.sheets[name]
        _write_sheet(
            workbook,
            name,
            [display_header(c) for c in columns],
            [[row.cells.get(c) for c in columns] for row in sheet.rows],
            widths=[_width(c) for c in columns],
        )
    help_sheet = workbook.create_sheet(_HELP_SHEET)
    for line in _HELP:
        help_sheet.append([line])
    help_sheet["A1"].font = Font(bold=True)
    help_sheet.column_dimensions["A"].width = 120
    workbook.save(path)


def _width(column: str) -> int:
    base = column.partition("::")[0]
    if base in _WIDE and column != "name":
        return 50
    if base in _EXPRESSIONS:
        return 40
    return 16


def _write_sheet(
    workbook: Workbook,
    name: str,
    headers: list[str],
    rows: Iterable[list[Cell]],
    widths: list[int],
) -> None:
    sheet = workbook.create_sheet(name)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for values in rows:
        sheet.append(values)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                # Text such as "= 'ya'" must stay text: Excel would read it as a formula.
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
