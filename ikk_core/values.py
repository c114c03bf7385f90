"""Turning what a person typed (or a spreadsheet cell) into a typed answer, and checking it.

Cadres type on cheap phones and operators paste from Excel, so the same answer arrives as "Ya",
"iya", "1", "2.500.000", "2,5 juta" or "Rp 2.500.000". One parser serves the chat, the `score`
command and the storage layer, so an answer means the same thing wherever it came from.
Stored answers are strings (`to_storage`/`from_storage`) so one table column holds every type.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from ikk_core.expressions import Value, compile_expression
from ikk_core.instrument import Choice, Instrument, Question
from ikk_core.text_safety import UnsafeText, clean_typed_text

#: Typed words that mean a yes/no choice, keyed by the choice name they select.
CHOICE_SYNONYMS: Mapping[str, frozenset[str]] = {
    "ya": frozenset({"ya", "y", "iya", "iyaa", "yes", "benar", "betul", "ada", "1", "ok", "oke"}),
    "tidak": frozenset(
        {"tidak", "t", "tdk", "tak", "no", "gak", "ga", "nggak", "enggak", "engga", "bukan",
         "tidak ada", "0"}
    ),
}

_MULTIPLIERS: Mapping[str, int] = {
    "ribu": 1_000,
    "rb": 1_000,
    "k": 1_000,
    "juta": 1_000_000,
    "jt": 1_000_000,
    "miliar": 1_000_000_000,
    "milyar": 1_000_000_000,
    "m": 1_000_000_000,
}
#: Typed text with invisible or XML-illegal characters (see `ikk_core.text_safety`).
_UNSAFE_NAME = (
    "Nama tidak boleh berisi karakter tak terlihat atau khusus. Ketik nama kepala keluarga "
    "dengan huruf biasa, misalnya: Budi Santoso."
)
_UNSAFE_TEXT = (
    "Jawaban tidak boleh berisi karakter tak terlihat atau khusus. Ketik dengan huruf biasa."
)
_AMOUNT = re.compile(r"^(?P<number>[0-9][0-9.,]*)(?P<unit>[a-z]*)$")
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3})+$")
_THOUSANDS_COMMA = re.compile(r"^\d{1,3}(,\d{3}){2,}$")


class AnswerError(ValueError):
    """An answer that cannot be accepted; `message` is shown to the user as is (Indonesian)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_empty(raw: object) -> bool:
    """None, NaN and blank text all mean "no answer" (ODK's empty value)."""
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    return isinstance(raw, str) and not raw.strip()


def parse_number(raw: str | int | float) -> Decimal:
    """Read an Indonesian-style number or amount: "2.500.000", "2,5 juta", "Rp 2.500.000", "12".

    Indonesian writes '.' for thousands and ',' for decimals; English-style input is accepted
    where it is unambiguous ("2.5 juta", "1,000,000").
    """
    if isinstance(raw, bool):
        raise AnswerError("Jawaban harus berupa angka.")
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise AnswerError("Jawaban harus berupa angka.")
        return Decimal(str(raw))
    if len(raw) > 60:
        raise AnswerError("Jawaban terlalu panjang untuk sebuah angka.")
    text = raw.strip().lower().replace("\u00a0", " ")
    text = re.sub(r"^rp\.?", "", text)
    text = re.sub(r",-$", "", text.strip())
    match = _AMOUNT.match(text.replace(" ", ""))
    if match is None:
        raise AnswerError("Jawaban harus berupa angka, misalnya 4 atau 2.500.000.")
    number, unit = match.group("number"), match.group("unit")
    if unit and unit not in _MULTIPLIERS:
        raise AnswerError("Jawaban harus berupa angka, misalnya 4 atau 2.500.000.")
    if "." in number and "," in number:
        decimal_sep = "." if number.rfind(".") > number.rfind(",") else ","
        thousands = "," if decimal_sep == "." else "."
        number = number.replace(thousands, "").replace(decimal_sep, ".")
    elif "," in number:
        thousands_only = _THOUSANDS_COMMA.match(number)
        number = number.replace(",", "" if thousands_only else ".")
    elif "." in number and _THOUSANDS_DOT.match(number):
        number = number.replace(".", "")
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise AnswerError("Jawaban harus berupa angka, misalnya 4 atau 2.500.000.") from None
    return value * _MULTIPLIERS[unit] if unit else value


def _match_choice(choices: tuple[Choice, ...], raw: str) -> str | None:
    """The choice name a typed word selects: its name, its label, or a known synonym."""
    word = " ".join(raw.strip().lower().split())
    for choice in choices:
        if word in (choice.name.lower(), choice.label.id.lower(), choice.label.en.lower()):
            return choice.name
    for choice in choices:
        if word in CHOICE_SYNONYMS.get(choice.name, frozenset()):
            return choice.name
    return None


