"""Reading meaning into the raw tables: one typed record per row, each with its row number.

This is the cell-level half of checking (a weight that is not a number, a type nobody knows, a
missing column); `instrument_validate` does the cross-row half (unknown references, cycles, empty
dimensions) on the `Draft` built here, then assembles the immutable `Instrument`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Generic, TypeVar, cast

from ikk_core.instrument import (
    BUILTIN_VARIABLES,
    DEFAULT_HEAD_QUESTION,
    DEFAULT_RT_QUESTION,
    AggregationMethod,
    Band,
    Choice,
    Dimension,
    Indicator,
    Question,
    QuestionType,
    Section,
    Settings,
    Text,
)
from ikk_core.instrument_problems import Problem
from ikk_core.instrument_tables import (
    BANDS,
    CHOICES,
    DIMENSIONS,
    IGNORED_SETTING_KEYS,
    INDICATORS,
    POVERTY_LINES,
    REQUIRED_COLUMNS,
    REQUIRED_SHEETS,
    SECTIONS,
    SETTING_KEYS,
    SETTINGS,
    SURVEY,
    Cell,
    RawRow,
    RawSheet,
    RawTables,
    display_header,
)

T = TypeVar("T")

#: Settings that name a survey question by its role, with the type that question must have.
ROLE_KEYS: Mapping[str, QuestionType] = {
    "family_head_question": "text",
    "rt_question": "integer",
}

#: Names a `${…}` reference can carry: letters, digits and `_`, starting with a letter or `_`.
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_FORM_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_AREA_CODE_PATTERN = re.compile(r"^\d+(\.\d+)*$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")

_SIMPLE_TYPES: Mapping[str, QuestionType] = {
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "text": "text",
    "note": "note",
}
_SELECT_TYPES: Mapping[str, QuestionType] = {
    "select_one": "select_one",
    "select_multiple": "select_multiple",
}
_KNOWN_TYPES_TEXT = (
    "select_one <daftar>, select_multiple <daftar>, integer, decimal, text, note, "
    "begin_group, end_group"
)
_TRUE = frozenset({"yes", "true", "1", "ya", "y", "benar"})
_FALSE = frozenset({"no", "false", "0", "tidak", "n", "salah"})
#: The longest short label: one line of a phone screen beside its answer.
SHORT_LABEL_MAX = 30
_NAME_RULE = "pakai huruf, angka dan garis bawah (_) saja, diawali huruf, tanpa spasi"


@dataclass(frozen=True)
class At(Generic[T]):
    """A record and the spreadsheet row it came from (None: the row is not known)."""

    row: int | None
    item: T


@dataclass
class Draft:
    """Everything the tables say, typed and located, not yet checked across rows."""

    tables: RawTables
    form_id: str = ""
    version: str = ""
    title: Text = field(default_factory=lambda: Text(""))
    settings: Settings = field(default_factory=Settings)
    setting_rows: dict[str, int | None] = field(default_factory=dict)
    roles_declared: set[str] = field(default_factory=set)
    questions: list[At[Question]] = field(default_factory=list)
    sections: list[At[Section]] = field(default_factory=list)
    choices: dict[str, list[At[Choice]]] = field(default_factory=dict)
    dimensions: list[At[Dimension]] = field(default_factory=list)
    indicators: list[At[Indicator]] = field(default_factory=list)

    def header(self, sheet: str, column: str) -> str:
        """A column header as this file writes it (canonical display name if absent)."""
        raw = self.tables.sheets.get(sheet)
        return raw.header(column) if raw is not None else display_header(column)


def cell_text(value: Cell) -> str:
    """A cell as text: numbers without a spurious ".0", yes/no for YAML booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def cell_number(value: Cell) -> float:
    """A number from a cell; text may be Indonesian ("600.000", "75,5"). ValueError if not."""
    if isinstance(value, bool) or value is None:
        raise ValueError(value)
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = value.replace(" ", "").replace("\u00a0", "")
        if _THOUSANDS.match(text):
            text = text.replace(".", "").replace(",", ".")
        elif _DECIMAL_COMMA.match(text):
            text = text.replace(",", ".")
        number = float(text)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


