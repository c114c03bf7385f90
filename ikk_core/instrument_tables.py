"""The instrument as tables: the one shape both the YAML file and the .xlsx workbook have.

An instrument file is a set of sheets, each a table with a header row (XLSForm-style):

- ``survey``: ``type`` (``select_one LIST``, ``select_multiple LIST``, ``integer``, ``decimal``,
  ``text``, ``note``; ``begin_group``/``end_group`` may wrap questions into a section), ``name``,
  ``label::Bahasa Indonesia (id)``, ``label::English (en)``, ``hint::…``, ``relevant``,
  ``constraint``, ``constraint_message::…``, ``required`` (yes/no, default yes), ``warn_min``,
  ``warn_max``, ``warn_message::…`` (soft range: outside it the bot asks "Yakin?"), ``section``,
  ``appearance``, ``short_label::…`` (optional short name of the question, at most 30
  characters, shown on the review card; the label is used where it is empty), ``sensitive``
  (yes/no, default no: see ``indicators``).
- ``choices``: ``list_name``, ``name``, ``label::…``.
- ``settings``: one row per setting, columns ``key`` and ``value`` (a ``keterangan`` column is a
  note for people and is ignored). Keys: ``form_id``, ``version``, ``form_title::…``,
  ``aggregation`` (``dimension_mean`` or ``flat_mean``), ``red_threshold``, ``provisional``,
  ``default_language``, ``poverty_line_default``, ``family_head_question`` and ``rt_question``
  (the survey questions that name the family's head and its RT; default ``H_KEPALA`` and
  ``H_RT``). A classic XLSForm settings sheet (keys as the
  header row, values in row 2) is read too.
- ``bands``: ``kind`` (``ikk`` for the area IKK category, ``family`` for the family score band),
  ``name``, ``label::…``, ``min`` (0–100; each kind starts at 0 and increases strictly).
- ``poverty_lines``: ``area_code`` (kabupaten/kota code written as text, e.g. ``63.02``),
  ``amount`` (rupiah per person per month). Areas not listed use ``poverty_line_default``.
- ``dimensions``: ``code``, ``name::…``, ``weight``.
- ``indicators``: ``code``, ``dimension``, ``name::…``, ``applies_if``, ``meets_if``, ``weight``,
  ``sector``, ``sensitive`` (yes/no, default no; yes for answers such as violence or child
  marriage: they never leave the kader and the admin, and per-family exports omit them unless the
  admin asks with ``--sensitive``; a question and an indicator of the same name share the mark).
- ``sections`` (optional): ``code``, ``name::…``; a dimension code doubles as a section code.

Translated columns are ``base::Language name (code)``; ``base::code`` and a bare ``base`` (meaning
Indonesian) are accepted when reading. Other languages are ignored. Extra columns and extra sheets
are ignored, so operators may keep notes beside the data.

The YAML file is the same tables: a mapping of sheet name to a list of row mappings whose keys are
the column headers, except ``settings``, which is a mapping of key to value. Row numbers are
counted as in the workbook exported from it (the first entry of a list is row 2, row 1 being the
header), so one message points at the same row in both files.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ikk_core.instrument import DEFAULT_HEAD_QUESTION, DEFAULT_RT_QUESTION, Instrument, Text
from ikk_core.instrument_problems import Problem

Cell = str | int | float | bool | None

LANGUAGES: tuple[str, ...] = ("id", "en")
LANGUAGE_HEADERS: Mapping[str, str] = {"id": "Bahasa Indonesia (id)", "en": "English (en)"}
_LANGUAGE_WORDS: Mapping[str, str] = {
    "bahasa indonesia": "id",
    "indonesia": "id",
    "indonesian": "id",
    "english": "en",
    "inggris": "en",
    "bahasa inggris": "en",
}

SURVEY = "survey"
CHOICES = "choices"
SETTINGS = "settings"
BANDS = "bands"
POVERTY_LINES = "poverty_lines"
DIMENSIONS = "dimensions"
INDICATORS = "indicators"
SECTIONS = "sections"

#: Sheets in the order a workbook is written; settings is a key/value sheet, the others tables.
SHEET_ORDER: tuple[str, ...] = (
    SURVEY,
    CHOICES,
    SETTINGS,
    BANDS,
    POVERTY_LINES,
    DIMENSIONS,
    INDICATORS,
    SECTIONS,
)
#: Columns of each table sheet, canonical names (translated ones as `base::code`), export order.
TABLE_COLUMNS: Mapping[str, tuple[str, ...]] = {
    SURVEY: (
        "type",
        "name",
        "label::id",
        "label::en",
        "short_label::id",
        "short_label::en",
        "hint::id",
        "hint::en",
        "relevant",
        "constraint",
        "constraint_message::id",
        "constraint_message::en",
        "required",
        "warn_min",
        "warn_max",
        "warn_message::id",
        "warn_message::en",
        "section",
        "appearance",
        "sensitive",
    ),
    CHOICES: ("list_name", "name", "label::id", "label::en"),
    BANDS: ("kind", "name", "label::id", "label::en", "min"),
    POVERTY_LINES: ("area_code", "amount"),
    DIMENSIONS: ("code", "name::id", "name::en", "weight"),
    INDICATORS: (
        "code",
        "dimension",
        "name::id",
        "name::en",
        "applies_if",
        "meets_if",
        "weight",
        "sector",
        "sensitive",
    ),
    SECTIONS: ("code", "name::id", "name::en"),
}
#: Columns a sheet cannot do without.
REQUIRED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    SURVEY: ("type", "name", "label::id"),
    CHOICES: ("list_name", "name", "label::id"),
    BANDS: ("kind", "name", "label::id", "min"),
    POVERTY_LINES: ("area_code", "amount"),
    DIMENSIONS: ("code", "name::id"),
    INDICATORS: ("code", "dimension", "name::id", "meets_if"),
    SECTIONS: ("code", "name::id"),
}
REQUIRED_SHEETS: tuple[str, ...] = (SURVEY, SETTINGS, BANDS, DIMENSIONS, INDICATORS)
#: Settings keys in export order, with the note written beside each in the workbook.
SETTING_KEYS: Mapping[str, str] = {
    "form_id": "Kode instrumen (huruf, angka, tanda -). Dicatat pada setiap jawaban.",
    "version": "Versi instrumen, misalnya 2026.1. Naikkan setiap kali isi berubah.",
    "form_title::id": "Judul instrumen (Bahasa Indonesia).",
    "form_title::en": "Judul instrumen (Bahasa Inggris, boleh kosong).",
    "aggregation": "Cara menghitung IKK: dimension_mean (rata-rata dimensi) atau flat_mean.",
    "red_threshold": "Indikator berwarna merah bila nilainya di bawah angka ini (0-100).",
    "provisional": "yes bila daftar indikator masih sementara, no bila sudah resmi.",
    "default_language": "Bahasa bawaan: id atau en.",
    "poverty_line_default": "Garis kemiskinan per orang per bulan (Rp) untuk kabupaten lain.",
    "family_head_question": "Nama pertanyaan (name) nama kepala keluarga; jenis text. "
    "Bawaan: H_KEPALA.",
    "rt_question": "Nama pertanyaan (name) nomor RT; jenis integer. Bawaan: H_RT.",
}
#: Keys a classic XLSForm settings sheet may carry that mean nothing here; they are skipped.
IGNORED_SETTING_KEYS: frozenset[str] = frozenset(
    {
        "instance_name",
        "style",
        "public_key",
        "submission_url",
        "allow_choice_duplicates",
        "clean_text_values",
        "auto_send",
        "auto_delete",
        "namespaces",
        "name",
        "keterangan",
    }
)


def display_header(column: str) -> str:
    """A canonical column as a workbook heads it: `label::id` → `label::Bahasa Indonesia (id)`."""
    base, sep, lang = column.partition("::")
    if sep and lang in LANGUAGE_HEADERS:
        return f"{base}::{LANGUAGE_HEADERS[lang]}"
    return column


def canonical_column(header: str) -> str:
    """The canonical name of a header as written: case, spacing and language spelling ignored."""
    base, sep, lang = header.strip().partition("::")
    base = base.strip().lower()
    if not sep:
        return base
    lang = lang.strip()
    code = re.search(r"\(([A-Za-z_-]+)\)\s*$", lang)
    if code:
        return f"{base}::{code.group(1).lower()}"
    word = lang.lower()
    return f"{base}::{_LANGUAGE_WORDS.get(word, word)}"


class CellError(ValueError):
    """A cell holding something that is not text, a number or a yes/no (e.g. a YAML list)."""


def normalize_cell(value: object) -> Cell:
    """A cell as the loader understands it: stripped text, a number, a bool, or None when blank."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    raise CellError(type(value).__name__)


