"""Where the cadre is in the questionnaire, derived from the stored answers (design decision 1).

Nothing here remembers anything between calls. The position is the *frontier*, the first
relevant question without an answer, unless the shell stores a *cursor* (a question name) because
the cadre pressed "Kembali" or chose an answer to change on the review card.

Rules:

- A question counts as answered when its stored value is not empty, or when it is optional and the
  stored value is empty (the cadre skipped it: the shell keeps a row with no value).
- Relevance reads only the answers of earlier questions, as `ikk_core.values.effective_answers`
  does, so stale answers of questions that stopped being relevant never steer the skip logic.
- "Kembali" goes to the previous *relevant* question before the one shown (skipping whole
  sections that do not apply); from the review card it goes to the last relevant question.
- After any accepted answer the cursor is cleared and the frontier applies again: the cadre who went
  back to fix one answer lands where she stopped, questions that became relevant are asked next,
  and when nothing is left she sees the review card again. Going back two questions and answering
  the first one does not walk her through the second again; pressing "Kembali" once more does.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from ikk_core.expressions import Value, compile_expression
from ikk_core.instrument import Instrument, Question
from ikk_core.values import is_empty

Answers = Mapping[str, Value]

@dataclass(frozen=True)
class Walk:
    """One pass over the questionnaire for a set of stored answers.

    `relevant` are the answerable questions asked given the answers, in order; `effective` the
    answers that count (of relevant questions, not empty); `answered` the relevant questions that
    need no further answer (a value, or an optional question skipped).
    """

    relevant: tuple[Question, ...]
    effective: Mapping[str, Value]
    answered: frozenset[str]

    def position(self, name: str) -> int | None:
        """0-based position of a question among the relevant ones (None if not relevant)."""
        for i, q in enumerate(self.relevant):
            if q.name == name:
                return i
        return None

    @property
    def frontier(self) -> Question | None:
        """The first relevant question still waiting for an answer (None: all answered)."""
        for q in self.relevant:
            if q.name not in self.answered:
                return q
        return None


def is_shown(question: Question, earlier: Answers) -> bool:
    """Whether a row (question or note) applies, given the effective answers before it."""
    return not question.relevant or compile_expression(question.relevant).test(earlier)


WALKS_KEPT: Final = 64
_recent_walks: OrderedDict[tuple[int, frozenset[object]], tuple[Instrument, Walk]] = OrderedDict()


def walk(instrument: Instrument, answers: Answers) -> Walk:
    """Evaluate the skip logic once, in questionnaire order.

    Remembered for the last `WALKS_KEPT` answer sets: one answer is checked, applied and shown
    from the same answers several times (where the family stands, the engine's check, the
    prompt's progress line), and each walk evaluates every relevance expression. The result is
    immutable and depends only on the instrument and the answers (with their types).
    """
    try:
        key = (id(instrument), frozenset((k, type(v), v) for k, v in answers.items()))
    except TypeError:  # an unhashable value: not one of the engine's, work it out each time
        return _walk(instrument, answers)
    found = _recent_walks.get(key)
    if found is not None and found[0] is instrument:
        _recent_walks.move_to_end(key)
        return found[1]
    state = _walk(instrument, answers)
    # The instrument is kept with its walk, so its id cannot be reused while the key exists.
    _recent_walks[key] = (instrument, state)
    while len(_recent_walks) > WALKS_KEPT:
        _recent_walks.popitem(last=False)
    return state


def _walk(instrument: Instrument, answers: Answers) -> Walk:
    kept: dict[str, Value] = {}
    relevant: list[Question] = []
    answered: set[str] = set()
    for q in instrument.questions:
        if not q.answerable or not is_shown(q, kept):
            continue
        relevant.append(q)
        if q.name not in answers:
            continue
        value = answers[q.name]
        if not is_empty(value):
            kept[q.name] = value
            answered.add(q.name)
        elif not q.required:
            answered.add(q.name)
    return Walk(tuple(relevant), MappingProxyType(kept), frozenset(answered))


def current_question(
    instrument: Instrument, answers: Answers, cursor: str | None = None
) -> Question | None:
    """The question to show: the cursor's if it is still relevant, else the frontier.

    None means every relevant question is answered: the shell shows the review card.
    """
    state = walk(instrument, answers)
    if cursor is not None and state.position(cursor) is not None:
        return instrument.question(cursor)
    return state.frontier


def back(instrument: Instrument, answers: Answers, cursor: str | None = None) -> str | None:
    """The new cursor after "Kembali": the previous relevant question (None at the first one)."""
    state = walk(instrument, answers)
    shown = current_question(instrument, answers, cursor)
    if shown is None:
        return state.relevant[-1].name if state.relevant else None
    index = state.position(shown.name)
    if not index:
        return None
    return state.relevant[index - 1].name


def edit(instrument: Instrument, question_name: str, answers: Answers) -> str | None:
    """The cursor that opens `question_name` for a change.

    None if it is not asked any more, or lies beyond the frontier (questions are answered in
    order, so a cursor never points past the first unanswered question). After the changed
    answer is accepted the frontier rule applies: newly relevant questions are asked, then the
    review card comes back.
    """
    if not instrument.has_question(question_name):
        return None
    state = walk(instrument, answers)
    position = state.position(question_name)
    if position is None:
        return None
    frontier = state.frontier
    if frontier is not None and position > (state.position(frontier.name) or 0):
        return None
    return question_name


def question_index(instrument: Instrument, question_name: str) -> int:
    """The stable short number of a question: its 1-based row in the instrument.

    It is the same for every family of an instrument version, so "Ubah 12" buttons and compact
    callback data can carry it instead of the name.
    """
    for i, q in enumerate(instrument.questions, start=1):
        if q.name == question_name:
            return i
    raise KeyError(question_name)


def question_at(instrument: Instrument, index: int) -> Question | None:
    """The question with short number `index` (see `question_index`), None if out of range."""
    if 1 <= index <= len(instrument.questions):
        return instrument.questions[index - 1]
    return None


def missing_required(instrument: Instrument, answers: Answers) -> tuple[str, ...]:
    """Relevant required questions without a value, in order: what blocks a submit."""
    state = walk(instrument, answers)
    return tuple(q.name for q in state.relevant if q.required and q.name not in state.effective)


def is_complete(instrument: Instrument, answers: Answers) -> bool:
    """Whether the response may be submitted: every relevant question is answered or skipped."""
    state = walk(instrument, answers)
    return state.frontier is None and not any(
        q.required and q.name not in state.effective for q in state.relevant
    )


def total_bound(instrument: Instrument, state: Walk) -> int:
    """How many questions the family may still be asked in all: the relevant ones, plus every
    question whose relevance reads a question still open (transitively).

    This is the M of "Pertanyaan N dari sekitar M". Answering only settles questions, so the
    bound never grows while the kader answers forward (it shrinks when an answer switches
    questions off); showing only the questions relevant so far would make M grow instead.
    """
    relevant = {q.name for q in state.relevant}
    unsettled = relevant - state.answered
    count = 0
    for q in instrument.questions:
        if not q.answerable:
            continue
        if q.name in relevant:
            count += 1
        elif q.relevant and compile_expression(q.relevant).refs & unsettled:
            count += 1
            unsettled.add(q.name)
    return count


def total_is_exact(instrument: Instrument, state: Walk, shown: str | None = None) -> bool:
    """Whether the count of relevant questions can no longer change with later answers.

    It can change while any relevance expression reads a question that is still to be answered
    (or the one being shown, whose answer may change). Then the progress line says
    "sekitar 38".
    """
    open_questions = {q.name for q in state.relevant if q.name not in state.answered}
    if shown is not None:
        open_questions.add(shown)
    if not open_questions:
        return True
    return not any(
        q.answerable and q.relevant and compile_expression(q.relevant).refs & open_questions
        for q in instrument.questions
    )
