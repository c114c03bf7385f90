"""A spreadsheet of answers (one row per family) read into a typed frame, with bad rows set aside.

Operators export answers from Excel or other tools, so the file is checked the way the chat checks a
cadre's reply: each cell is parsed (`values.parse_answer`), a question that does not apply to the
family must be empty, a required one must be answered and constraints must hold. A row that fails is
listed with its spreadsheet line number and the reasons in Indonesian; the other rows are scored.

Checks run per column, never per row: a column's distinct cells are parsed once (a yes/no column of
400,000 rows has a handful of distinct cells) and rules are evaluated with `Expression.test_frame`.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from ikk_core.areas import is_valid_code, is_village_code, normalize_name
from ikk_core.expressions import Value, compile_expression
from ikk_core.frame_rules import rule_mask
from ikk_core.instrument import Instrument, Question
from ikk_core.values import AnswerError, parse_answer

VILLAGE_COLUMN = "desa"
#: Cells that people type to mean "not applicable / nothing"; read as empty.
BLANK_CELLS = frozenset({"", "-", "–", "—"})
#: The line of the first family in the spreadsheet: line 1 is the header.
FIRST_DATA_LINE = 2

BoolArray = npt.NDArray[np.bool_]
Progress = Callable[[int, int], None]


class AnswersFileError(Exception):
    """The file cannot be used at all; `message` is one Indonesian line for the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RejectedRow:
    """A family that was not scored: its spreadsheet line (header = 1) and why, in Indonesian."""

    row: int
    reason: str


@dataclass(frozen=True)
class AnswersTable:
    """The rows that can be scored, typed, with their village codes, and the rows that cannot."""

    answers: pd.DataFrame
    village_codes: pd.Series
    rows: pd.Series  # spreadsheet line of each accepted row
    rejected: tuple[RejectedRow, ...]
    ignored_columns: tuple[str, ...]


