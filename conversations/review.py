"""The review card: every answer of the family by section, numbered, before "✅ Kirim".

An item shows the number the question had in "Pertanyaan N dari M" (its place among the
questions asked), so the card, its "Ubah N" buttons and the progress line count the same way.
Items also carry the question's stable short number (its row in the instrument) for the
buttons' compact callback data, which must mean the same question for every family.
Telegram refuses texts over 4096 characters, so `render_review` splits the card between items,
never inside one, repeating the section name with "(lanjutan)" when a section continues.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from conversations.display import display_value, distinct_short_labels
from conversations.navigation import Answers, missing_required, question_index, walk
from conversations.phrases import phrase
from ikk_core.instrument import Instrument

#: Telegram's limit on the length of a message text.
TELEGRAM_TEXT_LIMIT = 4096
#: Review labels are cut to this length: the card is read on a small phone screen.
LABEL_LENGTH = 70
#: Smallest text length `render_review` accepts: a header, a section title and one item.
MIN_LIMIT = 300


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class ReviewItem:
    """One answered question: `number` is what the kader sees (its N in "Pertanyaan N"),
    `index` its stable short number for callback data (see `question_index`)."""

    index: int
    question: str
    label: str
    value: str
    number: int


@dataclass(frozen=True)
class ReviewSection:
    code: str
    name: str
    items: tuple[ReviewItem, ...]


@dataclass(frozen=True)
class Review:
    """The answers that count, grouped by consecutive section, in questionnaire order.

    `missing` are required questions still without an answer (empty when it may be submitted).
    """

    sections: tuple[ReviewSection, ...]
    missing: tuple[str, ...]
    lang: str = "id"

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def items(self) -> tuple[ReviewItem, ...]:
        return tuple(item for section in self.sections for item in section.items)


def review(instrument: Instrument, answers: Answers, lang: str = "id") -> Review:
    """The review of a response: relevant questions that were answered (or skipped)."""
    state = walk(instrument, answers)
    sections: list[ReviewSection] = []
    code: str | None = None
    items: list[ReviewItem] = []

    def close() -> None:
        if code is not None and items:
            name = instrument.section_name(code, lang) if code else ""
            sections.append(ReviewSection(code, name, tuple(items)))

    shown = [(n, q) for n, q in enumerate(state.relevant, start=1) if q.name in state.answered]
    # The instrument's short label where it has one ("Buku nikah"): the card is read on a small
    # phone; questions without one fall back to their label, cut at a word.
    labels = distinct_short_labels([q.short(lang) for _, q in shown], LABEL_LENGTH)
    for (number, q), label in zip(shown, labels, strict=True):
        if q.section != code:
            close()
            code, items = q.section, []
        items.append(
            ReviewItem(
                index=question_index(instrument, q.name),
                question=q.name,
                label=label,
                value=display_value(instrument, q, answers.get(q.name), lang),
                number=number,
            )
        )
    close()
    return Review(tuple(sections), missing_required(instrument, answers), lang)


def _item_line(item: ReviewItem, escape: Callable[[str], str], value: str | None = None) -> str:
    return escape(f"{item.number}. {item.label}: {item.value if value is None else value}")


def _fitted(item: ReviewItem, escape: Callable[[str], str], room: int) -> str:
    """The item's line, its value shortened with "…" if the line alone exceeds `room`."""
    line = _item_line(item, escape)
    value = item.value
    while len(line) > room and value:
        value = value[: max(0, len(value) - (len(line) - room) - 1)]
        line = _item_line(item, escape, value + "…")
    # Last resort for a label that escapes to more than the room (never with real limits).
    return line if len(line) <= room else line[: room - 1] + "…"


def render_review(
    card: Review,
    limit: int = TELEGRAM_TEXT_LIMIT,
    *,
    escape: Callable[[str], str] = _same,
    bold: Callable[[str], str] = _same,
) -> list[str]:
    """The card as one or more texts, each at most `limit` characters *as sent* (after `escape`
    and `bold`), cut only between items.

    The first text starts with "Ringkasan jawaban — periksa sebelum dikirim", the next ones with
    "Ringkasan jawaban (lanjutan)". An item too long for a text of its own (only possible with a
    tiny limit) has its value shortened with "…" rather than being split.
    """
    lang = card.lang
    first_header = bold(escape(phrase("review_header", lang)))
    next_header = bold(escape(phrase("review_continued", lang)))
    footer: list[str] = []
    if card.missing:
        footer.append(escape(phrase("review_missing", lang, count=len(card.missing))))
    elif card.items:
        footer.append(escape(phrase("review_edit_hint", lang)))
    if limit < MIN_LIMIT:
        raise ValueError(f"limit {limit} is too small for a review card (min. {MIN_LIMIT})")

    parts: list[str] = []
    text = first_header
    has_items = False

    def section_title(section: ReviewSection, continued: bool) -> str:
        name = phrase("section_continued", lang, name=section.name) if continued else section.name
        return bold(escape(name))

    for section in card.sections:
        opened = False
        for position, item in enumerate(section.items):
            if opened:
                prefix = "\n"
            else:
                title = section_title(section, position > 0) + "\n" if section.name else ""
                prefix = "\n\n" + title
            line = _item_line(item, escape)
            if has_items and len(text) + len(prefix) + len(line) > limit:
                parts.append(text)
                text = next_header
                title = section_title(section, position > 0) + "\n" if section.name else ""
                prefix = "\n\n" + title
            text += prefix + _fitted(item, escape, limit - len(text) - len(prefix))
            opened = has_items = True
    for line in footer:
        if len(text) + 2 + len(line) <= limit:
            text += "\n\n" + line
        else:
            parts.append(text)
            text = next_header + "\n\n" + line
    parts.append(text)
    return parts