@dataclass(frozen=True)
class RawRow:
    """One data row: its spreadsheet row number and its cells keyed by canonical column."""

    row: int | None
    cells: Mapping[str, Cell]

    def get(self, column: str) -> Cell:
        return self.cells.get(column)


@dataclass(frozen=True)
class RawSheet:
    """A table sheet: which headers it has (canonical → as written) and its non-blank rows."""

    name: str
    headers: Mapping[str, str]
    rows: tuple[RawRow, ...]

    def header(self, column: str) -> str:
        """The column header as the file writes it, for messages."""
        return self.headers.get(column) or display_header(column)

    def has(self, column: str) -> bool:
        return column in self.headers


@dataclass(frozen=True)
class SettingEntry:
    """One setting: canonical key, the key as written, its value and where it stands."""

    key: str
    header: str
    value: Cell
    row: int | None


@dataclass(frozen=True)
class RawTables:
    """Everything read from one file, before any meaning is given to it.

    `settings` is None when the file has no settings sheet. `problems` are those met while
    reading (duplicate headers, cells that are not values); checking adds the rest.
    """

    sheets: Mapping[str, RawSheet]
    settings: tuple[SettingEntry, ...] | None
    problems: tuple[Problem, ...] = ()
    source: str = ""


def make_sheet(
    name: str,
    headers: Sequence[object],
    rows: Iterable[tuple[int, Sequence[object]]],
    problems: list[Problem],
) -> RawSheet:
    """Build a table sheet from a header row and positional rows (the workbook's shape)."""
    columns: list[str | None] = []
    written: dict[str, str] = {}
    for raw in headers:
        header = normalize_cell(raw) if not isinstance(raw, list | dict) else None
        if header is None or isinstance(header, bool):
            columns.append(None)
            continue
        text = str(header)
        key = canonical_column(text)
        if key in written:
            problems.append(
                Problem(name, 1, text, f"kolom '{text}' ada dua kali; hapus salah satu")
            )
            columns.append(None)
            continue
        written[key] = text
        columns.append(key)
    out: list[RawRow] = []
    for number, values in rows:
        cells: dict[str, Cell] = {}
        for column, value in zip(columns, values, strict=False):
            if column is None:
                continue
            cell = _cell_or_problem(value, name, number, written[column], problems)
            if cell is not None:
                cells[column] = cell
        if cells:
            out.append(RawRow(number, cells))
    return RawSheet(name, written, tuple(out))