def _sniff_separator(text: str) -> str:
    """`;` or `,`, whichever the header line uses (Excel in Indonesian locale writes `;`)."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def read_answers_file(
    path: Path, rename: Callable[[list[str]], list[str]] | None = None
) -> pd.DataFrame:
    """Every cell of a CSV (`,` or `;`) or XLSX file, untyped; raises AnswersFileError.

    `rename` maps the header's names before the `desa` check (e.g. Kobo's `grup/desa` → `desa`).
    """
    if not path.is_file():
        raise AnswersFileError(f"Berkas tidak ditemukan: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=object, engine="openpyxl")
        elif suffix in (".csv", ".txt"):
            data = path.read_bytes()
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1252")
            if not text.strip():
                raise AnswersFileError(f"Berkas kosong: {path.name}")
            frame = pd.read_csv(
                io.StringIO(text),
                sep=_sniff_separator(text),
                dtype=object,  # plain Python strings: hashed faster than pandas' str dtype
                keep_default_na=False,
                skipinitialspace=True,
                quoting=csv.QUOTE_MINIMAL,
            )
        else:
            raise AnswersFileError(
                f"Jenis berkas tidak dikenal: {path.name} (gunakan .csv atau .xlsx)"
            )
    except AnswersFileError:
        raise
    except Exception as exc:  # any parser failure means the same thing to the operator
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AnswersFileError(f"Berkas tidak dapat dibaca: {path.name} ({first})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if rename is not None:
        frame.columns = rename(list(frame.columns))
    lowered = {c.lower(): c for c in frame.columns}
    if VILLAGE_COLUMN not in lowered:
        raise AnswersFileError(
            f"Kolom '{VILLAGE_COLUMN}' tidak ada di {path.name}: "
            "setiap baris perlu kode atau nama desa."
        )
    frame = frame.rename(columns={lowered[VILLAGE_COLUMN]: VILLAGE_COLUMN})
    return frame.reset_index(drop=True)


class VillageDirectory:
    """Turns what a `desa` cell holds (village code or exact name) into a village code.

    Names are compared ignoring case, accents and punctuation but otherwise exactly: a name that
    two villages share is refused (the operator must write the code), never guessed.
    """

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)
        by_name: dict[str, list[str]] = defaultdict(list)
        for code, name in names.items():
            if is_valid_code(code) and is_village_code(code):
                by_name[normalize_name(name)].append(code)
        self._by_name = dict(by_name)

    def resolve(self, cell: str) -> tuple[str | None, str | None]:
        """(village code, None) or (None, why not) for one `desa` cell."""
        text = cell.strip()
        if not text:
            return None, "kolom desa kosong"
        if is_valid_code(text):
            if is_village_code(text):
                return text, None
            return None, f"'{text}' bukan kode desa/kelurahan (kode desa punya 4 bagian)"
        codes = self._by_name.get(normalize_name(text), [])
        if len(codes) == 1:
            return codes[0], None
        if codes:
            listed = ", ".join(sorted(codes))
            return None, f"nama desa '{text}' tidak unik ({listed}); tulis kode desanya"
        return None, f"desa '{text}' tidak dikenal"


class _Rejections:
    """Reasons per row, collected column by column (only rejected rows are touched)."""

    def __init__(self, n_rows: int) -> None:
        self.mask = np.zeros(n_rows, dtype=np.bool_)
        self.reasons: dict[int, list[str]] = defaultdict(list)

    def add(self, rows: BoolArray, reason: str) -> None:
        """The same reason for every row flagged in `rows`."""
        for i in np.flatnonzero(rows):
            self.reasons[int(i)].append(reason)
        self.mask |= rows

    def add_each(self, reasons: Mapping[int, str]) -> None:
        """A reason of its own for each row position in `reasons`."""
        for i, reason in reasons.items():
            self.reasons[i].append(reason)
            self.mask[i] = True

    def rows(self) -> tuple[RejectedRow, ...]:
        return tuple(
            RejectedRow(i + FIRST_DATA_LINE, "; ".join(r.rstrip(".") for r in self.reasons[i]))
            for i in sorted(self.reasons)
        )


def _is_blank(cell: object) -> bool:
    return isinstance(cell, str) and cell.strip() in BLANK_CELLS


def _parse_cell(instrument: Instrument, question: Question, cell: object) -> Value:
    """One distinct cell; free text takes a shortcut (a column of names is all distinct)."""
    if _is_blank(cell):
        return None
    if question.type == "text" and isinstance(cell, str):
        return " ".join(cell.split())  # what parse_answer does to text, without its overhead
    return parse_answer(instrument, question, cell)


def _parse_column(
    instrument: Instrument, question: Question, column: pd.Series
) -> tuple[pd.Series, BoolArray, dict[int, str]]:
    """(typed values, empty mask, error per row position); each distinct cell is parsed once."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    parsed: list[Value] = []
    errors: dict[int, str] = {}
    for k, cell in enumerate(uniques.tolist()):
        try:
            parsed.append(_parse_cell(instrument, question, cell))
        except AnswerError as exc:
            parsed.append(None)
            errors[k] = exc.message
    parsed.append(None)  # code -1 (a missing cell) indexes this last slot: no answer
    empty = np.asarray([v is None for v in parsed], dtype=np.bool_)[codes]
    row_errors: dict[int, str] = {}
    if errors:
        bad_codes = np.fromiter(errors, dtype=np.int64, count=len(errors))
        bad_rows = np.flatnonzero(np.isin(codes, bad_codes))
        row_errors = {int(i): errors[int(codes[i])] for i in bad_rows}
    return _typed_from_codes(question, parsed, codes, column.index), empty, row_errors


def _typed_from_codes(
    question: Question, parsed: list[Value], codes: npt.NDArray[np.intp], index: pd.Index
) -> pd.Series:
    """The typed column from per-distinct-cell values and each row's cell code (no row loop)."""
    if question.type in ("integer", "decimal"):
        numbers = np.asarray([np.nan if v is None else v for v in parsed], dtype=np.float64)
        return pd.Series(numbers[codes], index=index)
    if question.type in ("select_one", "select_multiple"):
        # Several spellings ("Ya", "ya", "1") parse to one choice: one category each.
        categories = list(dict.fromkeys(v for v in parsed if v is not None))
        position = {name: k for k, name in enumerate(categories)}
        remap = np.asarray([-1 if v is None else position[v] for v in parsed], dtype=np.int64)
        return pd.Series(
            pd.Categorical.from_codes(remap[codes], categories=pd.Index(categories, dtype=object)),
            index=index,
        )
    per_cell = np.empty(len(parsed), dtype=object)
    per_cell[:] = parsed
    return pd.Series(per_cell[codes], index=index, dtype=object)