class _Row:
    """Typed access to one row's cells; every bad cell becomes a located problem."""

    def __init__(self, sheet: RawSheet, row: RawRow, problems: list[Problem]) -> None:
        self.sheet = sheet
        self.raw = row
        self.number = row.row
        self.problems = problems

    def problem(self, column: str | None, message: str) -> None:
        header = self.sheet.header(column) if column else None
        self.problems.append(Problem(self.sheet.name, self.number, header, message))

    def text(self, column: str) -> str:
        return cell_text(self.raw.get(column))

    def optional(self, column: str) -> str | None:
        return self.text(column) or None

    def translated(self, base: str) -> Text:
        """`base::id` (or a bare `base`) and `base::en`."""
        indonesian = self.text(f"{base}::id") or self.text(base)
        return Text(indonesian, self.text(f"{base}::en"))

    def translated_column(self, base: str) -> str:
        """The Indonesian column actually used, for messages."""
        return base if self.sheet.has(base) and not self.sheet.has(f"{base}::id") else f"{base}::id"

    def required_text(self, column: str, what: str) -> str:
        value = self.text(column)
        if not value and self._column_present(column):
            self.problem(column, f"{what} kosong")
        return value

    def required_translated(self, base: str, what: str) -> Text:
        value = self.translated(base)
        present = self._column_present(f"{base}::id") or self.sheet.has(base)
        if not value.id and present:
            self.problem(self.translated_column(base), f"{what} (Bahasa Indonesia) kosong")
        return value

    def _column_present(self, column: str) -> bool:
        # A missing column is reported once for the sheet, not again on every row.
        return self.sheet.has(column)

    def number_or_none(self, column: str, what: str) -> float | None:
        value = self.raw.get(column)
        if value is None:
            return None
        try:
            return cell_number(value)
        except ValueError:
            self.problem(column, f"{what} harus angka, bukan '{cell_text(value)}'")
            return None

    def weight(self) -> float:
        value = self.number_or_none("weight", "bobot (weight)")
        if value is None:
            return 1.0
        if value <= 0:
            self.problem(
                "weight", f"bobot (weight) harus angka lebih dari 0, bukan {cell_text(value)}"
            )
            return 1.0
        return value

    def flag(self, column: str, what: str, default: bool) -> bool:
        value = self.raw.get(column)
        parsed = parse_flag(value)
        if value is None:
            return default
        if parsed is None:
            self.problem(column, f"{what} harus yes atau no, bukan '{cell_text(value)}'")
            return default
        return parsed