def make_sheet_from_mappings(
    name: str, entries: Sequence[object], problems: list[Problem]
) -> RawSheet:
    """Build a table sheet from a list of row mappings (the YAML shape); entry i is row i + 2."""
    written: dict[str, str] = {}
    out: list[RawRow] = []
    for index, entry in enumerate(entries):
        number = index + 2
        if entry is None:
            continue
        if not isinstance(entry, Mapping):
            problems.append(
                Problem(
                    name,
                    number,
                    None,
                    "baris harus berupa pasangan kolom: nilai (misalnya 'name: H_RT')",
                )
            )
            continue
        cells: dict[str, Cell] = {}
        for raw_key, value in entry.items():
            text = str(raw_key)
            key = canonical_column(text)
            if key in cells:
                problems.append(Problem(name, number, text, f"kolom '{text}' ada dua kali"))
                continue
            written.setdefault(key, text)
            cell = _cell_or_problem(value, name, number, text, problems)
            if cell is not None:
                cells[key] = cell
        if cells:
            out.append(RawRow(number, cells))
    return RawSheet(name, written, tuple(out))


def _cell_or_problem(
    value: object, sheet: str, row: int, header: str, problems: list[Problem]
) -> Cell:
    try:
        return normalize_cell(value)
    except CellError:
        problems.append(Problem(sheet, row, header, "isi sel harus teks, angka atau yes/no"))
        return None


# ---------------------------------------------------------------- instrument → tables (export)


