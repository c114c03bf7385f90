"""A file of families from another system, checked as the chat checks a cadre's replies.

`families import` reads the same files as `ikk-bot score` (one row per family, a column per
question, `desa`), plus `periode`, `id_luar` (the source's id of the record) and `sumber`.
Kobo/ODK exports name their columns by group path (`grup/LS1`, `meta/instanceID`, ODK
Central's `grup-LS1`); the longest ending that is a known name is used.

Rows are checked by `ikk_core.answers_table.prepare_answers`, which parses every cell with the
chat's parser and applies the chat's rules (relevance, required, constraints), and by the two
checks the chat makes before parsing: a reply longer than 1.000 characters is refused, and
control characters in text become spaces. An answer to a question that does not apply to the
family is REJECTED, as in `score`: the chat never asks it, so it cannot be stored. A value the
chat would confirm with "Yakin?" is stored (the source already confirmed it) and reported.

Nothing here touches the database: the result is a list of families ready to store, with
the answers exactly as the chat stores them, their scores, and a digest of both.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bot.repositories.families import normalize_head_name
from conversations.answering import MAX_MESSAGE_LENGTH
from ikk_core.answers_table import (
    BLANK_CELLS,
    FIRST_DATA_LINE,
    VILLAGE_COLUMN,
    AnswersFileError,
    RejectedRow,
    VillageDirectory,
    prepare_answers,
    read_answers_file,
)
from ikk_core.expressions import compile_expression
from ikk_core.frame_rules import rule_mask
from ikk_core.instrument import Instrument, band_for
from ikk_core.scoring import family_scores, score_frame
from ikk_core.values import soft_warning, to_storage

__all__ = [
    "DEFAULT_SOURCE",
    "EXTERNAL_ID_COLUMN",
    "MAX_EXTERNAL_ID",
    "MAX_SOURCE",
    "PERIOD_COLUMN",
    "SOURCE_COLUMN",
    "CheckedFile",
    "ImportRow",
    "check_file",
    "family_head_question",
    "group_path_names",
    "rt_question",
]

PERIOD_COLUMN = "periode"
EXTERNAL_ID_COLUMN = "id_luar"
SOURCE_COLUMN = "sumber"
DEFAULT_SOURCE = "impor"
MAX_SOURCE = 40
MAX_EXTERNAL_ID = 120
#: Survey years accepted in `periode`: a typo such as 225 or 20255 is refused, not stored.
PERIOD_RANGE = (2000, 2100)
#: Record ids a Kobo/ODK export carries: used as `id_luar` when the file has none (in order).
RECORD_ID_COLUMNS = ("instanceID", "_uuid", "KEY")
_SPECIAL = (VILLAGE_COLUMN, PERIOD_COLUMN, EXTERNAL_ID_COLUMN, SOURCE_COLUMN)
_PATH_SEPARATORS = re.compile(r"[/\-.:]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

Progress = Callable[[int, int], None]


def family_head_question(instrument: Instrument) -> str:
    """The question whose answer names the family head (the instrument's identity role; its
    configured name, for messages, when the instrument asks none)."""
    return instrument.head_question or instrument.settings.family_head_question


def rt_question(instrument: Instrument) -> str:
    """The question whose answer is the family's RT (the instrument's identity role; its
    configured name, for messages, when the instrument asks none)."""
    return instrument.rt_question or instrument.settings.rt_question


@dataclass(frozen=True)
class ImportRow:
    """One family of the file that passed every check, as the chat would store it."""

    line: int
    village: str
    period: int
    source: str
    external_id: str | None
    head_name: str
    head_norm: str
    rt: int
    answers: Mapping[str, str | None]
    """Stored text per relevant question (None: an optional question left empty)."""
    scores: Mapping[str, int | None]
    score_pct: float | None
    band: str | None
    digest: str

    @property
    def identity(self) -> tuple[str, int, int, str]:
        """(village, period, RT, normalised head name): how the chat spots a duplicate."""
        return (self.village, self.period, self.rt, self.head_norm)


@dataclass(frozen=True)
class CheckedFile:
    """The families ready to store, the rows refused (line, reason) and what was noticed."""

    rows: tuple[ImportRow, ...]
    rejected: tuple[RejectedRow, ...]
    total_rows: int
    ignored_columns: tuple[str, ...]
    renamed_columns: Mapping[str, str] = field(default_factory=dict)
    id_column: str | None = None
    """The Kobo/ODK record-id column used as `id_luar` (None: the file's own, or none)."""
    warnings: tuple[RejectedRow, ...] = ()
    """Unusual values the chat would have confirmed with "Yakin?" (stored as they are)."""


def group_path_names(columns: Sequence[str], known: Iterable[str]) -> dict[str, str]:
    """{column: name} for columns written as a group path whose ending is a known name.

    `grup/LS1` → `LS1`, `profil-keluarga/H_KEPALA` → `H_KEPALA`, `meta/instanceID` →
    `instanceID`. The longest matching ending wins; a column that already is a known name, or
    has no known ending, is not in the result.
    """
    names = set(known)
    lowered = {name.lower(): name for name in names if name in _SPECIAL}
    out: dict[str, str] = {}
    for column in columns:
        if column in names or column.lower() in lowered:
            continue
        for match in _PATH_SEPARATORS.finditer(column):
            ending = column[match.end():]
            found = ending if ending in names else lowered.get(ending.lower())
            if found is not None:
                out[column] = found
                break
    return out


def _renamer(instrument: Instrument, renamed: dict[str, str]) -> Callable[[list[str]], list[str]]:
    known = [q.name for q in instrument.questions if q.answerable]
    known += [*_SPECIAL, *RECORD_ID_COLUMNS]

    def rename(columns: list[str]) -> list[str]:
        mapping = group_path_names(columns, known)
        result = [mapping.get(c, c) for c in columns]
        seen: dict[str, str] = {}
        for original, name in zip(columns, result, strict=True):
            key = name.lower() if name.lower() in _SPECIAL else name
            if key in seen:
                raise AnswersFileError(
                    f"Kolom {name} muncul dua kali ('{seen[key]}' dan '{original}'): "
                    "hapus salah satunya."
                )
            seen[key] = original
        renamed.update(mapping)
        return result

    return rename


def _cell_text(cell: object) -> str:
    """A cell as text: Excel's 2025.0 is "2025", an empty cell or NaN is ""."""
    if cell is None or (isinstance(cell, float) and cell != cell):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    text = str(cell).strip()
    return "" if text in BLANK_CELLS else text


def _column(raw: pd.DataFrame, name: str) -> pd.Series | None:
    for column in raw.columns:
        if column.lower() == name:
            return raw[column]
    return None


def _texts(series: pd.Series | None, n: int) -> list[str]:
    """Each cell of an optional column as text, one conversion per distinct cell."""
    if series is None:
        return [""] * n
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = [*(_cell_text(u) for u in uniques.tolist()), ""]
    return [texts[c] for c in codes]


class _Reasons:
    """Reasons per row position found before parsing (merged with the parser's later)."""

    def __init__(self) -> None:
        self.by_row: dict[int, list[str]] = {}

    def add(self, row: int, reason: str) -> None:
        self.by_row.setdefault(row, []).append(reason)


def _periods(raw: pd.DataFrame, default: int, reasons: _Reasons) -> list[int]:
    out = []
    for i, text in enumerate(_texts(_column(raw, PERIOD_COLUMN), len(raw))):
        if not text:
            out.append(default)
            continue
        if text.isdigit() and PERIOD_RANGE[0] <= int(text) <= PERIOD_RANGE[1]:
            out.append(int(text))
        else:
            reasons.add(i, f"periode '{text[:20]}' bukan tahun survei (contoh: {default})")
            out.append(default)
    return out


def _sources(raw: pd.DataFrame, default: str, reasons: _Reasons) -> list[str]:
    out = []
    for i, text in enumerate(_texts(_column(raw, SOURCE_COLUMN), len(raw))):
        source = " ".join(text.split()).casefold() or default
        if len(source) > MAX_SOURCE:
            reasons.add(i, f"sumber terlalu panjang (maks. {MAX_SOURCE} karakter)")
        out.append(source)
    return out


def _external_ids(
    raw: pd.DataFrame, reasons: _Reasons
) -> tuple[list[str | None], str | None]:
    column, used = _column(raw, EXTERNAL_ID_COLUMN), None
    if column is None:
        for name in RECORD_ID_COLUMNS:
            if name in raw.columns:
                column, used = raw[name], name
                break
    out: list[str | None] = []
    for i, text in enumerate(_texts(column, len(raw))):
        if len(text) > MAX_EXTERNAL_ID:
            reasons.add(i, f"id_luar terlalu panjang (maks. {MAX_EXTERNAL_ID} karakter)")
        out.append(text or None)
    return out, used


def _chat_prechecks(instrument: Instrument, raw: pd.DataFrame, reasons: _Reasons) -> pd.DataFrame:
    """What the chat does before parsing: refuse over-long replies, blank control characters."""
    cleaned = {}
    for question in instrument.questions:
        if not question.answerable or question.name not in raw.columns:
            continue
        column = raw[question.name]
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        values = uniques.tolist()
        long = [
            k for k, v in enumerate(values) if isinstance(v, str) and len(v) > MAX_MESSAGE_LENGTH
        ]
        for i in np.flatnonzero(np.isin(codes, long)) if long else ():
            reasons.add(
                int(i), f"{question.name}: jawaban terlalu panjang (maks. 1.000 karakter)"
            )
        dirty = any(isinstance(v, str) and _CONTROL.search(v) for v in values)
        if question.type == "text" and dirty:
            fixed = [_CONTROL.sub(" ", v) if isinstance(v, str) else v for v in values]
            per_cell = np.empty(len(fixed) + 1, dtype=object)
            per_cell[:-1] = fixed
            per_cell[-1] = None
            cleaned[question.name] = pd.Series(per_cell[codes], index=raw.index, dtype=object)
    return raw.assign(**cleaned) if cleaned else raw


def _stored_columns(
    instrument: Instrument, answers: pd.DataFrame
) -> list[tuple[str, list[str | None], list[bool]]]:
    """Per answerable question: the stored text of each row and where it is relevant."""
    out = []
    kept: dict[str, pd.Series] = {}
    index = answers.index
    for question in instrument.questions:
        if not question.answerable:
            continue
        column = answers[question.name]
        relevant = (
            rule_mask(compile_expression(question.relevant), kept, index)
            if question.relevant
            else np.ones(len(index), dtype=np.bool_)
        )
        kept[question.name] = column
        codes, uniques = pd.factorize(column.astype(object), use_na_sentinel=True)
        texts: list[str | None] = [to_storage(v) for v in uniques.tolist()]
        texts.append(None)
        out.append((question.name, [texts[c] for c in codes], relevant.tolist()))
    return out


def _warnings(instrument: Instrument, answers: pd.DataFrame, lines: pd.Series) -> list[RejectedRow]:
    """Numbers the chat would confirm with "Yakin?" (outside the question's usual range)."""
    found: list[RejectedRow] = []
    for question in instrument.questions:
        if question.type not in ("integer", "decimal") or question.name not in answers.columns:
            continue
        if question.warn_min is None and question.warn_max is None:
            continue
        values = answers[question.name].to_numpy(dtype=np.float64, na_value=np.nan)
        low = question.warn_min if question.warn_min is not None else -np.inf
        high = question.warn_max if question.warn_max is not None else np.inf
        with np.errstate(invalid="ignore"):
            unusual = ~np.isnan(values) & ((values < low) | (values > high))
        for i in np.flatnonzero(unusual):
            value = answers[question.name].iloc[int(i)]
            typed = int(value) if question.type == "integer" else float(value)
            message = soft_warning(question, typed) or "tidak biasa"
            found.append(RejectedRow(int(lines.iloc[int(i)]), f"{question.name}: {message}"))
    return sorted(found, key=lambda w: w.row)


def _digest(village: str, period: int, answers: Sequence[tuple[str, str | None]]) -> str:
    """What the import stored for a family, hashed: equal digests, nothing to update."""
    return hashlib.sha256(repr((village, period, answers)).encode()).hexdigest()


def check_file(
    path: Path,
    instrument: Instrument,
    village_names: Mapping[str, str],
    *,
    default_period: int,
    default_source: str = DEFAULT_SOURCE,
    progress: Progress | None = None,
) -> CheckedFile:
    """Read and check every row of `path`; raises AnswersFileError when the file is unusable.

    `village_names` are the villages the database knows ({code: name}): a village code that is
    valid but unknown there is refused (its families could not be stored or reported).
    """
    renamed: dict[str, str] = {}
    raw = read_answers_file(path, _renamer(instrument, renamed)).reset_index(drop=True)
    n = len(raw)
    reasons = _Reasons()
    periods = _periods(raw, default_period, reasons)
    sources = _sources(raw, default_source.strip().casefold() or DEFAULT_SOURCE, reasons)
    external_ids, id_column = _external_ids(raw, reasons)
    raw = _chat_prechecks(instrument, raw, reasons)
    special = {c for c in raw.columns if c.lower() in _SPECIAL[1:] or c in RECORD_ID_COLUMNS}
    table = prepare_answers(
        instrument, raw.drop(columns=sorted(special)), VillageDirectory(village_names), progress
    )

    merged: dict[int, list[str]] = {r.row: [r.reason] for r in table.rejected}
    for position, found in reasons.by_row.items():
        merged.setdefault(position + FIRST_DATA_LINE, []).extend(found)
    lines = table.rows.to_numpy()
    villages = table.village_codes.to_numpy(dtype=object)
    unknown = {str(v) for v in set(villages.tolist()) if str(v) not in village_names}
    for line, village in zip(lines.tolist(), villages.tolist(), strict=True):
        if village in unknown:
            merged.setdefault(int(line), []).append(
                f"desa {village} belum ada di database (jalankan `ikk-bot areas import` dulu)"
            )

    answers = table.answers
    scored = score_frame(instrument, answers, table.village_codes)
    percentages = family_scores(instrument, scored)["score"].to_numpy(dtype=np.float64)
    codes = [i.code for i in instrument.indicators]
    matrix = scored[codes].to_numpy(dtype=np.float64, na_value=np.nan)
    # Python ints and None per family, converted once for the whole table.
    as_objects = np.nan_to_num(matrix).astype(np.int64).astype(object)
    as_objects[np.isnan(matrix)] = None
    score_lists: list[list[int | None]] = as_objects.tolist()
    stored = _stored_columns(instrument, answers)
    head_q, rt_q = family_head_question(instrument), rt_question(instrument)
    bands: dict[float, str | None] = {}

    rows: list[ImportRow] = []
    for k in range(len(answers)):
        line = int(lines[k])
        if line in merged:
            continue
        position = line - FIRST_DATA_LINE
        family = [(name, texts[k]) for name, texts, relevant in stored if relevant[k]]
        as_dict = dict(family)
        head = (as_dict.get(head_q) or "").strip()
        rt_text = as_dict.get(rt_q)
        rt = int(rt_text) if rt_text is not None and rt_text.lstrip("-").isdigit() else 0
        external_id = external_ids[position]
        if external_id is None and (not head or rt <= 0):
            merged[line] = [
                f"tanpa id_luar, nama kepala keluarga ({head_q}) dan RT ({rt_q}) wajib diisi "
                "untuk mengenali keluarga"
            ]
            continue
        pct = None if np.isnan(percentages[k]) else float(percentages[k])
        key = pct if pct is not None else -1.0
        if key not in bands:
            band_found = band_for(instrument.settings.family_bands, pct)
            bands[key] = band_found.name if band_found is not None else None
        band = bands[key]
        rows.append(ImportRow(
            line=line,
            village=str(villages[k]),
            period=periods[position],
            source=sources[position],
            external_id=external_id,
            head_name=head[:120],
            head_norm=normalize_head_name(head),
            rt=max(rt, 0),
            answers=as_dict,
            scores=dict(zip(codes, score_lists[k], strict=True)),
            score_pct=pct,
            band=band,
            digest=_digest(str(villages[k]), periods[position], family),
        ))
    rejected = tuple(
        RejectedRow(line, "; ".join(r.rstrip(".") for r in found))
        for line, found in sorted(merged.items())
    )
    accepted_lines = {r.line for r in rows}
    warnings = [w for w in _warnings(instrument, answers, table.rows) if w.row in accepted_lines]
    return CheckedFile(
        rows=tuple(rows),
        rejected=rejected,
        total_rows=n,
        ignored_columns=tuple(c for c in table.ignored_columns if c not in special),
        renamed_columns=renamed,
        id_column=id_column,
        warnings=tuple(warnings),
    )