def parse_flag(value: Cell) -> bool | None:
    """yes/no/true/false/1/0 (and ya/tidak); None for a blank or unreadable cell."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return {1: True, 0: False}.get(int(value)) if float(value).is_integer() else None
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def check_name(row: _Row, column: str, name: str, what: str) -> None:
    """Names end up inside `${…}`, in CSV headers and in callback data: keep them plain."""
    if name and not NAME_PATTERN.match(name):
        row.problem(column, f"{what} '{name}' tidak sah: {_NAME_RULE}")


def _table(tables: RawTables, name: str, problems: list[Problem]) -> RawSheet | None:
    sheet = tables.sheets.get(name)
    if sheet is None:
        if name in REQUIRED_SHEETS:
            problems.append(Problem(name, None, None, f"sheet '{name}' tidak ada"))
        return None
    if not sheet.rows:
        return sheet  # an empty sheet (or `poverty_lines: []` in YAML) needs no header
    for column in REQUIRED_COLUMNS[name]:
        base = column.partition("::")[0]
        bare_ok = column.endswith("::id") and sheet.has(base)
        if not sheet.has(column) and not bare_ok:
            problems.append(
                Problem(
                    name,
                    1,
                    display_header(column),
                    f"kolom wajib '{display_header(column)}' tidak ada",
                )
            )
    return sheet


def _rows(sheet: RawSheet | None, problems: list[Problem]) -> list[_Row]:
    return [] if sheet is None else [_Row(sheet, r, problems) for r in sheet.rows]


# ---------------------------------------------------------------- survey


def _parse_survey(draft: Draft, sheet: RawSheet | None, problems: list[Problem]) -> None:
    groups: list[At[str]] = []
    group_sections: list[At[Section]] = []
    for row in _rows(sheet, problems):
        type_text = row.text("type")
        tokens = type_text.split()
        if not tokens:
            row.problem("type", "jenis pertanyaan (type) kosong")
            continue
        base = tokens[0].lower()
        joined = " ".join(t.lower() for t in tokens).replace("_", " ")
        if joined == "begin group":
            code = row.required_text("name", "nama grup")
            check_name(row, "name", code, "nama grup")
            if row.optional("relevant"):
                row.problem(
                    "relevant",
                    "relevant pada grup belum didukung; tulis relevant pada setiap pertanyaan "
                    "di dalam grup",
                )
            label = row.translated("label")
            if code and label.id:
                group_sections.append(At(row.number, Section(code, label)))
            groups.append(At(row.number, code))
            continue
        if joined == "end group":
            if groups:
                groups.pop()
            else:
                row.problem("type", "end_group tanpa begin_group sebelumnya")
            continue
        list_name: str | None = None
        qtype: QuestionType
        if base in _SELECT_TYPES:
            qtype = _SELECT_TYPES[base]
            if len(tokens) == 1:
                row.problem("type", f"{base} perlu nama daftar pilihan, misalnya '{base} yesno'")
            elif len(tokens) > 2:
                row.problem(
                    "type",
                    f"jenis '{type_text}' tidak dikenal: tulis '{base} <daftar>' saja",
                )
            list_name = tokens[1] if len(tokens) > 1 else ""
        elif base in _SIMPLE_TYPES and len(tokens) == 1:
            qtype = _SIMPLE_TYPES[base]
        else:
            row.problem(
                "type", f"jenis '{type_text}' tidak dikenal; yang bisa dipakai: {_KNOWN_TYPES_TEXT}"
            )
            qtype = "text"  # keep the name known so references to it do not pile up errors
        name = row.required_text("name", "nama pertanyaan (name)")
        if not name:
            continue
        check_name(row, "name", name, "nama pertanyaan")
        if name in BUILTIN_VARIABLES:
            row.problem("name", f"nama '{name}' sudah dipakai sistem; pilih nama lain")
        label = row.required_translated("label", "label")
        warn_min = row.number_or_none("warn_min", "warn_min")
        warn_max = row.number_or_none("warn_max", "warn_max")
        section = row.text("section") or (groups[-1].item if groups else "")
        question = Question(
            name=name,
            type=qtype,
            label=label,
            list_name=list_name,
            hint=row.translated("hint"),
            short_label=_short_label(row),
            relevant=row.optional("relevant"),
            constraint=row.optional("constraint"),
            constraint_message=row.translated("constraint_message"),
            required=row.flag("required", "required", default=qtype != "note"),
            warn_min=warn_min,
            warn_max=warn_max,
            warn_message=row.translated("warn_message"),
            section=section,
            appearance=row.text("appearance"),
            sensitive=row.flag("sensitive", "sensitive", default=False),
        )
        draft.questions.append(At(row.number, question))
    for group in groups:
        problems.append(
            Problem(
                SURVEY,
                group.row,
                "type",
                f"begin_group '{group.item}' tidak ditutup dengan end_group",
            )
        )
    known = {s.item.code for s in draft.sections}
    for grouped in group_sections:
        if grouped.item.code not in known:
            known.add(grouped.item.code)
            draft.sections.append(grouped)


def _short_label(row: _Row) -> Text:
    """`short_label::…`: at most 30 characters, or the review card wraps it into a paragraph."""
    short = row.translated("short_label")
    for lang, text in (("id", short.id), ("en", short.en)):
        if len(text) > SHORT_LABEL_MAX:
            column = row.translated_column("short_label") if lang == "id" else "short_label::en"
            row.problem(
                column,
                f"label pendek paling banyak {SHORT_LABEL_MAX} huruf, ini {len(text)} huruf",
            )
    return short


# ---------------------------------------------------------------- the other tables


def _parse_choices(draft: Draft, sheet: RawSheet | None, problems: list[Problem]) -> None:
    for row in _rows(sheet, problems):
        list_name = row.required_text("list_name", "nama daftar (list_name)")
        name = row.required_text("name", "nama pilihan (name)")
        label = row.required_translated("label", "label pilihan")
        if not list_name or not name:
            continue
        check_name(row, "list_name", list_name, "nama daftar")
        if any(ch.isspace() for ch in name):
            row.problem("name", f"nama pilihan '{name}' tidak boleh berisi spasi")
        draft.choices.setdefault(list_name, []).append(At(row.number, Choice(name, label)))


def _parse_sections(draft: Draft, sheet: RawSheet | None, problems: list[Problem]) -> None:
    for row in _rows(sheet, problems):
        code = row.required_text("code", "kode bagian (code)")
        name = row.required_translated("name", "nama bagian")
        if code:
            check_name(row, "code", code, "kode bagian")
            draft.sections.append(At(row.number, Section(code, name)))


def _parse_dimensions(draft: Draft, sheet: RawSheet | None, problems: list[Problem]) -> None:
    for row in _rows(sheet, problems):
        code = row.required_text("code", "kode dimensi (code)")
        name = row.required_translated("name", "nama dimensi")
        weight = row.weight()
        if code:
            check_name(row, "code", code, "kode dimensi")
            draft.dimensions.append(At(row.number, Dimension(code, name, weight)))


def _parse_indicators(draft: Draft, sheet: RawSheet | None, problems: list[Problem]) -> None:
    for row in _rows(sheet, problems):
        code = row.required_text("code", "kode indikator (code)")
        dimension = row.required_text("dimension", "dimensi indikator (dimension)")
        name = row.required_translated("name", "nama indikator")
        meets_if = row.required_text("meets_if", "aturan memenuhi (meets_if)")
        weight = row.weight()
        if not code:
            continue
        check_name(row, "code", code, "kode indikator")
        indicator = Indicator(
            code=code,
            dimension=dimension,
            name=name,
            meets_if=meets_if,
            applies_if=row.optional("applies_if"),
            weight=weight,
            sector=row.text("sector"),
            sensitive=row.flag("sensitive", "sensitive", default=False),
        )
        draft.indicators.append(At(row.number, indicator))


def _parse_bands(sheet: RawSheet | None, problems: list[Problem]) -> dict[str, list[At[Band]]]:
    bands: dict[str, list[At[Band]]] = {"ikk": [], "family": []}
    broken: set[str] = set()  # kinds with an unreadable row: their order is not judged
    for row in _rows(sheet, problems):
        kind = row.required_text("kind", "jenis kategori (kind)").lower()
        name = row.required_text("name", "nama kategori (name)")
        label = row.required_translated("label", "label kategori")
        minimum = row.number_or_none("min", "batas bawah (min)")
        if row.raw.get("min") is None and sheet is not None and sheet.has("min"):
            row.problem("min", "batas bawah (min) kosong")
        elif minimum is not None and not 0 <= minimum <= 100:
            row.problem(
                "min", f"batas bawah (min) harus di antara 0 dan 100, bukan {cell_text(minimum)}"
            )
            minimum = None
        if kind and kind not in bands:
            row.problem("kind", f"jenis kategori harus 'ikk' atau 'family', bukan '{kind}'")
            continue
        if kind and name and minimum is not None:
            bands[kind].append(At(row.number, Band(name, label, minimum)))
        elif kind:
            broken.add(kind)
    if sheet is None:
        return bands
    for kind, group in bands.items():
        what = "kategori IKK" if kind == "ikk" else "kategori keluarga"
        if not group and kind not in broken:
            problems.append(
                Problem(BANDS, None, sheet.header("kind"), f"belum ada baris {what} ({kind})")
            )
            continue
        if kind in broken:
            continue
        if group[0].item.min != 0:
            problems.append(
                Problem(
                    BANDS, group[0].row, sheet.header("min"), f"{what} pertama harus mulai dari 0"
                )
            )
        for before, after in pairwise(group):
            if after.item.min <= before.item.min:
                problems.append(
                    Problem(
                        BANDS,
                        after.row,
                        sheet.header("min"),
                        f"batas bawah {cell_text(after.item.min)} harus lebih besar dari baris "
                        f"sebelumnya ({cell_text(before.item.min)}); urutkan dari kecil ke besar",
                    )
                )
        seen: dict[str, int | None] = {}
        for band in group:
            if band.item.name in seen:
                problems.append(
                    Problem(
                        BANDS,
                        band.row,
                        sheet.header("name"),
                        f"nama kategori '{band.item.name}' sudah dipakai di baris "
                        f"{seen[band.item.name]}",
                    )
                )
            seen.setdefault(band.item.name, band.row)
    return bands


def _parse_poverty_lines(sheet: RawSheet | None, problems: list[Problem]) -> dict[str, float]:
    lines: dict[str, float] = {}
    rows_of: dict[str, int | None] = {}
    for row in _rows(sheet, problems):
        raw_code = row.raw.get("area_code")
        code = row.required_text("area_code", "kode wilayah (area_code)")
        if isinstance(raw_code, float) and not raw_code.is_integer():
            row.problem(
                "area_code",
                f"kode wilayah {code} tertulis sebagai angka; tulis sebagai teks (misalnya "
                "'63.10') agar angka 0 di belakang tidak hilang",
            )
            continue
        if code and not _AREA_CODE_PATTERN.match(code):
            row.problem("area_code", f"kode wilayah '{code}' tidak sah; contoh yang benar: 63.02")
            continue
        amount = row.number_or_none("amount", "garis kemiskinan (amount)")
        if amount is None:
            if row.raw.get("amount") is None:
                row.problem("amount", "garis kemiskinan (amount) kosong")
            continue
        if amount <= 0:
            row.problem("amount", "garis kemiskinan (amount) harus lebih dari 0")
            continue
        if code in lines:
            row.problem("area_code", f"kode wilayah {code} sudah ada di baris {rows_of[code]}")
            continue
        if code:
            lines[code] = amount
            rows_of[code] = row.number
    return lines


# ---------------------------------------------------------------- settings


def _parse_settings(
    draft: Draft,
    bands: dict[str, list[At[Band]]],
    poverty_lines: dict[str, float],
    problems: list[Problem],
) -> None:
    entries = draft.tables.settings
    if entries is None:
        problems.append(Problem(SETTINGS, None, None, f"sheet '{SETTINGS}' tidak ada"))
        entries = ()
    values: dict[str, Cell] = {}
    headers: dict[str, str] = {}
    for entry in entries:
        key = "form_title::id" if entry.key == "form_title" else entry.key
        if key in values:
            problems.append(
                Problem(
                    SETTINGS,
                    entry.row,
                    entry.header,
                    f"pengaturan '{entry.header}' ada dua kali "
                    f"(juga di baris {draft.setting_rows[key]})",
                )
            )
            continue
        if key not in SETTING_KEYS:
            if key not in IGNORED_SETTING_KEYS:
                problems.append(
                    Problem(
                        SETTINGS,
                        entry.row,
                        entry.header,
                        f"pengaturan '{entry.header}' tidak dikenal; yang dikenal: "
                        + ", ".join(display_header(k) for k in SETTING_KEYS),
                    )
                )
            continue
        values[key] = entry.value
        headers[key] = entry.header
        draft.setting_rows[key] = entry.row

    def bad(key: str, message: str) -> None:
        header = headers.get(key, display_header(key))
        problems.append(Problem(SETTINGS, draft.setting_rows.get(key), header, message))

    def text(key: str, what: str, required: bool) -> str:
        value = cell_text(values.get(key))
        if not value and required:
            bad(key, f"{what} wajib diisi")
        return value

    draft.form_id = text("form_id", "kode instrumen (form_id)", required=True)
    if draft.form_id and not _FORM_ID_PATTERN.match(draft.form_id):
        bad(
            "form_id",
            f"kode instrumen '{draft.form_id}' tidak sah: pakai huruf, angka, '-', '_' "
            "atau '.', tanpa spasi",
        )
    draft.version = text("version", "versi (version)", required=True)
    draft.title = Text(
        text("form_title::id", "judul instrumen (form_title)", required=True),
        text("form_title::en", "", required=False),
    )
    aggregation = text("aggregation", "", required=False) or "dimension_mean"
    if aggregation not in ("dimension_mean", "flat_mean"):
        bad(
            "aggregation",
            f"cara agregasi harus dimension_mean atau flat_mean, bukan '{aggregation}'",
        )
        aggregation = "dimension_mean"

    def number(key: str, what: str, default: float) -> float:
        value = values.get(key)
        if value is None:
            return default
        try:
            return cell_number(value)
        except ValueError:
            bad(key, f"{what} harus angka, bukan '{cell_text(value)}'")
            return default

    red = number("red_threshold", "batas merah (red_threshold)", 75.0)
    if not 0 <= red <= 100:
        bad(
            "red_threshold",
            f"batas merah (red_threshold) harus di antara 0 dan 100, bukan {cell_text(red)}",
        )
    poverty_default = number(
        "poverty_line_default", "garis kemiskinan (poverty_line_default)", 600_000.0
    )
    if poverty_default <= 0:
        bad("poverty_line_default", "garis kemiskinan (poverty_line_default) harus lebih dari 0")
    provisional = parse_flag(values.get("provisional"))
    if values.get("provisional") is not None and provisional is None:
        bad(
            "provisional",
            f"provisional harus yes atau no, bukan '{cell_text(values['provisional'])}'",
        )
    for key in ROLE_KEYS:
        # Only a written role is checked against the survey; a default may name no question.
        if text(key, "", required=False):
            draft.roles_declared.add(key)
    language = text("default_language", "", required=False) or "id"
    if language not in ("id", "en"):
        bad("default_language", f"bahasa bawaan harus id atau en, bukan '{language}'")
        language = "id"
    draft.settings = Settings(
        aggregation=cast(AggregationMethod, aggregation),
        red_threshold=red,
        ikk_bands=tuple(b.item for b in bands["ikk"]),
        family_bands=tuple(b.item for b in bands["family"]),
        poverty_line_default=poverty_default,
        poverty_lines=poverty_lines,
        provisional=True if provisional is None else provisional,
        default_language=language,
        family_head_question=(
            text("family_head_question", "", required=False) or DEFAULT_HEAD_QUESTION
        ),
        rt_question=text("rt_question", "", required=False) or DEFAULT_RT_QUESTION,
    )


def build_draft(tables: RawTables) -> tuple[Draft, list[Problem]]:
    """Type every row of `tables`; the problems are those visible within one row or one sheet."""
    problems: list[Problem] = list(tables.problems)
    draft = Draft(tables)
    survey = _table(tables, SURVEY, problems)
    choices = _table(tables, CHOICES, problems)
    bands_sheet = _table(tables, BANDS, problems)
    poverty_sheet = _table(tables, POVERTY_LINES, problems)
    dimensions = _table(tables, DIMENSIONS, problems)
    indicators = _table(tables, INDICATORS, problems)
    sections = _table(tables, SECTIONS, problems)
    bands = _parse_bands(bands_sheet, problems)
    poverty_lines = _parse_poverty_lines(poverty_sheet, problems)
    _parse_settings(draft, bands, poverty_lines, problems)
    _parse_sections(draft, sections, problems)
    _parse_survey(draft, survey, problems)
    _parse_choices(draft, choices, problems)
    _parse_dimensions(draft, dimensions, problems)
    _parse_indicators(draft, indicators, problems)
    return draft, problems
