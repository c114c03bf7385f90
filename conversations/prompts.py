"""Transport-free prompts: what the cadre sees for one question, as plain values.

The shell decides how to draw it (Telegram HTML, the emulator, a test): `QuestionPrompt.render`
takes the escaping and emphasis functions, so the engine never writes markup and the shell never
re-assembles the wording.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from conversations.display import display_value, is_amount
from conversations.navigation import Answers, Walk, is_shown, total_bound, total_is_exact, walk
from conversations.phrases import phrase
from ikk_core.instrument import Instrument, Question

LineKind = Literal["progress", "note", "title", "hint", "instruction", "current", "error"]
InputKind = Literal["choice", "multiple", "integer", "decimal", "amount", "text"]


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class Progress:
    """Position of a question among the relevant ones; `exact` False means later answers may
    still change `total`, then the most the family may be asked (shown as "sekitar 38").
    `index` is the number the review card shows for the same question."""

    index: int
    total: int
    exact: bool
    section_code: str
    section_name: str

    def line(self, lang: str = "id") -> str:
        """The progress line, e.g. "Pertanyaan 12 dari sekitar 38 · Ketahanan Fisik"."""
        total = f"{'' if self.exact else phrase('about', lang)}{self.total}"
        text = phrase("progress", lang, index=self.index, total=total)
        return f"{text} · {self.section_name}" if self.section_name else text


@dataclass(frozen=True)
class ChoiceOption:
    """One button: `value` is what the shell sends back to `answer`, `label` what it shows."""

    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True)
class PromptLine:
    """One part of a prompt; `kind` tells the shell how to emphasise it."""

    kind: LineKind
    text: str


@dataclass(frozen=True)
class QuestionPrompt:
    """Everything needed to ask one question, without markup.

    `lines` are in display order; exactly one has kind "title" (the label, to be shown in bold).
    `choices` are the buttons of a select; `expects_text` says whether typing is the way to
    answer (a typed "ya" is accepted where buttons are shown all the same).
    """

    question: str
    lines: tuple[PromptLine, ...]
    choices: tuple[ChoiceOption, ...]
    input: InputKind
    expects_text: bool
    can_go_back: bool
    can_skip: bool
    current_answer: str | None
    error: str | None
    progress: Progress

    @property
    def section_code(self) -> str:
        return self.progress.section_code

    @property
    def section_name(self) -> str:
        return self.progress.section_name

    @property
    def title(self) -> str:
        return next(line.text for line in self.lines if line.kind == "title")

    @property
    def text(self) -> str:
        """The prompt as plain text."""
        return self.render()

    def render(
        self,
        escape: Callable[[str], str] = _same,
        bold: Callable[[str], str] = _same,
        italic: Callable[[str], str] = _same,
    ) -> str:
        """The prompt text with each part escaped, the title in bold and the hint in italics.

        A blank line separates the progress line and the notes from the question itself.
        """
        out = ""
        for line in self.lines:
            text = escape(line.text)
            if line.kind == "title":
                text = bold(text)
            elif line.kind == "hint":
                text = italic(text)
            if out:
                out += "\n\n" if line.kind in ("note", "title") else "\n"
            out += text
        return out


def _input_kind(question: Question) -> InputKind:
    if question.type == "select_one":
        return "choice"
    if question.type == "select_multiple":
        return "multiple"
    if is_amount(question):
        return "amount"
    if question.type == "integer":
        return "integer"
    if question.type == "decimal":
        return "decimal"
    return "text"


_INSTRUCTIONS: dict[InputKind, str] = {
    "multiple": "instruction_multiple",
    "integer": "instruction_integer",
    "decimal": "instruction_decimal",
    "amount": "instruction_amount",
    "text": "instruction_text",
}


def progress(
    instrument: Instrument, answers: Answers, question: Question, lang: str = "id"
) -> Progress:
    """Where `question` stands among the questions relevant given the answers so far.

    Raises ValueError for a question that is not asked given the answers.
    """
    return _progress(instrument, walk(instrument, answers), question, lang)


def _progress(instrument: Instrument, state: Walk, question: Question, lang: str) -> Progress:
    position = state.position(question.name)
    if position is None:
        raise ValueError(f"{question.name} is not relevant given the answers")
    name = instrument.section_name(question.section, lang) if question.section else ""
    exact = total_is_exact(instrument, state, question.name)
    return Progress(
        index=position + 1,
        total=len(state.relevant) if exact else total_bound(instrument, state),
        exact=exact,
        section_code=question.section,
        section_name=name,
    )


def _notes_before(instrument: Instrument, question: Question, state: Walk, lang: str) -> list[str]:
    """The relevant note rows right above `question`: shown with it, since notes get no reply."""
    rows = instrument.questions
    index = next(i for i, q in enumerate(rows) if q.name == question.name)
    notes: list[str] = []
    i = index - 1
    while i >= 0 and not rows[i].answerable:
        if is_shown(rows[i], state.effective):
            notes.append(rows[i].label.get(lang))
        i -= 1
    return notes[::-1]


def prompt(
    instrument: Instrument,
    question: Question,
    answers: Answers,
    *,
    lang: str = "id",
    error: str | None = None,
) -> QuestionPrompt:
    """The prompt for `question` (which must be relevant), with its current answer if any."""
    state = walk(instrument, answers)
    where = _progress(instrument, state, question, lang)
    kind = _input_kind(question)

    current: str | None = None
    if question.name in state.answered:
        current = display_value(instrument, question, answers.get(question.name), lang)
    stored = state.effective.get(question.name)
    selected = set(str(stored).split()) if stored is not None else set()

    lines: list[PromptLine] = [PromptLine("progress", where.line(lang))]
    notes = _notes_before(instrument, question, state, lang)
    lines += [PromptLine("note", text) for text in notes]
    lines.append(PromptLine("title", question.label.get(lang)))
    hint = question.hint.get(lang)
    if hint:
        lines.append(PromptLine("hint", hint))
    instruction = [phrase(_INSTRUCTIONS[kind], lang)] if kind in _INSTRUCTIONS and not hint else []
    if not question.required:
        instruction.append(phrase("instruction_optional", lang))
    if instruction:
        lines.append(PromptLine("instruction", " ".join(instruction)))
    if current is not None:
        lines.append(PromptLine("current", phrase("current_answer", lang, value=current)))
    if error:
        lines.append(PromptLine("error", phrase("error_line", lang, message=error)))

    choices = tuple(
        ChoiceOption(c.name, c.label.get(lang), c.name in selected)
        for c in instrument.choices_for(question)
    )
    return QuestionPrompt(
        question=question.name,
        lines=tuple(lines),
        choices=choices,
        input=kind,
        expects_text=kind != "choice",
        can_go_back=where.index > 1,
        can_skip=not question.required,
        current_answer=current,
        error=error,
        progress=where,
    )