def _number(value: float) -> int | float:
    """1.0 is written as 1: a spreadsheet editor reads weights and thresholds as whole numbers."""
    return int(value) if float(value).is_integer() else float(value)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _texts(base: str, text: Text) -> dict[str, Cell]:
    return {f"{base}::id": text.id or None, f"{base}::en": text.en or None}


def _sheet(name: str, rows: Iterable[Mapping[str, Cell]]) -> RawSheet:
    columns = TABLE_COLUMNS[name]
    headers = {c: display_header(c) for c in columns}
    out = []
    for index, row in enumerate(rows):
        cells = {k: v for k, v in row.items() if v is not None and v != ""}
        out.append(RawRow(index + 2, cells))
    return RawSheet(name, headers, tuple(out))


def _role(instrument: Instrument, name: str, default: str) -> str | None:
    """A role setting as written: left out only when it is the default naming no question
    (an instrument without identity questions), so loading the export gives it back."""
    return None if name == default and not instrument.has_question(name) else name


def instrument_to_tables(instrument: Instrument) -> RawTables:
    """The tables of an instrument, as both writers lay them out; loading them gives it back."""
    survey = []
    for q in instrument.questions:
        type_ = f"{q.type} {q.list_name}" if q.list_name is not None else q.type
        survey.append(
            {
                "type": type_,
                "name": q.name,
                **_texts("label", q.label),
                **_texts("short_label", q.short_label),
                **_texts("hint", q.hint),
                "relevant": q.relevant,
                "constraint": q.constraint,
                **_texts("constraint_message", q.constraint_message),
                "required": _yes(q.required),
                "warn_min": None if q.warn_min is None else _number(q.warn_min),
                "warn_max": None if q.warn_max is None else _number(q.warn_max),
                **_texts("warn_message", q.warn_message),
                "section": q.section or None,
                "appearance": q.appearance or None,
                "sensitive": "yes" if q.sensitive else None,
            }
        )
    choices = [
        {"list_name": list_name, "name": c.name, **_texts("label", c.label)}
        for list_name, options in instrument.choices.items()
        for c in options
    ]
    s = instrument.settings
    bands = [
        {"kind": kind, "name": b.name, **_texts("label", b.label), "min": _number(b.min)}
        for kind, group in (("ikk", s.ikk_bands), ("family", s.family_bands))
        for b in group
    ]
    poverty = [
        {"area_code": code, "amount": _number(amount)} for code, amount in s.poverty_lines.items()
    ]
    dimensions = [
        {"code": d.code, **_texts("name", d.name), "weight": _number(d.weight)}
        for d in instrument.dimensions
    ]
    indicators = [
        {
            "code": i.code,
            "dimension": i.dimension,
            **_texts("name", i.name),
            "applies_if": i.applies_if,
            "meets_if": i.meets_if,
            "weight": _number(i.weight),
            "sector": i.sector or None,
            "sensitive": "yes" if i.sensitive else None,
        }
        for i in instrument.indicators
    ]
    sections = [{"code": x.code, **_texts("name", x.name)} for x in instrument.sections]
    values: dict[str, Cell] = {
        "form_id": instrument.id,
        "version": instrument.version,
        "form_title::id": instrument.title.id,
        "form_title::en": instrument.title.en or None,
        "aggregation": s.aggregation,
        "red_threshold": _number(s.red_threshold),
        "provisional": _yes(s.provisional),
        "default_language": s.default_language,
        "poverty_line_default": _number(s.poverty_line_default),
        "family_head_question": _role(instrument, s.family_head_question, DEFAULT_HEAD_QUESTION),
        "rt_question": _role(instrument, s.rt_question, DEFAULT_RT_QUESTION),
    }
    settings = tuple(
        SettingEntry(key, display_header(key), values[key], index + 2)
        for index, key in enumerate(SETTING_KEYS)
    )
    sheets = {
        SURVEY: _sheet(SURVEY, survey),
        CHOICES: _sheet(CHOICES, choices),
        BANDS: _sheet(BANDS, bands),
        POVERTY_LINES: _sheet(POVERTY_LINES, poverty),
        DIMENSIONS: _sheet(DIMENSIONS, dimensions),
        INDICATORS: _sheet(INDICATORS, indicators),
        SECTIONS: _sheet(SECTIONS, sections),
    }
    return RawTables(sheets, settings, (), instrument.label)
