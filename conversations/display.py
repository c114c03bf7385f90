"""How a stored answer is shown back to the cadre: choice labels, Rupiah, Indonesian digits.

The cadre must recognise her own answer in "Jawaban sekarang: …" and on the review card, so a
choice shows its label ("Ya", not "ya"), an amount shows as "Rp 2.500.000" and a count as
"1.250", exactly as she would write them on paper.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from babel.numbers import format_decimal

from conversations.phrases import phrase
from ikk_core.expressions import Value
from ikk_core.formatting import format_integer, format_rupiah
from ikk_core.instrument import Instrument, Question
from ikk_core.values import is_empty


def is_amount(question: Question) -> bool:
    """Whether a number question is money (XLSForm `appearance` contains "currency")."""
    return question.type in ("integer", "decimal") and "currency" in question.appearance.split()


def display_value(
    instrument: Instrument, question: Question, value: Value, lang: str = "id"
) -> str:
    """The answer as the cadre reads it; an empty answer (skipped optional question) says so."""
    if is_empty(value):
        return phrase("skipped", lang)
    if question.type in ("select_one", "select_multiple"):
        labels = {c.name: c.label.get(lang) for c in instrument.choices_for(question)}
        names = str(value).split() if question.type == "select_multiple" else [str(value)]
        return ", ".join(labels.get(name, name) for name in names)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if is_amount(question):
            return format_rupiah(value)
        if isinstance(value, int) or value.is_integer():
            return format_integer(value)
        # Numbers keep Indonesian digits in every interface language: the cadre writes them so.
        return str(format_decimal(value, locale="id"))
    return str(value)


def short_label(text: str, max_length: int = 70) -> str:
    """A label cut at a word boundary with "…", so a review line stays one or two lines long."""
    text = " ".join(text.split())
    if len(text) <= max_length:
        return text
    cut = text[: max_length - 1]
    space = cut.rfind(" ")
    if space >= max_length // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def distinct_short_labels(texts: Sequence[str], max_length: int = 70) -> list[str]:
    """Short labels that still tell the questions apart.

    Questions often share a long opening ("Dalam 6 bulan terakhir, apakah ada anggota keluarga
    yang ikut …"); labels that would come out the same are lengthened until they differ.
    """
    limits = [max_length] * len(texts)
    while True:
        shorts = [short_label(text, limit) for text, limit in zip(texts, limits, strict=True)]
        counts = Counter(shorts)
        grow = [i for i, s in enumerate(shorts) if counts[s] > 1 and s.endswith("…")]
        if not grow:
            return shorts
        for i in grow:
            limits[i] += 15