def typed_column(question: Question, values: Iterable[Value], index: pd.Index) -> pd.Series:
    """A column of parsed answers in the dtype the vectorised rules expect: numbers as float64
    with NaN for no answer, choices as categoricals (fast rules), text as objects."""
    codes, uniques = pd.factorize(pd.Series(list(values), dtype=object), use_na_sentinel=True)
    parsed: list[Value] = [*uniques.tolist(), None]
    return _typed_from_codes(question, parsed, codes, index)


def prepare_answers(
    instrument: Instrument,
    raw: pd.DataFrame,
    villages: VillageDirectory,
    progress: Progress | None = None,
) -> AnswersTable:
    """Parse and check every row of `raw` (as read by `read_answers_file`)."""
    n = len(raw)
    index = pd.RangeIndex(n)
    raw = raw.set_axis(index, axis=0)
    rejections = _Rejections(n)
    questions = [q for q in instrument.questions if q.answerable]
    names = {q.name for q in questions}
    ignored = tuple(c for c in raw.columns if c != VILLAGE_COLUMN and c not in names)
    total = len(questions) + 1

    # Village: one lookup per distinct cell.
    ids, uniques = pd.factorize(raw[VILLAGE_COLUMN], use_na_sentinel=True)
    resolved = [villages.resolve(str(u)) for u in uniques]
    resolved.append(villages.resolve(""))  # id -1: an empty cell
    codes = np.asarray([code for code, _ in resolved], dtype=object)[ids]
    unknown = np.asarray([code is None for code, _ in resolved], dtype=np.bool_)[ids]
    rejections.add_each({int(i): str(resolved[ids[i]][1]) for i in np.flatnonzero(unknown)})
    if progress:
        progress(1, total)

    kept: dict[str, pd.Series] = {}
    for step, question in enumerate(questions, start=2):
        if question.name in raw.columns:
            column, empty, errors = _parse_column(instrument, question, raw[question.name])
        else:
            column = _typed_from_codes(question, [None], np.full(n, -1, dtype=np.intp), index)
            empty, errors = np.ones(n, dtype=np.bool_), {}
        failed = np.zeros(n, dtype=np.bool_)
        if errors:
            failed[list(errors)] = True
            rejections.add_each({i: f"{question.name}: {e}" for i, e in errors.items()})
        answered = ~empty
        relevant = (
            rule_mask(compile_expression(question.relevant), kept, index)
            if question.relevant
            else np.ones(n, dtype=np.bool_)
        )
        stray = answered & ~relevant
        if stray.any():
            rejections.add(
                stray,
                f"{question.name} diisi, padahal pertanyaan ini tidak berlaku untuk keluarga ini "
                f"(hanya jika {question.relevant})",
            )
        if question.required:
            rejections.add(relevant & empty & ~failed, f"{question.name} wajib diisi")
        column = column.where(relevant & answered)
        if question.constraint:
            checked = relevant & answered
            if checked.any():
                context = {**kept, question.name: column}
                rule = compile_expression(question.constraint)
                holds = rule_mask(rule, context, index, current=column)
                message = (
                    question.constraint_message.get("id") or "jawaban tidak sesuai ketentuan"
                )
                rejections.add(checked & ~holds, f"{question.name}: {message}")
        kept[question.name] = column
        if progress:
            progress(step, total)

    accepted = ~rejections.mask
    frame = pd.DataFrame(kept, index=index, copy=False)[accepted]
    return AnswersTable(
        answers=frame.reset_index(drop=True),
        village_codes=pd.Series(codes[accepted], dtype=object).reset_index(drop=True),
        rows=pd.Series(np.flatnonzero(accepted) + FIRST_DATA_LINE),
        rejected=rejections.rows(),
        ignored_columns=ignored,
    )