def _choice_help(choices: tuple[Choice, ...]) -> str:
    labels = " / ".join(f'"{c.label.id}"' for c in choices)
    return f"Pilih salah satu: {labels}."


def parse_answer(instrument: Instrument, question: Question, raw: object) -> Value:
    """The canonical typed value of `raw` for `question`, or None when it is empty.

    select_one → the choice name; integer → int; decimal → float; text → trimmed text;
    select_multiple → choice names separated by spaces, in list order. Raises AnswerError.
    """
    if is_empty(raw):
        return None
    if question.type == "note":
        raise AnswerError("Bagian ini hanya keterangan, tidak perlu dijawab.")
    if question.type in ("integer", "decimal"):
        if not isinstance(raw, str | int | float):
            raise AnswerError("Jawaban harus berupa angka.")
        number = parse_number(raw)
        if question.type == "decimal":
            return float(number)
        if number != number.to_integral_value():
            raise AnswerError("Jawaban harus bilangan bulat, tanpa koma.")
        return int(number)
    text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)
    if question.type == "text":
        # Control characters (NUL above all: PostgreSQL refuses it in text) are never meant.
        printable = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
        if not printable.split():
            return None
        try:
            cleaned = clean_typed_text(printable)
        except UnsafeText:
            raise AnswerError(
                _UNSAFE_NAME if question.name == instrument.head_question else _UNSAFE_TEXT
            ) from None
        return " ".join(cleaned.split()) or None
    choices = instrument.choices_for(question)
    if question.type == "select_one":
        name = _match_choice(choices, text)
        if name is None:
            raise AnswerError(f"Jawaban tidak dikenal. {_choice_help(choices)}")
        return name
    # select_multiple: names or labels separated by commas or spaces.
    picked: set[str] = set()
    for part in re.split(r"[,;]\s*|\s+", text.strip()):
        if not part:
            continue
        name = _match_choice(choices, part)
        if name is None:
            raise AnswerError(f"Pilihan tidak dikenal: {part}. {_choice_help(choices)}")
        picked.add(name)
    return " ".join(c.name for c in choices if c.name in picked)


def effective_answers(instrument: Instrument, answers: Mapping[str, Value]) -> dict[str, Value]:
    """The answers that count: those of questions relevant given the earlier answers, in order.

    An answer left behind by a question that is no longer relevant is ignored, exactly as ODK
    blanks a non-relevant field, so stale answers never leak into skip logic or scoring.
    """
    kept: dict[str, Value] = {}
    for question in instrument.questions:
        if not question.answerable:
            continue
        if question.relevant and not compile_expression(question.relevant).test(kept):
            continue
        value = answers.get(question.name)
        if not is_empty(value):
            kept[question.name] = value
    return kept


def is_relevant(instrument: Instrument, question: Question, answers: Mapping[str, Value]) -> bool:
    """Whether `question` is asked, given the (effective) answers to the questions before it."""
    if not question.relevant:
        return True
    return compile_expression(question.relevant).test(answers)


def relevant_questions(instrument: Instrument, answers: Mapping[str, Value]) -> list[Question]:
    """The answerable questions that are asked given `answers`, in questionnaire order."""
    effective = effective_answers(instrument, answers)
    return [
        q for q in instrument.questions if q.answerable and is_relevant(instrument, q, effective)
    ]


def check_answer(
    instrument: Instrument,
    question: Question,
    value: Value,
    answers: Mapping[str, Value],
    lang: str = "id",
) -> str | None:
    """Why `value` cannot be accepted for `question` (its constraint message), or None if it can."""
    if is_empty(value):
        if question.required:
            return "Pertanyaan ini wajib dijawab." if lang != "en" else "This question is required."
        return None
    if question.constraint:
        context = effective_answers(instrument, answers)
        context[question.name] = value
        if not compile_expression(question.constraint).test(context, current=value):
            message = question.constraint_message.get(lang)
            return message or "Jawaban tidak sesuai ketentuan. Periksa lagi, lalu kirim ulang."
    return None


def soft_warning(question: Question, value: Value, lang: str = "id") -> str | None:
    """The "Yakin?" question for a number that is allowed but unusual (outside the soft range)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    low, high = question.warn_min, question.warn_max
    if (low is not None and value < low) or (high is not None and value > high):
        custom = question.warn_message.get(lang)
        if custom:
            return custom
        shown = format(value, ",").replace(",", ".") if isinstance(value, int) else str(value)
        return f"Jawaban {shown} tidak biasa. Yakin?"
    return None


def to_storage(value: Value) -> str | None:
    """The text stored in the database for a typed answer (None stays None)."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def from_storage(question: Question, stored: str | None) -> Value:
    """The typed answer for a stored text, by the question's type."""
    if stored is None:
        return None
    if question.type == "integer":
        return int(stored)
    if question.type == "decimal":
        return float(stored)
    return stored
